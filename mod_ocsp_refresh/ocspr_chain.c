/* Chain analysis for diagnostics: the run over every vhost.
 *
 * For each vhost and certificate, mod_ssl's issuer search is reproduced
 * (ocspr_chain_search.c); when it fails or finds something odd, the
 * diagnosis reads every file the admin has, in every format, to name the real
 * cause and the fix (ocspr_chain_findings.c, in the words of
 * ocspr_chain_text.c). The run remembers, per
 * certificate, whether mod_ssl primes it for some vhost, because mod_ssl
 * keeps stapling data per certificate: a search that fails in one vhost does
 * not stop the staple another vhost's search made possible. Findings are
 * settled only when every vhost is known (ocspr_chain_run_finish).
 */
#include <string.h>
#include <apr_strings.h>

#include "ocspr_chain_private.h"
#include "ocspr_tags.h"

int ocspr_chain_setting_on(const ocspr_chain_setting_t *setting)
{
    return setting->value != NULL && strcasecmp(setting->value, "on") == 0;
}

apr_status_t ocspr_chain_run_create(ocspr_chain_run_t **prun, apr_pool_t *p, apr_time_t now)
{
    ocspr_chain_run_t *run = apr_pcalloc(p, sizeof(*run));

    run->p = p;
    run->now = now;
    run->files = apr_hash_make(p);
    run->blocks = apr_hash_make_custom(p, ocspr_chain_block_hash);
    /* Before any certificate: their pool cleanups must run first. */
    ocspr_cert_lite_ctx_create(&run->lite, p);
    run->stores = apr_hash_make(p);
    run->ca_paths = apr_hash_make(p);
    run->uses = apr_hash_make(p);
    run->certs = apr_hash_make(p);
    run->cert_lists = apr_hash_make(p);
    run->vrecs = apr_array_make(p, 16, sizeof(ocspr_chain_vrec_t *));
    *prun = run;
    return APR_SUCCESS;
}

/* The run's record of a certificate, created on first sight. */
static ocspr_chain_run_cert_t *run_cert(ocspr_chain_run_t *run, const ocspr_chain_cert_t *c)
{
    ocspr_chain_run_cert_t *rc = apr_hash_get(run->certs, c->id, OCSPR_CERT_ID_LEN);

    if (rc == NULL) {
        rc = apr_pcalloc(run->p, sizeof(*rc));
        rc->cert = c->cert;
        apr_hash_set(run->certs, apr_pmemdup(run->p, c->id, OCSPR_CERT_ID_LEN),
                     OCSPR_CERT_ID_LEN, rc);
    }
    return rc;
}

/* Split the file into the server certificate and the rest. mod_ssl takes the
 * first certificate; when a CA certificate comes first and a leaf follows,
 * the admin swapped them (mod_ssl then fails on the key). */
static void split_leaf(ocspr_chain_vctx_t *vc, ocspr_chain_cctx_t *cc)
{
    const apr_array_header_t *certs = cc->file.file->certs;
    int leaf_index = 0, i;

    for (i = 0; i < certs->nelts; i++) {
        if (!ocspr_cert_is_ca(ocspr_cert_lite_view(APR_ARRAY_IDX(certs, i,
                                                                 const ocspr_cert_lite_t *)))) {
            leaf_index = i;
            break;
        }
    }
    cc->leaf = APR_ARRAY_IDX(certs, leaf_index, const ocspr_cert_lite_t *);
    cc->rest = apr_array_make(vc->p, certs->nelts, sizeof(ocspr_cert_lite_t *));
    for (i = 0; i < certs->nelts; i++) {
        if (i != leaf_index) {
            APR_ARRAY_PUSH(cc->rest, const ocspr_cert_lite_t *) =
                APR_ARRAY_IDX(certs, i, const ocspr_cert_lite_t *);
        }
    }
    if (leaf_index > 0) {
        ocspr_chain_check_order(vc, cc, leaf_index);
    }
}

/* Record what mod_ssl does with a certificate whose issuer it finds here. */
static void record_primed(ocspr_chain_vctx_t *vc, ocspr_chain_run_cert_t *rc)
{
    ocspr_chain_vrec_t *vr = vc->vrec;

    if (vr->refresh) {
        rc->primed_hook = 1;
        vr->hook_primed_any = 1;
    }
    else if (vr->mod_ssl_staples) {
        rc->primed_own = 1;
    }
    else {
        return;
    }
    if (rc->primed_by == NULL) {
        rc->primed_by = vc->vh;
    }
}

static void analyse_cert(ocspr_chain_vctx_t *vc, const ocspr_chain_setting_t *cert_file)
{
    apr_pool_t *p = vc->p;
    int wanted = vc->report->stapling_wanted;
    ocspr_chain_cctx_t cc;
    ocspr_chain_cert_t *entry = apr_array_push(vc->report->certs);
    const apr_array_header_t *extra;
    const ocspr_cert_lite_t *issuer;

    memset(&cc, 0, sizeof(cc));
    memset(entry, 0, sizeof(*entry));
    entry->cert_file = cert_file;
    cc.index = vc->report->certs->nelts - 1;
    ocspr_chain_load(vc, &cc.file, cert_file, "SSLCertificateFile");
    if (cc.file.file->rv != APR_SUCCESS) {
        ocspr_chain_report_unreadable(vc, &cc.file);
        return;
    }
    if (cc.file.file->format != OCSPR_FORMAT_PEM) {
        ocspr_chain_report_not_pem(vc, NULL, &cc.file, OCSPR_SEV_FATAL,
                                   "mod_ssl reads only PEM there and refuses to start "
                                   "(AH02562/AH02561); the analysis below reads it as converted");
    }
    split_leaf(vc, &cc);
    entry->cert = cc.leaf;
    memcpy(entry->id, ocspr_cert_lite_id(cc.leaf), OCSPR_CERT_ID_LEN);
    cc.rcert = run_cert(vc->run, entry);
    cc.rcert->wanted |= wanted;
    APR_ARRAY_PUSH(vc->anchors, const ocspr_cert_lite_t *) = cc.leaf;
    apr_array_cat(vc->anchors, cc.rest);
    cc.must_staple = ocspr_cert_must_staple(ocspr_cert_lite_view(cc.leaf));

    ocspr_chain_check_validity(vc, &cc, cc.leaf, "the certificate",
                               "renew the certificate and replace the file.");
    ocspr_chain_check_must_staple(vc, &cc);
    if (ocspr_cert_is_self_signed(ocspr_cert_lite_view(cc.leaf))) {
        ocspr_chain_check_self_signed(vc, &cc);
        return;
    }
    /* Per-certificate chain unless SSLCertificateChainFile replaces it. */
    extra = vc->chain.setting != NULL ? vc->extra : cc.rest;
    issuer = ocspr_chain_modssl_issuer(vc, cc.leaf, extra);
    if (issuer == NULL) {
        ocspr_chain_diagnose_missing(vc, &cc, extra);
    }
    else {
        entry->issuer_found = 1;
        record_primed(vc, cc.rcert);
        ocspr_chain_check_found_issuer(vc, &cc, issuer);
        if (vc->chain.setting == NULL) {
            apr_array_header_t *self = apr_array_make(p, 1, sizeof(ocspr_cert_lite_t *));

            APR_ARRAY_PUSH(self, const ocspr_cert_lite_t *) = cc.leaf;
            ocspr_chain_report_foreign(vc, &cc, cert_file->value, cc.rest, self);
        }
    }
    if (wanted) {
        ocspr_chain_check_responder(vc, &cc);
    }
}

apr_status_t ocspr_chain_run_add(ocspr_chain_report_t **preport, ocspr_chain_run_t *run,
                                 const ocspr_chain_vhost_t *vh)
{
    ocspr_chain_vctx_t vc;
    ocspr_chain_report_t *report = apr_pcalloc(run->p, sizeof(*report));
    ocspr_chain_vrec_t *vr = apr_pcalloc(run->p, sizeof(*vr));
    apr_status_t rv;
    int i;

    memset(&vc, 0, sizeof(vc));
    vc.run = run;
    vc.p = run->p;
    vc.vh = vh;
    vc.vrec = vr;
    vc.report = report;
    vc.anchors = apr_array_make(run->p, 2, sizeof(ocspr_cert_lite_t *));
    vr->vh = vh;
    vr->report = report;
    vr->pending = apr_array_make(run->p, 2, sizeof(ocspr_chain_pending_t));
    vr->mod_ssl_staples = ocspr_chain_setting_on(&vh->use_stapling);
    vr->refresh = ocspr_chain_setting_on(&vh->refresh);
    report->vhost = vh;
    report->findings = apr_array_make(run->p, 2, sizeof(ocspr_chain_finding_t));
    report->certs = apr_array_make(run->p, 2, sizeof(ocspr_chain_cert_t));
    report->stapling_wanted = vr->mod_ssl_staples || vr->refresh;
    APR_ARRAY_PUSH(run->vrecs, ocspr_chain_vrec_t *) = vr;
    *preport = report;

    ocspr_chain_check_vhost(&vc);
    if (vh->cert_files == NULL || vh->cert_files->nelts == 0) {
        return APR_SUCCESS;
    }
    ocspr_chain_setup_chain(&vc);
    if ((rv = ocspr_chain_setup_store(&vc)) != APR_SUCCESS) {
        return rv;
    }
    for (i = 0; i < vh->cert_files->nelts; i++) {
        analyse_cert(&vc, &APR_ARRAY_IDX(vh->cert_files, i, ocspr_chain_setting_t));
    }
    if (vc.chain.setting != NULL && !vc.chain_reported && vc.anchors->nelts > 0
        && vc.chain.file->rv == APR_SUCCESS) {
        ocspr_chain_report_foreign(&vc, NULL, vh->chain_file.value, vc.extra, vc.anchors);
    }
    return APR_SUCCESS;
}

static const struct {
    ocspr_chain_code_t code;
    const char *tag;
    const char *name;
} code_table[] = {
    { OCSPR_CHAIN_UNREADABLE, OCSPR_T_DIAG_UNREADABLE, "unreadable" },
    { OCSPR_CHAIN_ISSUER_MISSING, OCSPR_T_DIAG_ISSUER_MISSING, "issuer-missing" },
    { OCSPR_CHAIN_CHAIN_FILE_OVERRIDES, OCSPR_T_DIAG_CHAIN_OVERRIDES, "chain-file-overrides" },
    { OCSPR_CHAIN_ISSUER_OTHER_KEY, OCSPR_T_DIAG_OTHER_KEY, "issuer-other-key" },
    { OCSPR_CHAIN_FOREIGN_INTERMEDIATE, OCSPR_T_DIAG_FOREIGN, "foreign-intermediate" },
    { OCSPR_CHAIN_NOT_PEM, OCSPR_T_DIAG_NOT_PEM, "not-pem" },
    { OCSPR_CHAIN_WRONG_ORDER, OCSPR_T_DIAG_WRONG_ORDER, "wrong-order" },
    { OCSPR_CHAIN_SELF_SIGNED, OCSPR_T_DIAG_SELF_SIGNED, "self-signed" },
    { OCSPR_CHAIN_EXPIRED, OCSPR_T_DIAG_EXPIRED, "expired" },
    { OCSPR_CHAIN_NO_OCSP_URL, OCSPR_T_DIAG_NO_OCSP_URL, "no-ocsp-url" },
    { OCSPR_CHAIN_HTTPS_RESPONDER, OCSPR_T_DIAG_HTTPS_RESPONDER, "https-responder" },
    { OCSPR_CHAIN_NO_STAPLING_CACHE, OCSPR_T_DIAG_NO_CACHE, "no-stapling-cache" },
    { OCSPR_CHAIN_NOT_PRIMED, OCSPR_T_DIAG_NOT_PRIMED, "not-primed" },
    { OCSPR_CHAIN_CA_PATH_NOT_HASHED, OCSPR_T_DIAG_CA_PATH_HASH, "ca-path-not-hashed" },
    { OCSPR_CHAIN_ISSUER_REJECTED, OCSPR_T_DIAG_REJECTED, "issuer-rejected" },
    { OCSPR_CHAIN_FALLBACK, OCSPR_T_DIAG_FALLBACK, "fallback-certificate" },
    { OCSPR_CHAIN_MUST_STAPLE_OFF, OCSPR_T_DIAG_MUST_STAPLE_OFF, "must-staple-off" },
    { OCSPR_CHAIN_CLIENT_CHAIN, OCSPR_T_DIAG_CLIENT_CHAIN, "client-chain" },
};

/* ---- settlement ------------------------------------------------------------ */

static ocspr_chain_run_cert_t *lookup_cert(ocspr_chain_run_t *run, const ocspr_chain_report_t *r,
                                        int index)
{
    const ocspr_chain_cert_t *c = &APR_ARRAY_IDX(r->certs, index, ocspr_chain_cert_t);

    return c->cert != NULL ? apr_hash_get(run->certs, c->id, OCSPR_CERT_ID_LEN) : NULL;
}

/* Does a handshake of vhost vr for certificate rc get a staple although
 * mod_ssl's search failed in vr? mod_ssl keeps stapling data per certificate
 * (ssl_util_stapling.c: certinfo by SHA-1; our registry by the same id), but
 * installs its status callback per vhost: always with SSLUseStapling On,
 * otherwise only when a certificate of the vhost reached the prime hook. */
static int stapled_here(const ocspr_chain_vrec_t *vr, const ocspr_chain_run_cert_t *rc)
{
    int callback = vr->mod_ssl_staples || vr->hook_primed_any;

    return (vr->refresh && rc->primed_hook && callback)
           || (vr->mod_ssl_staples && rc->primed_own);
}

/* Why a certificate primed elsewhere gets no staple in this vhost. */
static const char *not_here_reason(const ocspr_chain_vrec_t *vr, const ocspr_chain_run_cert_t *rc)
{
    if (vr->refresh && rc->primed_hook) {
        return "mod_ssl installs the status callback on a vhost with SSLUseStapling Off only "
               "when it finds the issuer of one of its certificates there";
    }
    if (vr->refresh) {
        return "only mod_ssl's own stapling holds it (SSLUseStapling On, OCSPRefresh Off "
               "there), and this vhost leaves it to mod_ocsp_refresh";
    }
    return "only mod_ocsp_refresh holds it (OCSPRefresh On there), and OCSPRefresh is off in "
           "this vhost";
}

/* A search failure settled: *prc is a certificate the failure leaves
 * without a staple in this vhost, or NULL; *pprimed one primed elsewhere for
 * this vhost's handshakes. */
static int search_breaks(ocspr_chain_run_t *run, const ocspr_chain_vrec_t *vr,
                         const ocspr_chain_pending_t *f, const ocspr_chain_run_cert_t **prc,
                         const ocspr_chain_run_cert_t **pprimed)
{
    const ocspr_chain_report_t *r = vr->report;
    int i, breaks = 0;

    *prc = *pprimed = NULL;
    for (i = 0; i < r->certs->nelts; i++) {
        const ocspr_chain_run_cert_t *rc;

        if ((f->cert >= 0 && i != f->cert)
            || APR_ARRAY_IDX(r->certs, i, ocspr_chain_cert_t).issuer_found
            || (rc = lookup_cert(run, r, i)) == NULL) {
            continue;
        }
        if (stapled_here(vr, rc)) {
            *pprimed = rc;
        }
        else if (!breaks) {
            breaks = 1;
            *prc = rc;
        }
    }
    return breaks;
}

/* "X is also used by vhost a:443 (SSLCertificateChainFile at f:3), ..." */
static const char *shared_note(ocspr_chain_run_t *run, const ocspr_chain_vrec_t *vr,
                               const char *path)
{
    int total;
    apr_array_header_t *others = ocspr_chain_other_users(&total, run, path, vr->vh, 5);
    const char *text = "";
    int i;

    if (total == 0) {
        return "";
    }
    for (i = 0; i < others->nelts; i++) {
        const ocspr_chain_use_t *u = &APR_ARRAY_IDX(others, i, ocspr_chain_use_t);

        text = apr_psprintf(run->p, "%s%svhost %s (%s at %s)", text, i ? ", " : "", u->vh->name,
                            u->directive, ocspr_chain_where(run->p, u->setting));
    }
    return apr_psprintf(run->p, " Note: %s is also used by %s%s; the change applies to %s too.",
                        path, text, total > others->nelts
                        ? apr_psprintf(run->p, " and %d more vhosts", total - others->nelts) : "",
                        total == 1 ? "that vhost" : "them");
}

static void settle(ocspr_chain_run_t *run, ocspr_chain_vrec_t *vr)
{
    apr_pool_t *p = run->p;
    ocspr_chain_report_t *r = vr->report;
    int wanted = r->stapling_wanted;
    int i;
    apr_size_t k;

    for (i = 0; i < vr->pending->nelts; i++) {
        const ocspr_chain_pending_t *pf = &APR_ARRAY_IDX(vr->pending, i, ocspr_chain_pending_t);
        ocspr_chain_finding_t *f = apr_array_push(r->findings);
        const ocspr_chain_run_cert_t *broken, *primed;
        const char *consequence = "", *note;

        f->code = pf->code;
        switch (pf->sev) {
        case OCSPR_SEV_FATAL:
            f->level = OCSPR_LOG_ERR;
            f->breaks_stapling = 1;
            break;
        case OCSPR_SEV_DEFEATS:
            f->level = wanted ? OCSPR_LOG_ERR : OCSPR_LOG_WARNING;
            f->breaks_stapling = wanted;
            break;
        case OCSPR_SEV_SEARCH:
            f->breaks_stapling = wanted && search_breaks(run, vr, pf, &broken, &primed);
            if (f->breaks_stapling) {
                f->level = OCSPR_LOG_ERR;
                consequence = broken->primed_by != NULL
                    ? apr_psprintf(p, " mod_ssl primes this certificate through vhost %s, "
                                   "but this vhost's handshakes get no staple: %s.",
                                   broken->primed_by->name, not_here_reason(vr, broken))
                    : " No vhost using this certificate lets mod_ssl find its issuer, so it is "
                      "never primed and nothing is stapled.";
            }
            else {
                /* Only this vhost's clients suffer: its own kind and tag. */
                f->code = OCSPR_CHAIN_CLIENT_CHAIN;
                f->level = OCSPR_LOG_WARNING;
                consequence = wanted && primed != NULL
                    ? apr_psprintf(p, " Clients of this vhost cannot build the chain (\"unable "
                                   "to verify the first certificate\" unless they hold the "
                                   "intermediate); stapling is not affected: mod_ssl primes "
                                   "this certificate through vhost %s and staples it here too.",
                                   primed->primed_by->name)
                    : " Clients of this vhost cannot build the chain (\"unable to verify the "
                      "first certificate\" unless they hold the intermediate).";
            }
            break;
        case OCSPR_SEV_ERROR:
            f->level = OCSPR_LOG_ERR;
            f->breaks_stapling = 0;
            break;
        case OCSPR_SEV_WARNING:
            f->level = OCSPR_LOG_WARNING;
            f->breaks_stapling = 0;
            break;
        default:
            f->level = OCSPR_LOG_NOTICE;
            f->breaks_stapling = 0;
            break;
        }
        if (pf->must_staple && f->level > OCSPR_LOG_ERR) {
            f->level = OCSPR_LOG_ERR;
        }
        f->tag = OCSPR_T_DIAG_SUMMARY;
        f->name = "unknown";
        for (k = 0; k < sizeof(code_table) / sizeof(code_table[0]); k++) {
            if (code_table[k].code == f->code) {
                f->tag = code_table[k].tag;
                f->name = code_table[k].name;
            }
        }
        f->fix = pf->fix;
        if (pf->fix_file != NULL && *(note = shared_note(run, vr, pf->fix_file)) != '\0') {
            f->fix = apr_pstrcat(p, pf->fix_if_shared != NULL ? pf->fix_if_shared : pf->fix,
                                 note, NULL);
        }
        f->message = apr_pstrcat(p, pf->subject, ": ", pf->what, consequence, " Fix: ", f->fix,
                                 pf->must_staple
                                 ? " This certificate is Must-Staple (RFC 7633): browsers "
                                   "refuse the site without a valid staple." : "", NULL);
    }
}

void ocspr_chain_add_not_primed(ocspr_chain_run_t *run, ocspr_chain_report_t *report,
                                const ocspr_chain_cert_t *c)
{
    ocspr_chain_vctx_t vc;
    ocspr_chain_cctx_t cc;
    ocspr_chain_file_t file;
    int i;

    memset(&vc, 0, sizeof(vc));
    memset(&cc, 0, sizeof(cc));
    memset(&file, 0, sizeof(file));
    vc.run = run;
    vc.p = run->p;
    vc.vh = report->vhost;
    vc.report = report;
    for (i = 0; i < run->vrecs->nelts; i++) {
        ocspr_chain_vrec_t *vr = APR_ARRAY_IDX(run->vrecs, i, ocspr_chain_vrec_t *);

        if (vr->report == report) {
            vc.vrec = vr;
        }
    }
    if (vc.vrec == NULL) {
        return;
    }
    file.path = c->cert_file->value;
    cc.file.setting = c->cert_file;
    cc.file.file = &file;
    cc.leaf = c->cert;
    cc.index = (int)(c - &APR_ARRAY_IDX(report->certs, 0, ocspr_chain_cert_t));
    cc.must_staple = c->cert != NULL && ocspr_cert_must_staple(ocspr_cert_lite_view(c->cert));
    cc.rcert = c->cert != NULL ? apr_hash_get(run->certs, c->id, OCSPR_CERT_ID_LEN) : NULL;
    ocspr_chain_add(&vc, &cc, OCSPR_CHAIN_NOT_PRIMED, OCSPR_SEV_DEFEATS,
                    "the configuration files give this certificate an issuer, but mod_ssl did "
                    "not hand it to the stapling hooks at startup: mod_ssl loaded something "
                    "else than the files say (another module such as mod_md supplied the "
                    "certificates, SSLOpenSSLConfCmd replaced them, or a file changed between "
                    "the check and the start), and no staple will be sent for it.",
                    "look for AH02217/AH02604 in the error log right above this line, check "
                    "which certificate the vhost really serves (`openssl s_client -connect "
                    "HOST:PORT -servername NAME`), and restart once the files are final.", NULL);
}

void ocspr_chain_run_finish(ocspr_chain_run_t *run, ocspr_chain_totals_t *totals)
{
    apr_hash_index_t *hi;
    int i, j;

    memset(totals, 0, sizeof(*totals));
    for (i = 0; i < run->vrecs->nelts; i++) {
        ocspr_chain_vrec_t *vr = APR_ARRAY_IDX(run->vrecs, i, ocspr_chain_vrec_t *);

        settle(run, vr);
        totals->vhosts++;
        totals->findings += vr->report->findings->nelts;
        for (j = 0; j < vr->report->findings->nelts; j++) {
            totals->breaking += APR_ARRAY_IDX(vr->report->findings, j,
                                              ocspr_chain_finding_t).breaks_stapling;
        }
    }
    for (hi = apr_hash_first(run->p, run->certs); hi != NULL; hi = apr_hash_next(hi)) {
        const ocspr_chain_run_cert_t *rc = apr_hash_this_val(hi);

        if (rc->wanted) {
            totals->certs++;
            totals->ready += (rc->primed_own || rc->primed_hook) && !rc->defeated;
        }
    }
}
