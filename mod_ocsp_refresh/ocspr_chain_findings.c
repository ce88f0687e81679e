/* The findings of the chain analysis: what is wrong, in words an admin can act
 * on, and the fix. Every fix is built by one of the fix_* functions from the
 * file it changes, so its text and its command always name the same file and
 * do the same thing; where two fixes exist, each comes with its own command.
 * A finding is first recorded as pending (ocspr_chain_add) and settled once
 * every vhost of the run is known (ocspr_chain_settle): whether an issuer
 * search failure breaks stapling depends on the other vhosts that use the
 * certificate, and a fix that changes a file names the other vhosts using it.
 */
#include <string.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <openssl/err.h>

#include "ocspr_chain_private.h"
#include "ocspr_tags.h"

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

/* ---- message pieces --------------------------------------------------- */

static const char *where(apr_pool_t *p, const ocspr_chain_setting_t *setting)
{
    if (setting->file == NULL) {
        return "(not configured)";
    }
    if (setting->line <= 0) {
        return setting->file;
    }
    return apr_psprintf(p, "%s:%d%s", setting->file, setting->line,
                        setting->global ? " in the global scope" : "");
}

static const char *vhost_where(apr_pool_t *p, const ocspr_chain_vhost_t *vh)
{
    return vh->file != NULL ? apr_psprintf(p, "vhost %s (%s:%d)", vh->name, vh->file, vh->line)
                            : apr_psprintf(p, "vhost %s (main server)", vh->name);
}

static const char *format_name(ocspr_cert_format_t format)
{
    switch (format) {
    case OCSPR_FORMAT_PEM:   return "PEM";
    case OCSPR_FORMAT_DER:   return "DER";
    case OCSPR_FORMAT_PKCS7: return "PKCS#7";
    default:                 return "unknown";
    }
}

static const char *time_str(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t tm;
    char buf[32];
    apr_size_t len = 0;

    if (t == 0 || apr_time_exp_gmt(&tm, t) != APR_SUCCESS
        || apr_strftime(buf, &len, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm) != APR_SUCCESS) {
        return "(unknown)";
    }
    return apr_pstrmemdup(p, buf, len);
}

static const char *key_id_or_none(const char *key_id)
{
    return key_id != NULL ? key_id : "(none)";
}

/* "subject "...", key id K, serial S, expires T" */
static const char *describe(apr_pool_t *p, const ocspr_cert_t *cert)
{
    return apr_psprintf(p, "subject \"%s\", key id %s, serial %s, expires %s",
                        ocspr_cert_subject(cert, p),
                        key_id_or_none(ocspr_cert_subject_key_id(cert, p)),
                        ocspr_cert_serial(cert, p), time_str(p, ocspr_cert_not_after(cert)));
}

/* The issuer a certificate names: subject and key identifier. */
static const char *describe_wanted_issuer(apr_pool_t *p, const ocspr_cert_t *cert)
{
    return apr_psprintf(p, "\"%s\" with key id %s", ocspr_cert_issuer_name(cert, p),
                        key_id_or_none(ocspr_cert_authority_key_id(cert, p)));
}

static const char *list_certs(apr_pool_t *p, const apr_array_header_t *certs)
{
    const char *text = "";
    int i;

    for (i = 0; i < certs->nelts; i++) {
        const ocspr_cert_t *c = APR_ARRAY_IDX(certs, i, const ocspr_cert_t *);

        text = apr_psprintf(p, "%s%s\"%s\" (key id %s)", text, i ? ", " : "",
                            ocspr_cert_subject(c, p),
                            key_id_or_none(ocspr_cert_subject_key_id(c, p)));
    }
    return text;
}

/* ---- fixes: one text and one command from the same file ---------------- */

/* A shell command printing the issuer of leaf as PEM, from its caIssuers URL
 * (DER, or PKCS#7 for .p7c: RFC 5280 4.2.2.1); NULL without a URL. */
static const char *issuer_fetch_cmd(apr_pool_t *p, const ocspr_cert_t *leaf, const char **purl)
{
    apr_array_header_t *urls = ocspr_cert_ca_issuers_urls(leaf, p);
    const char *url;
    size_t len;

    *purl = NULL;
    if (urls->nelts == 0) {
        return NULL;
    }
    *purl = url = APR_ARRAY_IDX(urls, 0, const char *);
    len = strlen(url);
    if (len > 4 && strcasecmp(url + len - 4, ".p7c") == 0) {
        return apr_psprintf(p, "curl -s '%s' | openssl pkcs7 -inform DER -print_certs | "
                            "sed -n '/BEGIN/,/END/p'", url);
    }
    return apr_psprintf(p, "curl -s '%s' | openssl x509 -inform DER -outform PEM", url);
}

/* "the issuer "X" with key id K (the CA publishes it at URL)" */
static const char *issuer_words(apr_pool_t *p, const ocspr_cert_t *leaf, const char *url)
{
    return apr_psprintf(p, "the issuer %s (%s)", describe_wanted_issuer(p, leaf),
                        url != NULL
                        ? apr_psprintf(p, "the CA publishes it at %s, its caIssuers URL", url)
                        : "the certificate names no caIssuers URL: take it, as PEM, from your "
                          "CA's bundle");
}

/* Append the issuer of leaf to target. */
static const char *fix_append(apr_pool_t *p, const ocspr_cert_t *leaf, const char *target)
{
    const char *url, *cmd = issuer_fetch_cmd(p, leaf, &url);

    return apr_psprintf(p, "append %s to %s%s", issuer_words(p, leaf, url), target,
                        cmd ? apr_psprintf(p, ": `%s >> %s`", cmd, target) : "");
}

/* Replace a chain file's content (it holds nothing else) with the issuer. */
static const char *fix_replace_file(apr_pool_t *p, const ocspr_cert_t *leaf, const char *target)
{
    const char *url, *cmd = issuer_fetch_cmd(p, leaf, &url);

    return apr_psprintf(p, "replace the content of %s with %s%s", target,
                        issuer_words(p, leaf, url),
                        cmd ? apr_psprintf(p, ": `%s > %s`", cmd, target) : "");
}

/* Keep the server certificate of a certificate file, replace what follows. */
static const char *fix_replace_chain_in_cert_file(apr_pool_t *p, const ocspr_cert_t *leaf,
                                                  const char *target)
{
    const char *url, *cmd = issuer_fetch_cmd(p, leaf, &url);

    return apr_psprintf(p, "keep the server certificate in %s and replace the certificates "
                        "after it with %s%s", target, issuer_words(p, leaf, url),
                        cmd ? apr_psprintf(p, ": `{ openssl x509 -in %s; %s; } > %s.new && "
                                           "mv %s.new %s`", target, cmd, target, target,
                                           target) : "");
}

/* Replace one file of an SSLCACertificatePath and rebuild the hash links. */
static const char *fix_replace_in_ca_path(apr_pool_t *p, const ocspr_cert_t *leaf,
                                          const char *file, const char *dir)
{
    const char *url, *cmd = issuer_fetch_cmd(p, leaf, &url);

    return apr_psprintf(p, "replace %s in SSLCACertificatePath %s with %s and rebuild the "
                        "hash links%s", file, dir, issuer_words(p, leaf, url),
                        cmd ? apr_psprintf(p, ": `%s > %s && openssl rehash %s`", cmd, file, dir)
                            : apr_psprintf(p, " (`openssl rehash %s`)", dir));
}

/* Convert a DER or PKCS#7 file to PEM next to it, and point directive (if
 * any) at the result. */
static const char *fix_convert(apr_pool_t *p, const char *path, ocspr_cert_format_t format,
                               const char *directive)
{
    /* PEM-armoured PKCS#7 takes -inform PEM; DER is what CAs ship. */
    const char *cmd = format == OCSPR_FORMAT_PKCS7
        ? apr_psprintf(p, "openssl pkcs7 -in %s -inform DER -print_certs | "
                       "sed -n '/BEGIN/,/END/p' > %s.pem", path, path)
        : apr_psprintf(p, "openssl x509 -inform DER -in %s -out %s.pem", path, path);

    return directive != NULL
        ? apr_psprintf(p, "convert it to %s.pem: `%s`, and set `%s %s.pem`", path, cmd,
                       directive, path)
        : apr_psprintf(p, "convert it to %s.pem: `%s`", path, cmd);
}

/* Where mod_ssl should find the issuer: the chain file it reads, or the
 * certificate file. */
static const char *issuer_target(const ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc)
{
    return vc->chain.setting != NULL ? vc->chain.file->path : cc->file.file->path;
}

/* Replace the certificates that stand for the issuer in target. */
static const char *fix_replace_target(const ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc)
{
    return vc->chain.setting != NULL ? fix_replace_file(vc->p, cc->leaf, vc->chain.file->path)
                                     : fix_replace_chain_in_cert_file(vc->p, cc->leaf,
                                                                      cc->file.file->path);
}

/* How to turn stapling off for this vhost, for each mechanism that is on. */
static const char *stapling_off_fix(const ocspr_chain_vctx_t *vc)
{
    apr_pool_t *p = vc->p;
    const ocspr_chain_setting_t *settings[2] = { &vc->vh->use_stapling, &vc->vh->refresh };
    const char *names[2] = { "SSLUseStapling", "OCSPRefresh" };
    const char *fix = "";
    int i;

    for (i = 0; i < 2; i++) {
        const ocspr_chain_setting_t *s = settings[i];

        if (!ocspr_chain_setting_on(s)) {
            continue;
        }
        fix = apr_psprintf(p, "%s%s%s", fix, *fix ? "; " : "",
                           s->global || s->file == NULL
                           ? apr_psprintf(p, "add `%s Off` inside this vhost%s (it inherits %s "
                                          "On from %s)", names[i],
                                          vc->vh->file != NULL
                                          ? apr_psprintf(p, " (%s:%d)", vc->vh->file, vc->vh->line)
                                          : "", names[i], where(p, s))
                           : apr_psprintf(p, "set `%s Off` at %s", names[i], where(p, s)));
    }
    return fix;
}

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
    f->subject = vhost_where(p, vc->vh);
    if (cc != NULL) {
        f->subject = apr_psprintf(p, "%s, certificate %s (SSLCertificateFile at %s)%s%s",
                                  f->subject, cc->file.setting->value,
                                  where(p, cc->file.setting), cc->leaf != NULL ? ", " : "",
                                  cc->leaf != NULL ? describe(p, cc->leaf) : "");
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
                                 l->directive, l->setting->value, where(vc->p, l->setting),
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
                                 l->setting->value, where(vc->p, l->setting),
                                 format_name(l->file->format), consequence),
                    apr_psprintf(vc->p, "%s.", fix_convert(vc->p, l->setting->value,
                                                           l->file->format, l->directive)),
                    NULL);
}

/* ---- checks of one certificate ------------------------------------------- */

void ocspr_chain_check_order(ocspr_chain_vctx_t *vc, ocspr_chain_cctx_t *cc, int leaf_index)
{
    apr_array_header_t *first = apr_array_make(vc->p, leaf_index, sizeof(ocspr_cert_t *));
    int i;

    for (i = 0; i < leaf_index; i++) {
        APR_ARRAY_PUSH(first, const ocspr_cert_t *) =
            APR_ARRAY_IDX(cc->file.file->certs, i, const ocspr_cert_t *);
    }
    ocspr_chain_add(vc, cc, OCSPR_CHAIN_WRONG_ORDER, OCSPR_SEV_FATAL,
                    apr_psprintf(vc->p, "the file starts with the CA certificate%s %s and the "
                                 "server certificate comes at position %d; mod_ssl takes the "
                                 "first certificate as the server's, which does not match the "
                                 "private key, and refuses to start (AH02565).",
                                 leaf_index > 1 ? "s" : "", list_certs(vc->p, first),
                                 leaf_index + 1),
                    apr_psprintf(vc->p, "reorder %s: the server certificate \"%s\" first, then "
                                 "its issuer, then the issuer's issuer.", cc->file.file->path,
                                 ocspr_cert_subject(cc->leaf, vc->p)), cc->file.file->path);
}

int ocspr_chain_valid_now(const ocspr_chain_vctx_t *vc, const ocspr_cert_t *cert)
{
    apr_time_t not_after = ocspr_cert_not_after(cert);

    return (not_after == 0 || not_after >= vc->run->now)
           && ocspr_cert_not_before(cert) <= vc->run->now;
}

/* `who` names the certificate in the message ("the certificate", "the
 * issuer ..."). An expired certificate is still primed by mod_ssl (its issuer
 * search ignores validity): the expiry is the finding, not stapling. */
void ocspr_chain_check_validity(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                                const ocspr_cert_t *cert, const char *who, const char *fix)
{
    apr_time_t not_before = ocspr_cert_not_before(cert);
    apr_time_t not_after = ocspr_cert_not_after(cert);
    const char *what;

    if (ocspr_chain_valid_now(vc, cert)) {
        return;
    }
    if (not_after != 0 && not_after < vc->run->now) {
        what = apr_psprintf(vc->p, "%s expired on %s; clients refuse the chain.", who,
                            time_str(vc->p, not_after));
    }
    else {
        what = apr_psprintf(vc->p, "%s is not valid before %s; clients refuse the chain.", who,
                            time_str(vc->p, not_before));
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
                                     stapling_off_fix(vc)), NULL);
    }
}

/* Is cert one of certs (same object)? */
static int in_array(const apr_array_header_t *certs, const ocspr_cert_t *cert)
{
    int i;

    for (i = 0; i < certs->nelts; i++) {
        if (APR_ARRAY_IDX(certs, i, const ocspr_cert_t *) == cert) {
            return 1;
        }
    }
    return 0;
}

/* The fix for an issuer mod_ssl found but that must be replaced: where it was
 * found decides which file changes. One found in the CA store is shadowed by
 * a right one in the chain, which mod_ssl searches first. */
static const char *fix_found_issuer(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                                    const ocspr_cert_t *issuer, const char **pfile)
{
    const apr_array_header_t *extra = vc->chain.setting != NULL ? vc->extra : cc->rest;

    *pfile = issuer_target(vc, cc);
    if (in_array(extra, issuer)) {
        return fix_replace_target(vc, cc);
    }
    return apr_psprintf(vc->p, "it comes from the CA store (SSLCACertificateFile/Path), "
                        "searched after the chain: %s", fix_append(vc->p, cc->leaf, *pfile));
}

void ocspr_chain_check_found_issuer(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                                    const ocspr_cert_t *issuer)
{
    apr_pool_t *p = vc->p;
    const char *file, *fix;

    /* mod_ssl matched the name, and the key identifiers when both exist
     * (X509_check_issued): then a different key would need a reused key
     * identifier, and a signature check per vhost would cost more than the
     * rest of `-t`. Without them, only the signature tells the key. */
    if ((X509_get0_authority_key_id(ocspr_cert_x509(cc->leaf)) == NULL
         || X509_get0_subject_key_id(ocspr_cert_x509(issuer)) == NULL)
        && !ocspr_cert_issued_by(cc->leaf, issuer)) {
        /* mod_ssl matched the name but the signature is not the issuer's:
         * its OCSP request would carry the wrong key hash. */
        fix = fix_found_issuer(vc, cc, issuer, &file);
        ocspr_chain_add(vc, cc, OCSPR_CHAIN_ISSUER_OTHER_KEY, OCSPR_SEV_DEFEATS,
                        apr_psprintf(p, "mod_ssl takes %s as the issuer, but the certificate's "
                                     "signature does not verify with its key (key id %s; the "
                                     "certificate names key id %s): the OCSP request would name "
                                     "the wrong key and the responder answers unknown or "
                                     "unauthorized.", describe(p, issuer),
                                     key_id_or_none(ocspr_cert_subject_key_id(issuer, p)),
                                     key_id_or_none(ocspr_cert_authority_key_id(cc->leaf, p))),
                        apr_psprintf(p, "%s.", fix), file);
    }
    if (!ocspr_chain_valid_now(vc, issuer)) {
        fix = fix_found_issuer(vc, cc, issuer, &file);
        ocspr_chain_check_validity(vc, cc, issuer,
                                   apr_psprintf(p, "the issuer %s", describe(p, issuer)),
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
    apr_array_header_t *urls = ocspr_cert_ocsp_urls(cc->leaf, p);
    const char *url = NULL, *source = NULL;
    const char *fetcher = refresh ? "mod_ocsp_refresh" : "mod_ssl";

    if (refresh && vh->responder.value != NULL) {
        url = vh->responder.value;
        source = apr_psprintf(p, "OCSPRefreshResponder at %s", where(p, &vh->responder));
    }
    else if (!refresh && vh->force_url.value != NULL) {
        url = vh->force_url.value;
        source = apr_psprintf(p, "SSLStaplingForceURL at %s", where(p, &vh->force_url));
    }
    else if (urls->nelts > 0) {
        url = APR_ARRAY_IDX(urls, 0, const char *);
        source = "the certificate's Authority Information Access";
    }
    if (url == NULL) {
        ocspr_chain_add(vc, cc, OCSPR_CHAIN_NO_OCSP_URL, OCSPR_SEV_NOTICE,
                        "the certificate names no OCSP responder and none is configured, so "
                        "there is nothing to staple (many CAs dropped OCSP in 2025 and rely on "
                        "CRLs).",
                        cc->must_staple
                        ? "get a certificate without the Must-Staple extension: a Must-Staple "
                          "certificate without a responder cannot work."
                        : apr_psprintf(p, "nothing is broken; to stop the attempts, %s.",
                                       stapling_off_fix(vc)), NULL);
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
                                     url + 8, stapling_off_fix(vc)), NULL);
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
                                     where(vc->p, &vh->use_stapling)),
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
    const char *issuer = describe(p, c->cert);
    const char *target = issuer_target(vc, cc);

    switch (c->kind) {
    case OCSPR_SRC_CERT_FILE:
        ocspr_chain_add(vc, cc, OCSPR_CHAIN_CHAIN_FILE_OVERRIDES, OCSPR_SEV_SEARCH,
                        apr_psprintf(p, "the issuer (%s) is in the certificate file, but "
                                     "SSLCertificateChainFile %s is set (at %s), so mod_ssl "
                                     "reads only the first certificate of %s and ignores the "
                                     "chain after it; its issuer search fails%s.", issuer,
                                     vh->chain_file.value, where(p, &vh->chain_file),
                                     cc->file.setting->value, ah02217(vc)),
                        vh->chain_file.global
                        ? apr_psprintf(p, "the directive is inherited from the global scope: "
                                       "add `SSLCertificateChainFile %s` to this vhost (mod_ssl "
                                       "then skips the leaf and uses the rest of that file), or "
                                       "remove SSLCertificateChainFile from %s.",
                                       cc->file.setting->value, where(p, &vh->chain_file))
                        : apr_psprintf(p, "remove SSLCertificateChainFile at %s (obsolete since "
                                       "httpd 2.4.8: the chain belongs in SSLCertificateFile); "
                                       "or %s.", where(p, &vh->chain_file),
                                       fix_append(p, cc->leaf, target)),
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
                                         "fails%s.", issuer, c->path, where(p, &vh->ca_path),
                                         format_name(c->format), ah02217(vc)),
                            apr_psprintf(p, "%s, then rebuild the hash links: `openssl "
                                         "rehash %s`.", fix_convert(p, c->path, c->format, NULL),
                                         vh->ca_path.value), NULL);
            return;
        }
        ocspr_chain_add(vc, cc, OCSPR_CHAIN_CA_PATH_NOT_HASHED, OCSPR_SEV_SEARCH,
                        apr_psprintf(p, "the issuer (%s) is in %s in SSLCACertificatePath (at "
                                     "%s), but OpenSSL looks certificates up there only by "
                                     "subject hash (%08lx.0) and no such link points to it, so "
                                     "mod_ssl's issuer search fails%s.", issuer, c->path,
                                     where(p, &vh->ca_path),
                                     X509_NAME_hash_ex(X509_get_issuer_name(ocspr_cert_x509(cc->leaf)),
                                                       NULL, NULL, NULL), ah02217(vc)),
                        apr_psprintf(p, "either rebuild the hash links: `openssl rehash %s`; "
                                     "or %s.", vh->ca_path.value, fix_append(p, cc->leaf, target)),
                        NULL);
        return;
    }
    ocspr_chain_add(vc, cc, OCSPR_CHAIN_ISSUER_REJECTED, OCSPR_SEV_SEARCH,
                    apr_psprintf(p, "the issuer (%s) is in %s, but mod_ssl's search does not "
                                 "accept it there%s.", issuer, c->path, ah02217(vc)),
                    apr_psprintf(p, "%s.", fix_append(p, cc->leaf, target)), target);
}

/* The fixes for a certificate of the issuer's name but another key, by the
 * file it sits in. */
static const char *fix_impostor(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                                const ocspr_chain_candidate_t *c, const char **pfile)
{
    apr_pool_t *p = vc->p;
    const char *target = issuer_target(vc, cc);

    switch (c->kind) {
    case OCSPR_SRC_CERT_FILE:
        *pfile = c->path;
        return fix_replace_chain_in_cert_file(p, cc->leaf, c->path);
    case OCSPR_SRC_CHAIN_FILE:
        *pfile = c->path;
        return fix_replace_file(p, cc->leaf, c->path);
    case OCSPR_SRC_CA_FILE:
        /* A CA file holds other CAs: add the right one, do not replace. */
        *pfile = c->path;
        return apr_psprintf(p, "either %s; or %s", fix_append(p, cc->leaf, c->path),
                            fix_append(p, cc->leaf, target));
    default:
        *pfile = c->path;
        return apr_psprintf(p, "either %s; or %s (mod_ssl searches the chain before "
                            "SSLCACertificatePath)",
                            fix_replace_in_ca_path(p, cc->leaf, c->path, vc->vh->ca_path.value),
                            fix_append(p, cc->leaf, target));
    }
}

/* A certificate of the issuer's name that is not the issuer. */
static void diagnose_impostor(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                              const ocspr_chain_candidate_t *c)
{
    apr_pool_t *p = vc->p;
    int rc = X509_check_issued(ocspr_cert_x509(c->cert), ocspr_cert_x509(cc->leaf));
    const char *file, *fix = fix_impostor(vc, cc, c, &file);

    ERR_clear_error();
    if (rc == X509_V_OK || rc == X509_V_ERR_AKID_SKID_MISMATCH
        || rc == X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH) {
        ocspr_chain_add(vc, cc, OCSPR_CHAIN_ISSUER_OTHER_KEY, OCSPR_SEV_SEARCH,
                        apr_psprintf(p, "%s holds a certificate with the issuer's name, %s, "
                                     "but another key: the certificate was signed by key id "
                                     "%s, that one has key id %s (an old or re-keyed "
                                     "intermediate), so mod_ssl's issuer search fails%s.",
                                     c->path, describe(p, c->cert),
                                     key_id_or_none(ocspr_cert_authority_key_id(cc->leaf, p)),
                                     key_id_or_none(ocspr_cert_subject_key_id(c->cert, p)),
                                     ah02217(vc)),
                        apr_psprintf(p, "%s.", fix), file);
        return;
    }
    ocspr_chain_add(vc, cc, OCSPR_CHAIN_ISSUER_REJECTED, OCSPR_SEV_SEARCH,
                    apr_psprintf(p, "%s holds the issuer %s, but OpenSSL rejects it as issuer: "
                                 "%s%s.", c->path, describe(p, c->cert),
                                 X509_verify_cert_error_string(rc), ah02217(vc)),
                    apr_psprintf(p, "%s.", fix), file);
}

void ocspr_chain_diagnose_missing(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                                  const apr_array_header_t *extra)
{
    apr_pool_t *p = vc->p;
    apr_array_header_t *all = ocspr_chain_candidates(vc, cc);
    const X509_NAME *wanted_name = X509_get_issuer_name(ocspr_cert_x509(cc->leaf));
    const ocspr_chain_candidate_t *same_name = NULL;
    const char *target = issuer_target(vc, cc);
    ocspr_chain_pending_t *pf;
    int i;

    for (i = 0; i < all->nelts; i++) {
        const ocspr_chain_candidate_t *c = &APR_ARRAY_IDX(all, i, ocspr_chain_candidate_t);

        if (ocspr_cert_issued_by(cc->leaf, c->cert)) {
            diagnose_found_elsewhere(vc, cc, c);
            return;
        }
        if (same_name == NULL
            && X509_NAME_cmp(X509_get_subject_name(ocspr_cert_x509(c->cert)), wanted_name) == 0) {
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
                                          list_certs(p, extra),
                                          describe_wanted_issuer(p, cc->leaf), ah02217(vc)),
                             apr_psprintf(p, "%s.", fix_replace_target(vc, cc)), target);
        /* Other vhosts may need what the file holds: add, do not replace. */
        pf->fix_if_shared = apr_psprintf(p, "%s.", fix_append(p, cc->leaf, target));
        return;
    }
    ocspr_chain_add(vc, cc, OCSPR_CHAIN_ISSUER_MISSING, OCSPR_SEV_SEARCH,
                    apr_psprintf(p, "only the certificate is configured: its issuer %s is in no "
                                 "file mod_ssl searches (%s%s%s; never the system trust "
                                 "store)%s.", describe_wanted_issuer(p, cc->leaf),
                                 vc->chain.setting != NULL
                                 ? "SSLCertificateChainFile" : "the rest of the certificate file",
                                 vc->vh->ca_file.value != NULL ? ", SSLCACertificateFile" : "",
                                 vc->vh->ca_path.value != NULL ? ", SSLCACertificatePath" : "",
                                 ah02217(vc)),
                    apr_psprintf(p, "%s.", fix_append(p, cc->leaf, target)), target);
}

void ocspr_chain_report_foreign(ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc,
                                const char *path, const apr_array_header_t *chain,
                                const apr_array_header_t *anchors)
{
    apr_array_header_t *unused = ocspr_chain_unused(vc->p, chain, anchors);
    ocspr_chain_pending_t *pf;

    if (unused->nelts == 0) {
        return;
    }
    pf = ocspr_chain_add(vc, cc, OCSPR_CHAIN_FOREIGN_INTERMEDIATE, OCSPR_SEV_WARNING,
                         apr_psprintf(vc->p, "%s also holds %s, which issue%s no certificate "
                                      "of this chain; mod_ssl sends %s to every client for "
                                      "nothing.", path, list_certs(vc->p, unused),
                                      unused->nelts == 1 ? "s" : "",
                                      unused->nelts == 1 ? "it" : "them"),
                         apr_psprintf(vc->p, "remove %s from %s.",
                                      unused->nelts == 1 ? "it" : "them", path), path);
    /* Another vhost may need them: split the file rather than cut it. */
    pf->fix_if_shared = apr_psprintf(vc->p, "give this vhost a chain file of its own, without "
                                     "%s, instead of %s.", list_certs(vc->p, unused), path);
}

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
    apr_array_header_t *others = ocspr_chain_other_users(run, path, vr->vh);
    const char *text = "";
    int i;

    if (others->nelts == 0) {
        return "";
    }
    for (i = 0; i < others->nelts && i < 5; i++) {
        const ocspr_chain_use_t *u = &APR_ARRAY_IDX(others, i, ocspr_chain_use_t);

        text = apr_psprintf(run->p, "%s%svhost %s (%s at %s)", text, i ? ", " : "", u->vh->name,
                            u->directive, where(run->p, u->setting));
    }
    return apr_psprintf(run->p, " Note: %s is also used by %s%s; the change applies to %s too.",
                        path, text, others->nelts > 5
                        ? apr_psprintf(run->p, " and %d more vhosts", others->nelts - 5) : "",
                        others->nelts == 1 ? "that vhost" : "them");
}

void ocspr_chain_settle(ocspr_chain_run_t *run, ocspr_chain_vrec_t *vr)
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
        f->message = apr_psprintf(p, "%s: %s%s Fix: %s%s", pf->subject, pf->what, consequence,
                                  f->fix, pf->must_staple
                                  ? " This certificate is Must-Staple (RFC 7633): browsers "
                                    "refuse the site without a valid staple." : "");
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
    cc.must_staple = c->cert != NULL && ocspr_cert_must_staple(c->cert);
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
