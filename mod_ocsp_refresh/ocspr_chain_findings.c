/* The findings of the chain analysis: what is wrong, in words an admin can act
 * on, and the fix (built by ocspr_chain_text.c from the file it changes;
 * where two fixes exist, each comes with its own command). A finding is first
 * recorded as pending (ocspr_chain_add) and settled by ocspr_chain.c once
 * every vhost of the run is known: whether an issuer search failure breaks
 * stapling depends on the other vhosts that use the certificate, and a fix
 * that changes a file names the other vhosts using it.
 */
#include <string.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "ocspr_chain_private.h"


/* ---- recording ----------------------------------------------------------- */

ocspr_chain_pending_t *ocspr_chain_add(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                                       ocspr_chain_code_t code, ocspr_chain_severity_t sev,
                                       const char *what, const char *fix, const char *fix_file)
{
    apr_pool_t *p = vc->p;
    ocspr_chain_pending_t *f = apr_array_push(vc->vrec->pending);

    memset(f, 0, sizeof(*f));
    f->code = code;
    f->sev = sev;
    f->cert = cc != NULL ? cc->index : -1;
    f->must_staple = cc != NULL && cc->must_staple;
    f->what = what;
    f->fix = fix;
    f->fix_file = fix_file;
    f->subject = ocspr_chain_vhost_where(p, vc->vh);
    if (cc != NULL) {
        f->subject = apr_psprintf(p, "%s, certificate %s (SSLCertificateFile at %s)%s%s",
                                  f->subject, cc->file.setting->value,
                                  ocspr_chain_where(p, cc->file.setting), cc->leaf != NULL ? ", " : "",
                                  cc->leaf != NULL ? ocspr_chain_describe(p, cc->leaf) : "");
    }
    /* mod_ssl primes the certificate, but no valid response can come. */
    if (cc != NULL && cc->rcert != NULL
        && (sev == OCSPR_SEV_DEFEATS || code == OCSPR_CHAIN_NO_OCSP_URL)) {
        cc->rcert->defeated = 1;
    }
    return f;
}

static const char *load_error(apr_pool_t *p, const ocspr_chain_file_t *f)
{
    char buf[256];

    if (f->rv == OCSPR_EINVALID) {
        return "it holds no certificate OpenSSL can parse (or is over the size limit)";
    }
    return apr_psprintf(p, "it cannot be read: %s", apr_strerror(f->rv, buf, sizeof(buf)));
}

void ocspr_chain_report_unreadable(ocspr_chain_vctx_t *vc, const ocspr_chain_loaded_t *l)
{
    ocspr_chain_add(vc, NULL, OCSPR_CHAIN_UNREADABLE, OCSPR_SEV_FATAL,
                    apr_psprintf(vc->p, "%s %s (at %s): %s; mod_ssl will refuse to start.",
                                 l->directive, l->setting->value, ocspr_chain_where(vc->p, l->setting),
                                 load_error(vc->p, l->file)),
                    "make the file readable by the user that starts httpd (usually root) and "
                    "check that it holds PEM certificates (`openssl x509 -in FILE -noout "
                    "-subject`).", NULL);
}

void ocspr_chain_report_not_pem(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                                const ocspr_chain_loaded_t *l, ocspr_chain_severity_t sev,
                                const char *consequence)
{
    ocspr_chain_add(vc, cc, OCSPR_CHAIN_NOT_PEM, sev,
                    apr_psprintf(vc->p, "%s %s (at %s) is %s; %s.", l->directive,
                                 l->setting->value, ocspr_chain_where(vc->p, l->setting),
                                 ocspr_chain_format_name(l->file->format), consequence),
                    apr_psprintf(vc->p, "%s.", ocspr_chain_fix_convert(vc->p, l->setting->value,
                                                           l->file->format, l->directive)),
                    NULL);
}

/* ---- checks of one certificate ------------------------------------------- */

void ocspr_chain_check_order(ocspr_chain_vctx_t *vc, ocspr_chain_cctx_t *cc, int leaf_index)
{
    apr_array_header_t *first = apr_array_make(vc->p, leaf_index, sizeof(ocspr_cert_lite_t *));
    int i;

    for (i = 0; i < leaf_index; i++) {
        APR_ARRAY_PUSH(first, const ocspr_cert_lite_t *) =
            APR_ARRAY_IDX(cc->file.file->certs, i, const ocspr_cert_lite_t *);
    }
    ocspr_chain_add(vc, cc, OCSPR_CHAIN_WRONG_ORDER, OCSPR_SEV_FATAL,
                    apr_psprintf(vc->p, "the file starts with the CA certificate%s %s and the "
                                 "server certificate comes at position %d; mod_ssl takes the "
                                 "first certificate as the server's, which does not match the "
                                 "private key, and refuses to start (AH02565).",
                                 leaf_index > 1 ? "s" : "", ocspr_chain_list_certs(vc->run, first),
                                 leaf_index + 1),
                    apr_psprintf(vc->p, "reorder %s: the server certificate \"%s\" first, then "
                                 "its issuer, then the issuer's issuer.", cc->file.file->path,
                                 ocspr_cert_subject(ocspr_cert_lite_view(cc->leaf), vc->p)),
                    cc->file.file->path);
}

int ocspr_chain_valid_now(const ocspr_chain_vctx_t *vc, const ocspr_cert_lite_t *cert)
{
    apr_time_t not_after = ocspr_cert_not_after(ocspr_cert_lite_view(cert));

    return (not_after == 0 || not_after >= vc->run->now)
           && ocspr_cert_not_before(ocspr_cert_lite_view(cert)) <= vc->run->now;
}

/* `who` names the certificate in the message ("the certificate", "the
 * issuer ..."). An expired certificate is still primed by mod_ssl (its issuer
 * search ignores validity): the expiry is the finding, not stapling. */
void ocspr_chain_check_validity(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                                const ocspr_cert_lite_t *cert, const char *who, const char *fix)
{
    apr_time_t not_before = ocspr_cert_not_before(ocspr_cert_lite_view(cert));
    apr_time_t not_after = ocspr_cert_not_after(ocspr_cert_lite_view(cert));
    const char *what;

    if (ocspr_chain_valid_now(vc, cert)) {
        return;
    }
    if (not_after != 0 && not_after < vc->run->now) {
        what = apr_psprintf(vc->p, "%s expired on %s; clients refuse the chain.", who,
                            ocspr_chain_time_str(vc->p, not_after));
    }
    else {
        what = apr_psprintf(vc->p, "%s is not valid before %s; clients refuse the chain.", who,
                            ocspr_chain_time_str(vc->p, not_before));
    }
    ocspr_chain_add(vc, cc, OCSPR_CHAIN_EXPIRED, OCSPR_SEV_ERROR, what, fix, NULL);
}

void ocspr_chain_check_must_staple(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc)
{
    if (cc->must_staple && !vc->report->stapling_wanted) {
        ocspr_chain_add(vc, cc, OCSPR_CHAIN_MUST_STAPLE_OFF, OCSPR_SEV_FATAL,
                        "the certificate requires a staple (Must-Staple) but stapling is off "
                        "for this vhost.",
                        "turn stapling on for this vhost: `OCSPRefresh On` (or `SSLUseStapling "
                        "On` with an SSLStaplingCache).", NULL);
    }
}

void ocspr_chain_check_self_signed(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc)
{
    if (vc->report->stapling_wanted) {
        ocspr_chain_add(vc, cc, OCSPR_CHAIN_SELF_SIGNED, OCSPR_SEV_DEFEATS,
                        "the certificate is self-signed (or a fallback/snakeoil certificate): "
                        "no CA, no OCSP responder, nothing can be stapled, and mod_ssl logs "
                        "AH02217.",
                        apr_psprintf(vc->p, "install a CA-issued certificate, or %s.",
                                     ocspr_chain_stapling_off_fix(vc)), NULL);
    }
}

/* Is cert one of certs (same object)? */
static int in_array(const apr_array_header_t *certs, const ocspr_cert_lite_t *cert)
{
    int i;

    for (i = 0; i < certs->nelts; i++) {
        if (APR_ARRAY_IDX(certs, i, const ocspr_cert_lite_t *) == cert) {
            return 1;
        }
    }
    return 0;
}

/* The fix for an issuer mod_ssl found but that must be replaced: where it was
 * found decides which file changes. One found in the CA store is shadowed by
 * a right one in the chain, which mod_ssl searches first. */
static const char *fix_found_issuer(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                                    const ocspr_cert_lite_t *issuer, const char **pfile)
{
    const apr_array_header_t *extra = vc->chain.setting != NULL ? vc->extra : cc->rest;

    *pfile = ocspr_chain_issuer_target(vc, cc);
    if (in_array(extra, issuer)) {
        return ocspr_chain_fix_replace_target(vc, cc);
    }
    return apr_psprintf(vc->p, "it comes from the CA store (SSLCACertificateFile/Path), "
                        "searched after the chain: %s", ocspr_chain_fix_append(vc->p, cc->leaf, *pfile));
}

void ocspr_chain_check_found_issuer(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                                    const ocspr_cert_lite_t *issuer)
{
    apr_pool_t *p = vc->p;
    const char *file, *fix;

    /* mod_ssl matched the name, and the key identifiers when both exist
     * (X509_check_issued): then a different key would need a reused key
     * identifier, and a signature check per vhost would cost more than the
     * rest of `-t`. Without them, only the signature tells the key. */
    if ((X509_get0_authority_key_id(ocspr_cert_lite_x509(cc->leaf)) == NULL
         || X509_get0_subject_key_id(ocspr_cert_lite_x509(issuer)) == NULL)
        && !ocspr_cert_lite_issued_by(cc->leaf, issuer)) {
        /* mod_ssl matched the name but the signature is not the issuer's:
         * its OCSP request would carry the wrong key hash. */
        fix = fix_found_issuer(vc, cc, issuer, &file);
        ocspr_chain_add(vc, cc, OCSPR_CHAIN_ISSUER_OTHER_KEY, OCSPR_SEV_DEFEATS,
                        apr_psprintf(p, "mod_ssl takes %s as the issuer, but the certificate's "
                                     "signature does not verify with its key (key id %s; the "
                                     "certificate names key id %s): the OCSP request would name "
                                     "the wrong key and the responder answers unknown or "
                                     "unauthorized.", ocspr_chain_describe(p, issuer),
                                     ocspr_chain_subject_key_id(p, issuer),
                                     ocspr_chain_authority_key_id(p, cc->leaf)),
                        apr_psprintf(p, "%s.", fix), file);
    }
    if (!ocspr_chain_valid_now(vc, issuer)) {
        fix = fix_found_issuer(vc, cc, issuer, &file);
        ocspr_chain_check_validity(vc, cc, issuer,
                                   apr_psprintf(p, "the issuer %s", ocspr_chain_describe(p, issuer)),
                                   apr_psprintf(p, "%s.", fix));
    }
}

/* The responder that will be asked, and who decided it. Returns whether
 * there is one at all. */
int ocspr_chain_check_responder(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc)
{
    apr_pool_t *p = vc->p;
    const ocspr_chain_vhost_t *vh = vc->vh;
    int refresh = vc->vrec->refresh;
    apr_array_header_t *urls = ocspr_cert_ocsp_urls(ocspr_cert_lite_view(cc->leaf), p);
    const char *url = NULL, *source = NULL;
    const char *fetcher = refresh ? "mod_ocsp_refresh" : "mod_ssl";

    if (refresh && vh->responder.value != NULL) {
        url = vh->responder.value;
        source = apr_psprintf(p, "OCSPRefreshResponder at %s", ocspr_chain_where(p, &vh->responder));
    }
    else if (!refresh && vh->force_url.value != NULL) {
        url = vh->force_url.value;
        source = apr_psprintf(p, "SSLStaplingForceURL at %s", ocspr_chain_where(p, &vh->force_url));
    }
    else if (urls->nelts > 0) {
        url = APR_ARRAY_IDX(urls, 0, const char *);
        source = "the certificate's Authority Information Access";
    }
    if (url == NULL) {
        const char *refusal = ocspr_cert_ocsp_url_refusal(ocspr_cert_lite_view(cc->leaf), p);

        ocspr_chain_add(vc, cc, OCSPR_CHAIN_NO_OCSP_URL, OCSPR_SEV_NOTICE,
                        refusal
                        ? apr_psprintf(p, "the certificate's only OCSP %s, so it is refused "
                                       "and there is nothing to staple unless a responder is "
                                       "configured.", refusal)
                        : "the certificate names no OCSP responder and none is configured, so "
                          "there is nothing to staple (many CAs dropped OCSP in 2025 and rely on "
                          "CRLs).",
                        cc->must_staple
                        ? "get a certificate without the Must-Staple extension: a Must-Staple "
                          "certificate without a responder cannot work."
                        : apr_psprintf(p, "nothing is broken; to stop the attempts, %s.",
                                       ocspr_chain_stapling_off_fix(vc)), NULL);
        return 0;
    }
    if (strncasecmp(url, "https://", 8) == 0) {
        ocspr_chain_add(vc, cc, OCSPR_CHAIN_HTTPS_RESPONDER, OCSPR_SEV_DEFEATS,
                        apr_psprintf(p, "the OCSP responder URL %s (from %s) is https://; %s "
                                     "fetches OCSP over plain http:// only (RFC 6960 responses "
                                     "are signed), %s.", url, source, fetcher,
                                     refresh ? "so every fetch fails and nothing is stapled"
                                     : "and fails the status request of every handshake that "
                                       "asks for one"),
                        apr_psprintf(p, "if the CA serves the same responder over http://, set "
                                     "`%s http://%s` in this vhost; otherwise %s.",
                                     refresh ? "OCSPRefreshResponder" : "SSLStaplingForceURL",
                                     url + 8, ocspr_chain_stapling_off_fix(vc)), NULL);
    }
    return 1;
}

void ocspr_chain_check_vhost(ocspr_chain_vctx_t *vc)
{
    const ocspr_chain_vhost_t *vh = vc->vh;

    if (vc->vrec->mod_ssl_staples && !vh->stapling_cache) {
        ocspr_chain_add(vc, NULL, OCSPR_CHAIN_NO_STAPLING_CACHE, OCSPR_SEV_FATAL,
                        apr_psprintf(vc->p, "SSLUseStapling On (at %s) but no SSLStaplingCache "
                                     "is configured: mod_ssl refuses to start (AH01958).",
                                     ocspr_chain_where(vc->p, &vh->use_stapling)),
                        "add `SSLStaplingCache \"shmcb:logs/ssl_stapling(128000)\"` to the "
                        "global scope (or let mod_ocsp_refresh staple: `OCSPRefresh On` and "
                        "`SSLUseStapling Off`).", NULL);
    }
    if ((vh->cert_files == NULL || vh->cert_files->nelts == 0) && vc->report->stapling_wanted) {
        ocspr_chain_add(vc, NULL, OCSPR_CHAIN_FALLBACK, OCSPR_SEV_DEFEATS,
                        "SSL is on but no certificate is configured, and no module supplied "
                        "one: mod_ssl serves a fallback certificate and answers 503 "
                        "(AH10085); nothing can be stapled.",
                        "configure SSLCertificateFile for this vhost (or an MDomain if mod_md "
                        "manages it).", NULL);
    }
}

/* ---- why mod_ssl's search fails ------------------------------------------ */

/* " (mod_ssl logs AH02217 for this vhost)" when its own stapling is on. */
static const char *ah02217(const ocspr_chain_vctx_t *vc)
{
    return vc->vrec->mod_ssl_staples ? " (mod_ssl logs \"AH02217: can't retrieve issuer "
                                       "certificate\" for this vhost)" : "";
}

static void diagnose_found_elsewhere(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                                     const ocspr_chain_candidate_t *c)
{
    apr_pool_t *p = vc->p;
    const ocspr_chain_vhost_t *vh = vc->vh;
    const char *issuer = ocspr_chain_describe(p, c->cert);
    const char *target = ocspr_chain_issuer_target(vc, cc);

    switch (c->kind) {
    case OCSPR_SRC_CERT_FILE:
        ocspr_chain_add(vc, cc, OCSPR_CHAIN_CHAIN_FILE_OVERRIDES, OCSPR_SEV_SEARCH,
                        apr_psprintf(p, "the issuer (%s) is in the certificate file, but "
                                     "SSLCertificateChainFile %s is set (at %s), so mod_ssl "
                                     "reads only the first certificate of %s and ignores the "
                                     "chain after it; its issuer search fails%s.", issuer,
                                     vh->chain_file.value, ocspr_chain_where(p, &vh->chain_file),
                                     cc->file.setting->value, ah02217(vc)),
                        vh->chain_file.global
                        ? apr_psprintf(p, "the directive is inherited from the global scope: "
                                       "add `SSLCertificateChainFile %s` to this vhost (mod_ssl "
                                       "then skips the leaf and uses the rest of that file), or "
                                       "remove SSLCertificateChainFile from %s.",
                                       cc->file.setting->value, ocspr_chain_where(p, &vh->chain_file))
                        : apr_psprintf(p, "remove SSLCertificateChainFile at %s (obsolete since "
                                       "httpd 2.4.8: the chain belongs in SSLCertificateFile); "
                                       "or %s.", ocspr_chain_where(p, &vh->chain_file),
                                       ocspr_chain_fix_append(p, cc->leaf, target)),
                        vh->chain_file.global ? NULL : target);
        return;
    case OCSPR_SRC_CHAIN_FILE:
    case OCSPR_SRC_CA_FILE:
        /* The file's format was reported once for the vhost (vhost-wide
         * finding); this certificate depends on it. */
        if (c->format != OCSPR_FORMAT_PEM) {
            return;
        }
        break;
    case OCSPR_SRC_CA_PATH:
        if (c->format != OCSPR_FORMAT_PEM) {
            ocspr_chain_add(vc, cc, OCSPR_CHAIN_NOT_PEM, OCSPR_SEV_SEARCH,
                            apr_psprintf(p, "the issuer (%s) is in %s in SSLCACertificatePath "
                                         "(at %s), but that file is %s and OpenSSL's directory "
                                         "lookup reads only PEM, so mod_ssl's issuer search "
                                         "fails%s.", issuer, c->path, ocspr_chain_where(p, &vh->ca_path),
                                         ocspr_chain_format_name(c->format), ah02217(vc)),
                            apr_psprintf(p, "%s, then rebuild the hash links: `openssl "
                                         "rehash %s`.", ocspr_chain_fix_convert(p, c->path, c->format, NULL),
                                         vh->ca_path.value), NULL);
            return;
        }
        ocspr_chain_add(vc, cc, OCSPR_CHAIN_CA_PATH_NOT_HASHED, OCSPR_SEV_SEARCH,
                        apr_psprintf(p, "the issuer (%s) is in %s in SSLCACertificatePath (at "
                                     "%s), but OpenSSL looks certificates up there only by "
                                     "subject hash (%08lx.0) and no such link points to it, so "
                                     "mod_ssl's issuer search fails%s.", issuer, c->path,
                                     ocspr_chain_where(p, &vh->ca_path),
                                     X509_NAME_hash_ex(X509_get_issuer_name(
                                         ocspr_cert_lite_x509(cc->leaf)),
                                                       NULL, NULL, NULL), ah02217(vc)),
                        apr_psprintf(p, "either rebuild the hash links: `openssl rehash %s`; "
                                     "or %s.", vh->ca_path.value, ocspr_chain_fix_append(p, cc->leaf, target)),
                        NULL);
        return;
    }
    ocspr_chain_add(vc, cc, OCSPR_CHAIN_ISSUER_REJECTED, OCSPR_SEV_SEARCH,
                    apr_psprintf(p, "the issuer (%s) is in %s, but mod_ssl's search does not "
                                 "accept it there%s.", issuer, c->path, ah02217(vc)),
                    apr_psprintf(p, "%s.", ocspr_chain_fix_append(p, cc->leaf, target)), target);
}

/* The fixes for a certificate of the issuer's name but another key, by the
 * file it sits in. */
static const char *fix_impostor(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                                const ocspr_chain_candidate_t *c, const char **pfile)
{
    apr_pool_t *p = vc->p;
    const char *target = ocspr_chain_issuer_target(vc, cc);

    switch (c->kind) {
    case OCSPR_SRC_CERT_FILE:
        *pfile = c->path;
        return ocspr_chain_fix_replace_after_leaf(p, cc->leaf, c->path);
    case OCSPR_SRC_CHAIN_FILE:
        *pfile = c->path;
        return ocspr_chain_fix_replace_file(p, cc->leaf, c->path);
    case OCSPR_SRC_CA_FILE:
        /* A CA file holds other CAs: add the right one, do not replace. */
        *pfile = c->path;
        return apr_psprintf(p, "either %s; or %s", ocspr_chain_fix_append(p, cc->leaf, c->path),
                            ocspr_chain_fix_append(p, cc->leaf, target));
    default:
        *pfile = c->path;
        return apr_psprintf(p, "either %s; or %s (mod_ssl searches the chain before "
                            "SSLCACertificatePath)",
                            ocspr_chain_fix_replace_in_ca_path(p, cc->leaf, c->path, vc->vh->ca_path.value),
                            ocspr_chain_fix_append(p, cc->leaf, target));
    }
}

/* A certificate of the issuer's name that is not the issuer. */
static void diagnose_impostor(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                              const ocspr_chain_candidate_t *c)
{
    apr_pool_t *p = vc->p;
    int rc = ocspr_cert_lite_check_issued(c->cert, cc->leaf);
    const char *file, *fix = fix_impostor(vc, cc, c, &file);

    if (rc == X509_V_OK || rc == X509_V_ERR_AKID_SKID_MISMATCH
        || rc == X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH) {
        ocspr_chain_add(vc, cc, OCSPR_CHAIN_ISSUER_OTHER_KEY, OCSPR_SEV_SEARCH,
                        apr_psprintf(p, "%s holds a certificate with the issuer's name, %s, "
                                     "but another key: the certificate was signed by key id "
                                     "%s, that one has key id %s (an old or re-keyed "
                                     "intermediate), so mod_ssl's issuer search fails%s.",
                                     c->path, ocspr_chain_describe(p, c->cert),
                                     ocspr_chain_authority_key_id(p, cc->leaf),
                                     ocspr_chain_subject_key_id(p, c->cert),
                                     ah02217(vc)),
                        apr_psprintf(p, "%s.", fix), file);
        return;
    }
    ocspr_chain_add(vc, cc, OCSPR_CHAIN_ISSUER_REJECTED, OCSPR_SEV_SEARCH,
                    apr_psprintf(p, "%s holds the issuer %s, but OpenSSL rejects it as issuer: "
                                 "%s%s.", c->path, ocspr_chain_describe(p, c->cert),
                                 X509_verify_cert_error_string(rc), ah02217(vc)),
                    apr_psprintf(p, "%s.", fix), file);
}

void ocspr_chain_diagnose_missing(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                                  const apr_array_header_t *extra)
{
    apr_pool_t *p = vc->p;
    apr_array_header_t *all = ocspr_chain_candidates(vc, cc);
    const X509_NAME *wanted_name = X509_get_issuer_name(ocspr_cert_lite_x509(cc->leaf));
    const ocspr_chain_candidate_t *same_name = NULL;
    const char *target = ocspr_chain_issuer_target(vc, cc);
    ocspr_chain_pending_t *pf;
    int i;

    for (i = 0; i < all->nelts; i++) {
        const ocspr_chain_candidate_t *c = &APR_ARRAY_IDX(all, i, ocspr_chain_candidate_t);

        if (ocspr_cert_lite_issued_by(cc->leaf, c->cert)) {
            diagnose_found_elsewhere(vc, cc, c);
            return;
        }
        if (same_name == NULL
            && X509_NAME_cmp(X509_get_subject_name(ocspr_cert_lite_x509(c->cert)),
                             wanted_name) == 0) {
            same_name = c;
        }
    }
    if (same_name != NULL) {
        diagnose_impostor(vc, cc, same_name);
        return;
    }
    if (extra->nelts > 0) {
        if (vc->chain.setting != NULL) {
            vc->chain_reported = 1;
        }
        pf = ocspr_chain_add(vc, cc, OCSPR_CHAIN_FOREIGN_INTERMEDIATE, OCSPR_SEV_SEARCH,
                             apr_psprintf(p, "the chain in %s holds %s, which belong to another "
                                          "chain; this certificate needs its issuer %s, so "
                                          "mod_ssl's issuer search fails%s.", target,
                                          ocspr_chain_list_certs(vc->run, extra),
                                          ocspr_chain_wanted_issuer(p, cc->leaf), ah02217(vc)),
                             apr_psprintf(p, "%s.", ocspr_chain_fix_replace_target(vc, cc)), target);
        /* Other vhosts may need what the file holds: add, do not replace. */
        pf->fix_if_shared = apr_psprintf(p, "%s.", ocspr_chain_fix_append(p, cc->leaf, target));
        return;
    }
    ocspr_chain_add(vc, cc, OCSPR_CHAIN_ISSUER_MISSING, OCSPR_SEV_SEARCH,
                    apr_psprintf(p, "only the certificate is configured: its issuer %s is in no "
                                 "file mod_ssl searches (%s%s%s; never the system trust "
                                 "store)%s.", ocspr_chain_wanted_issuer(p, cc->leaf),
                                 vc->chain.setting != NULL
                                 ? "SSLCertificateChainFile" : "the rest of the certificate file",
                                 vc->vh->ca_file.value != NULL ? ", SSLCACertificateFile" : "",
                                 vc->vh->ca_path.value != NULL ? ", SSLCACertificatePath" : "",
                                 ah02217(vc)),
                    apr_psprintf(p, "%s.", ocspr_chain_fix_append(p, cc->leaf, target)), target);
}

void ocspr_chain_report_foreign(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                                const char *path, const apr_array_header_t *chain,
                                const apr_array_header_t *anchors)
{
    apr_array_header_t *unused = ocspr_chain_unused(vc, chain, anchors);
    ocspr_chain_pending_t *pf;
    const char *list;

    if (unused->nelts == 0) {
        return;
    }
    /* A CA bundle's list runs to kilobytes, in thousands of vhosts:
     * concatenated, not formatted. */
    list = ocspr_chain_list_certs(vc->run, unused);
    pf = ocspr_chain_add(vc, cc, OCSPR_CHAIN_FOREIGN_INTERMEDIATE, OCSPR_SEV_WARNING,
                         apr_pstrcat(vc->p, path, " also holds ", list, ", which issue",
                                     unused->nelts == 1 ? "s" : "", " no certificate of this "
                                     "chain; mod_ssl sends ", unused->nelts == 1 ? "it" : "them",
                                     " to every client for nothing.", NULL),
                         apr_psprintf(vc->p, "remove %s from %s.",
                                      unused->nelts == 1 ? "it" : "them", path), path);
    /* Another vhost may need them: split the file rather than cut it. */
    pf->fix_if_shared = apr_pstrcat(vc->p, "give this vhost a chain file of its own, without ",
                                    list, ", instead of ", path, ".", NULL);
}
