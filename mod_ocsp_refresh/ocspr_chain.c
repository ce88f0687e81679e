/* Chain analysis for diagnostics: the run over every vhost.
 *
 * For each vhost and certificate, mod_ssl's issuer search is reproduced
 * (ocspr_chain_search.c); when it fails or finds something odd, the
 * diagnosis reads every file the admin has, in every format, to name the real
 * cause and the fix (ocspr_chain_findings.c). The run remembers, per
 * certificate, whether mod_ssl primes it for some vhost, because mod_ssl
 * keeps stapling data per certificate: a search that fails in one vhost does
 * not stop the staple another vhost's search made possible. Findings are
 * settled only when every vhost is known (ocspr_chain_run_finish).
 */
#include <string.h>
#include <apr_strings.h>

#include "ocspr_chain_private.h"

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
    run->blocks = apr_hash_make(p);
    run->stores = apr_hash_make(p);
    run->ca_paths = apr_hash_make(p);
    run->uses = apr_hash_make(p);
    run->certs = apr_hash_make(p);
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
        if (!ocspr_cert_is_ca(APR_ARRAY_IDX(certs, i, const ocspr_cert_t *))) {
            leaf_index = i;
            break;
        }
    }
    cc->leaf = APR_ARRAY_IDX(certs, leaf_index, const ocspr_cert_t *);
    cc->rest = apr_array_make(vc->p, certs->nelts, sizeof(ocspr_cert_t *));
    for (i = 0; i < certs->nelts; i++) {
        if (i != leaf_index) {
            APR_ARRAY_PUSH(cc->rest, const ocspr_cert_t *) =
                APR_ARRAY_IDX(certs, i, const ocspr_cert_t *);
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
    const ocspr_cert_t *issuer;

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
    ocspr_cert_id(entry->id, cc.leaf);
    cc.rcert = run_cert(vc->run, entry);
    cc.rcert->wanted |= wanted;
    APR_ARRAY_PUSH(vc->anchors, const ocspr_cert_t *) = cc.leaf;
    apr_array_cat(vc->anchors, cc.rest);
    cc.must_staple = ocspr_cert_must_staple(cc.leaf);

    ocspr_chain_check_validity(vc, &cc, cc.leaf, "the certificate",
                               "renew the certificate and replace the file.");
    ocspr_chain_check_must_staple(vc, &cc);
    if (ocspr_cert_is_self_signed(cc.leaf)) {
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
            apr_array_header_t *self = apr_array_make(p, 1, sizeof(ocspr_cert_t *));

            APR_ARRAY_PUSH(self, const ocspr_cert_t *) = cc.leaf;
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
    vc.anchors = apr_array_make(run->p, 2, sizeof(ocspr_cert_t *));
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

void ocspr_chain_run_finish(ocspr_chain_run_t *run, ocspr_chain_totals_t *totals)
{
    apr_hash_index_t *hi;
    int i, j;

    memset(totals, 0, sizeof(*totals));
    for (i = 0; i < run->vrecs->nelts; i++) {
        ocspr_chain_vrec_t *vr = APR_ARRAY_IDX(run->vrecs, i, ocspr_chain_vrec_t *);

        ocspr_chain_settle(run, vr);
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
