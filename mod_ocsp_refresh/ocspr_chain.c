/* Chain analysis for diagnostics.
 *
 * The first half reproduces mod_ssl's issuer search for a certificate
 * (httpd 2.4 ssl_util_stapling.c stapling_get_issuer, with the loading of
 * ssl_engine_init.c) using the same OpenSSL calls, so that "found" here means
 * found there. The second half runs only when that search fails or finds
 * something odd: it reads every file the admin has, in every format, to name
 * the real cause and the fix.
 *
 * What mod_ssl does, with OpenSSL 3:
 * - Without SSLCertificateChainFile, each SSLCertificateFile is loaded with
 *   SSL_CTX_use_certificate_chain_file: the first PEM certificate is the
 *   server certificate, the following ones its own chain. The search looks at
 *   that chain (SSL_CTX_get_extra_chain_certs falls back to the current
 *   certificate's chain when no extra certificates exist).
 * - With SSLCertificateChainFile, certificate files are read with
 *   SSL_CTX_use_certificate_file (first certificate only) and the chain file's
 *   PEM certificates become the extra certificates of every certificate of
 *   the vhost (skipping the first when the chain file is also a certificate
 *   file). A DER or PKCS#7 chain file silently yields none.
 * - The first extra certificate for which X509_check_issued succeeds wins;
 *   otherwise X509_STORE_CTX_get1_issuer on the store made of
 *   SSLCACertificateFile (PEM) and SSLCACertificatePath (hashed names, PEM).
 *   The system trust store is never used.
 */
#include <string.h>
#include <apr_file_info.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "ocspr_chain.h"
#include "ocspr_tags.h"

/* An SSLCACertificatePath is scanned (when its hash lookup failed) up to this
 * many files: enough for any real directory, bounded for a wrong one such as
 * /etc. */
#define CA_PATH_SCAN_MAX 2000

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
};

/* How bad a finding is, independent of the vhost. */
typedef enum {
    SEV_FATAL,     /* mod_ssl refuses to start, or browsers refuse the site */
    SEV_ERROR,     /* always an error; breaks stapling when stapling is on */
    SEV_CHAIN,     /* breaks stapling when on; otherwise a warning (clients
                    * that do not cache intermediates fail the same way) */
    SEV_WARNING,   /* worth fixing, stapling works */
    SEV_NOTICE     /* nothing to staple, by the CA's choice */
} severity_t;

typedef enum {
    SRC_CERT_FILE, SRC_CHAIN_FILE, SRC_CA_FILE, SRC_CA_PATH
} source_kind_t;

/* One file as the analysis read it: any format, unlike mod_ssl. */
typedef struct {
    const ocspr_chain_setting_t *setting;
    const char *directive;
    apr_status_t rv;
    ocspr_cert_format_t format;
    apr_array_header_t *certs;      /* ocspr_cert_t*, NULL when rv fails */
} loaded_t;

/* A certificate found somewhere, remembered for the diagnosis. */
typedef struct {
    const ocspr_cert_t *cert;
    source_kind_t kind;
    const char *path;
    ocspr_cert_format_t format;
} candidate_t;

typedef struct {
    apr_pool_t *p;
    const ocspr_chain_vhost_t *vh;
    apr_time_t now;
    ocspr_chain_report_t *report;
    int mod_ssl_staples;            /* SSLUseStapling On */
    int refresh;                    /* OCSPRefresh On: we staple */
    loaded_t chain;                 /* SSLCertificateChainFile, setting NULL if unset */
    apr_array_header_t *extra;      /* what mod_ssl makes of the chain file */
    loaded_t ca_file;
    apr_array_header_t *ca_path_certs;  /* candidate_t, scanned on demand */
    X509_STORE *store;
    apr_array_header_t *anchors;    /* ocspr_cert_t*: every certificate of the
                                     * certificate files; a chain file certificate
                                     * that issues none of them is foreign */
    int chain_reported;             /* a finding already lists the chain file */
} vhost_ctx_t;

/* The certificate under analysis. */
typedef struct {
    loaded_t file;
    const ocspr_cert_t *leaf;
    apr_array_header_t *rest;       /* the file's other certificates, in order */
    int must_staple;
    int breaks;
} cert_ctx_t;

/* ---- message pieces --------------------------------------------------- */

int ocspr_chain_setting_on(const ocspr_chain_setting_t *setting)
{
    return setting->value != NULL && strcasecmp(setting->value, "on") == 0;
}

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

static const char *ca_issuers_hint(apr_pool_t *p, const ocspr_cert_t *cert, const char *target)
{
    apr_array_header_t *urls = ocspr_cert_ca_issuers_urls(cert, p);
    const char *url;
    size_t len;

    if (urls->nelts == 0) {
        return "; the certificate names no caIssuers URL: take the intermediate from your CA's "
               "bundle";
    }
    url = APR_ARRAY_IDX(urls, 0, const char *);
    len = strlen(url);
    /* caIssuers serves DER, or PKCS#7 for .p7c (RFC 5280 4.2.2.1). */
    if (len > 4 && strcasecmp(url + len - 4, ".p7c") == 0) {
        return apr_psprintf(p, "; the CA publishes it at %s (caIssuers): `curl -s '%s' | "
                            "openssl pkcs7 -inform DER -print_certs | "
                            "sed -n '/BEGIN/,/END/p' >> %s`", url, url, target);
    }
    return apr_psprintf(p, "; the CA publishes it at %s (caIssuers): `curl -s '%s' | "
                        "openssl x509 -inform DER -outform PEM >> %s`", url, url, target);
}

static const char *convert_command(apr_pool_t *p, const char *path, ocspr_cert_format_t format)
{
    if (format == OCSPR_FORMAT_PKCS7) {
        /* PEM-armoured PKCS#7 takes -inform PEM; DER is what CAs ship. */
        return apr_psprintf(p, "`openssl pkcs7 -in %s -inform DER -print_certs | "
                            "sed -n '/BEGIN/,/END/p' > %s.pem`", path, path);
    }
    return apr_psprintf(p, "`openssl x509 -inform DER -in %s -out %s.pem`", path, path);
}

/* ---- findings ---------------------------------------------------------- */

static void add_finding(vhost_ctx_t *vc, cert_ctx_t *cc, ocspr_chain_code_t code,
                        severity_t sev, const char *what, const char *fix)
{
    apr_pool_t *p = vc->p;
    ocspr_chain_finding_t *f = apr_array_push(vc->report->findings);
    int wanted = vc->report->stapling_wanted;
    const char *vhost, *cert = "";
    apr_size_t i;

    f->code = code;
    f->tag = "OCSPR0400";
    f->name = "unknown";
    for (i = 0; i < sizeof(code_table) / sizeof(code_table[0]); i++) {
        if (code_table[i].code == code) {
            f->tag = code_table[i].tag;
            f->name = code_table[i].name;
        }
    }
    switch (sev) {
    case SEV_FATAL:   f->level = OCSPR_LOG_ERR; f->breaks_stapling = 1; break;
    case SEV_ERROR:   f->level = OCSPR_LOG_ERR; f->breaks_stapling = wanted; break;
    case SEV_CHAIN:   f->level = wanted ? OCSPR_LOG_ERR : OCSPR_LOG_WARNING;
                      f->breaks_stapling = wanted; break;
    case SEV_WARNING: f->level = OCSPR_LOG_WARNING; f->breaks_stapling = 0; break;
    default:          f->level = OCSPR_LOG_NOTICE; f->breaks_stapling = 0; break;
    }
    if (cc != NULL && cc->must_staple && f->level > OCSPR_LOG_ERR) {
        f->level = OCSPR_LOG_ERR;
    }
    if (cc != NULL && f->breaks_stapling) {
        cc->breaks = 1;
    }
    vhost = vc->vh->file != NULL
        ? apr_psprintf(p, "vhost %s (%s:%d)", vc->vh->name, vc->vh->file, vc->vh->line)
        : apr_psprintf(p, "vhost %s (main server)", vc->vh->name);
    if (cc != NULL) {
        cert = apr_psprintf(p, ", certificate %s (SSLCertificateFile at %s)%s%s",
                            cc->file.setting->value, where(p, cc->file.setting),
                            cc->leaf != NULL ? ", " : "",
                            cc->leaf != NULL ? describe(p, cc->leaf) : "");
    }
    f->message = apr_psprintf(p, "%s%s: %s Fix: %s%s", vhost, cert, what, fix,
                              cc != NULL && cc->must_staple
                              ? " This certificate is Must-Staple (RFC 7633): browsers refuse "
                                "the site without a valid staple." : "");
}

int ocspr_chain_report_breaks(const ocspr_chain_report_t *report)
{
    int i;

    for (i = 0; i < report->findings->nelts; i++) {
        if (APR_ARRAY_IDX(report->findings, i, ocspr_chain_finding_t).breaks_stapling) {
            return 1;
        }
    }
    return 0;
}

/* ---- loading ----------------------------------------------------------- */

static void load(loaded_t *l, apr_pool_t *p, const ocspr_chain_setting_t *setting,
                 const char *directive)
{
    l->setting = setting;
    l->directive = directive;
    l->rv = ocspr_chain_load_file(&l->certs, &l->format, p, setting->value);
}

static const char *load_error(apr_pool_t *p, const loaded_t *l)
{
    char buf[256];

    if (l->rv == OCSPR_EINVALID) {
        return "it holds no certificate OpenSSL can parse (or is over the size limit)";
    }
    return apr_psprintf(p, "it cannot be read: %s", apr_strerror(l->rv, buf, sizeof(buf)));
}

static void report_unreadable(vhost_ctx_t *vc, cert_ctx_t *cc, const loaded_t *l)
{
    add_finding(vc, cc, OCSPR_CHAIN_UNREADABLE, SEV_FATAL,
                apr_psprintf(vc->p, "%s %s (at %s): %s; mod_ssl will refuse to start.",
                             l->directive, l->setting->value, where(vc->p, l->setting),
                             load_error(vc->p, l)),
                "make the file readable by the user that starts httpd (usually root) and "
                "check that it holds PEM certificates (`openssl x509 -in FILE -noout -subject`).");
}

/* The certificates mod_ssl's PEM reader takes from the chain file. */
static void setup_chain(vhost_ctx_t *vc)
{
    const ocspr_chain_vhost_t *vh = vc->vh;
    int i, skip_first = 0;

    vc->extra = apr_array_make(vc->p, 4, sizeof(ocspr_cert_t *));
    if (vh->chain_file.value == NULL) {
        return;
    }
    load(&vc->chain, vc->p, &vh->chain_file, "SSLCertificateChainFile");
    if (vc->chain.rv != APR_SUCCESS) {
        report_unreadable(vc, NULL, &vc->chain);
        return;
    }
    if (vc->chain.format != OCSPR_FORMAT_PEM) {
        vc->chain_reported = 1;
        add_finding(vc, NULL, OCSPR_CHAIN_NOT_PEM, SEV_CHAIN,
                    apr_psprintf(vc->p, "SSLCertificateChainFile %s (at %s) is %s; mod_ssl reads "
                                 "only PEM there and silently loads no certificate from it, so "
                                 "no intermediate is sent and stapling finds no issuer "
                                 "(AH02217).", vh->chain_file.value,
                                 where(vc->p, &vh->chain_file), format_name(vc->chain.format)),
                    apr_psprintf(vc->p, "convert it with %s and point SSLCertificateChainFile "
                                 "(or better, append it to the SSLCertificateFile and drop "
                                 "SSLCertificateChainFile) at the PEM file.",
                                 convert_command(vc->p, vh->chain_file.value,
                                                 vc->chain.format)));
        return;
    }
    for (i = 0; i < vh->cert_files->nelts; i++) {
        const ocspr_chain_setting_t *cf = &APR_ARRAY_IDX(vh->cert_files, i, ocspr_chain_setting_t);

        if (cf->value != NULL && strcmp(cf->value, vh->chain_file.value) == 0) {
            skip_first = 1;
        }
    }
    for (i = skip_first; i < vc->chain.certs->nelts; i++) {
        APR_ARRAY_PUSH(vc->extra, const ocspr_cert_t *) =
            APR_ARRAY_IDX(vc->chain.certs, i, const ocspr_cert_t *);
    }
}

/* SSLCACertificateFile/Path as mod_ssl's SSL_CTX_load_verify_file/dir. */
static apr_status_t setup_store(vhost_ctx_t *vc)
{
    const ocspr_chain_vhost_t *vh = vc->vh;

    vc->store = X509_STORE_new();
    if (vc->store == NULL) {
        return APR_ENOMEM;
    }
    if (vh->ca_file.value != NULL) {
        load(&vc->ca_file, vc->p, &vh->ca_file, "SSLCACertificateFile");
        if (vc->ca_file.rv != APR_SUCCESS) {
            report_unreadable(vc, NULL, &vc->ca_file);
        }
        else if (vc->ca_file.format != OCSPR_FORMAT_PEM) {
            add_finding(vc, NULL, OCSPR_CHAIN_NOT_PEM, SEV_FATAL,
                        apr_psprintf(vc->p, "SSLCACertificateFile %s (at %s) is %s; mod_ssl "
                                     "reads only PEM and refuses to start (AH01895).",
                                     vh->ca_file.value, where(vc->p, &vh->ca_file),
                                     format_name(vc->ca_file.format)),
                        apr_psprintf(vc->p, "convert it with %s and point "
                                     "SSLCACertificateFile at the PEM file.",
                                     convert_command(vc->p, vh->ca_file.value,
                                                     vc->ca_file.format)));
        }
        else {
            X509_STORE_load_file(vc->store, vh->ca_file.value);
        }
    }
    if (vh->ca_path.value != NULL) {
        X509_STORE_load_path(vc->store, vh->ca_path.value);
    }
    ERR_clear_error();
    return APR_SUCCESS;
}

/* Every certificate in the files of an SSLCACertificatePath, whatever their
 * names: the diagnosis wants to know what is there, not what OpenSSL's
 * hashed lookup can see. */
static apr_array_header_t *ca_path_certs(vhost_ctx_t *vc)
{
    apr_dir_t *dir;
    apr_finfo_t entry;
    int scanned = 0;

    if (vc->ca_path_certs != NULL) {
        return vc->ca_path_certs;
    }
    vc->ca_path_certs = apr_array_make(vc->p, 8, sizeof(candidate_t));
    if (vc->vh->ca_path.value == NULL
        || apr_dir_open(&dir, vc->vh->ca_path.value, vc->p) != APR_SUCCESS) {
        return vc->ca_path_certs;
    }
    while (scanned++ < CA_PATH_SCAN_MAX
           && apr_dir_read(&entry, APR_FINFO_NAME | APR_FINFO_TYPE, dir) == APR_SUCCESS) {
        const char *path;
        apr_finfo_t target;
        apr_array_header_t *certs;
        ocspr_cert_format_t format;
        int i;

        if (entry.name[0] == '.') {
            continue;
        }
        path = apr_pstrcat(vc->p, vc->vh->ca_path.value, "/", entry.name, NULL);
        /* A hash link and its target are the same certificate: keep one. */
        if (entry.filetype == APR_LNK
            || apr_stat(&target, path, APR_FINFO_TYPE, vc->p) != APR_SUCCESS
            || target.filetype != APR_REG
            || ocspr_chain_load_file(&certs, &format, vc->p, path) != APR_SUCCESS) {
            continue;
        }
        for (i = 0; i < certs->nelts; i++) {
            candidate_t *c = apr_array_push(vc->ca_path_certs);

            c->cert = APR_ARRAY_IDX(certs, i, const ocspr_cert_t *);
            c->kind = SRC_CA_PATH;
            c->path = path;
            c->format = format;
        }
    }
    apr_dir_close(dir);
    return vc->ca_path_certs;
}

/* ---- mod_ssl's search ---------------------------------------------------- */

static const ocspr_cert_t *modssl_get_issuer(vhost_ctx_t *vc, const ocspr_cert_t *leaf,
                                             const apr_array_header_t *extra)
{
    X509 *x = ocspr_cert_x509(leaf);
    X509 *issuer = NULL;
    X509_STORE_CTX *ctx;
    int i;

    for (i = 0; i < extra->nelts; i++) {
        const ocspr_cert_t *candidate = APR_ARRAY_IDX(extra, i, const ocspr_cert_t *);

        if (X509_check_issued(ocspr_cert_x509(candidate), x) == X509_V_OK) {
            ERR_clear_error();
            return candidate;
        }
    }
    ctx = X509_STORE_CTX_new();
    if (ctx != NULL && X509_STORE_CTX_init(ctx, vc->store, NULL, NULL)
        && X509_STORE_CTX_get1_issuer(&issuer, ctx, x) <= 0) {
        issuer = NULL;
    }
    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
    return issuer != NULL ? ocspr_cert_wrap(vc->p, issuer) : NULL;
}

/* ---- diagnosis --------------------------------------------------------- */

static void push_candidates(apr_array_header_t *all, const apr_array_header_t *certs,
                            source_kind_t kind, const char *path, ocspr_cert_format_t format)
{
    int i;

    for (i = 0; certs != NULL && i < certs->nelts; i++) {
        candidate_t *c = apr_array_push(all);

        c->cert = APR_ARRAY_IDX(certs, i, const ocspr_cert_t *);
        c->kind = kind;
        c->path = path;
        c->format = format;
    }
}

/* Everything the admin has, in the order mod_ssl would look. */
static apr_array_header_t *all_candidates(vhost_ctx_t *vc, const cert_ctx_t *cc)
{
    apr_array_header_t *all = apr_array_make(vc->p, 8, sizeof(candidate_t));

    push_candidates(all, cc->rest, SRC_CERT_FILE, cc->file.setting->value, cc->file.format);
    if (vc->chain.setting != NULL && vc->chain.rv == APR_SUCCESS) {
        push_candidates(all, vc->chain.certs, SRC_CHAIN_FILE, vc->chain.setting->value,
                        vc->chain.format);
    }
    if (vc->ca_file.setting != NULL && vc->ca_file.rv == APR_SUCCESS) {
        push_candidates(all, vc->ca_file.certs, SRC_CA_FILE, vc->ca_file.setting->value,
                        vc->ca_file.format);
    }
    apr_array_cat(all, ca_path_certs(vc));
    return all;
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

/* Where the missing issuer must go: the chain file mod_ssl reads, or the
 * certificate file. */
static const char *issuer_target(const vhost_ctx_t *vc, const cert_ctx_t *cc)
{
    return vc->chain.setting != NULL ? vc->chain.setting->value : cc->file.setting->value;
}

static void diagnose_found_elsewhere(vhost_ctx_t *vc, cert_ctx_t *cc, const candidate_t *c)
{
    apr_pool_t *p = vc->p;
    const ocspr_chain_vhost_t *vh = vc->vh;
    const char *issuer = describe(p, c->cert);

    switch (c->kind) {
    case SRC_CERT_FILE:
        add_finding(vc, cc, OCSPR_CHAIN_CHAIN_FILE_OVERRIDES, SEV_CHAIN,
                    apr_psprintf(p, "the issuer (%s) is in the certificate file, but "
                                 "SSLCertificateChainFile %s is set (at %s), so mod_ssl reads "
                                 "only the first certificate of %s and ignores the chain after "
                                 "it; the issuer search fails (AH02217).", issuer,
                                 vh->chain_file.value, where(p, &vh->chain_file),
                                 cc->file.setting->value),
                    vh->chain_file.global
                    ? apr_psprintf(p, "the directive is inherited from the global scope: add "
                                   "`SSLCertificateChainFile %s` to this vhost (mod_ssl then "
                                   "skips the leaf and uses the rest of that file), or remove "
                                   "SSLCertificateChainFile from %s.",
                                   cc->file.setting->value, where(p, &vh->chain_file))
                    : apr_psprintf(p, "remove SSLCertificateChainFile at %s (obsolete since "
                                   "httpd 2.4.8: the chain belongs in SSLCertificateFile), or "
                                   "append the issuer to %s.", where(p, &vh->chain_file),
                                   vh->chain_file.value));
        return;
    case SRC_CHAIN_FILE:
    case SRC_CA_FILE:
        /* The file's format was reported once for the vhost; this certificate
         * depends on it. */
        if (c->format != OCSPR_FORMAT_PEM) {
            cc->breaks = vc->report->stapling_wanted;
            return;
        }
        break;
    case SRC_CA_PATH:
        if (c->format != OCSPR_FORMAT_PEM) {
            add_finding(vc, cc, OCSPR_CHAIN_NOT_PEM, SEV_CHAIN,
                        apr_psprintf(p, "the issuer (%s) is in %s in SSLCACertificatePath "
                                     "(at %s), but that file is %s and OpenSSL's directory "
                                     "lookup reads only PEM.", issuer, c->path,
                                     where(p, &vh->ca_path), format_name(c->format)),
                        apr_psprintf(p, "convert it with %s, then run `openssl rehash %s`.",
                                     convert_command(p, c->path, c->format),
                                     vh->ca_path.value));
            return;
        }
        add_finding(vc, cc, OCSPR_CHAIN_CA_PATH_NOT_HASHED, SEV_CHAIN,
                    apr_psprintf(p, "the issuer (%s) is in %s in SSLCACertificatePath (at %s), "
                                 "but OpenSSL looks certificates up there only by subject "
                                 "hash (%08lx.0) and no such link points to it.", issuer,
                                 c->path, where(p, &vh->ca_path),
                                 X509_NAME_hash_ex(X509_get_issuer_name(ocspr_cert_x509(cc->leaf)),
                                                   NULL, NULL, NULL)),
                    apr_psprintf(p, "run `openssl rehash %s` (or c_rehash), or append the "
                                 "issuer to %s.", vh->ca_path.value, issuer_target(vc, cc)));
        return;
    }
    add_finding(vc, cc, OCSPR_CHAIN_ISSUER_REJECTED, SEV_CHAIN,
                apr_psprintf(p, "the issuer (%s) is in %s, but mod_ssl's search does not "
                             "accept it there.", issuer, c->path),
                apr_psprintf(p, "append the issuer to %s.", issuer_target(vc, cc)));
}

/* A certificate of the issuer's name that is not the issuer. */
static void diagnose_impostor(vhost_ctx_t *vc, cert_ctx_t *cc, const candidate_t *c)
{
    apr_pool_t *p = vc->p;
    int rc = X509_check_issued(ocspr_cert_x509(c->cert), ocspr_cert_x509(cc->leaf));

    ERR_clear_error();
    if (rc == X509_V_OK || rc == X509_V_ERR_AKID_SKID_MISMATCH
        || rc == X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH) {
        add_finding(vc, cc, OCSPR_CHAIN_ISSUER_OTHER_KEY, SEV_CHAIN,
                    apr_psprintf(p, "%s holds a certificate with the issuer's name, %s, but "
                                 "another key: the certificate was signed by key id %s, that "
                                 "one has key id %s (an old or re-keyed intermediate).",
                                 c->path, describe(p, c->cert),
                                 key_id_or_none(ocspr_cert_authority_key_id(cc->leaf, p)),
                                 key_id_or_none(ocspr_cert_subject_key_id(c->cert, p))),
                    apr_psprintf(p, "replace it in %s with the intermediate %s%s.", c->path,
                                 describe_wanted_issuer(p, cc->leaf),
                                 ca_issuers_hint(p, cc->leaf, issuer_target(vc, cc))));
        return;
    }
    add_finding(vc, cc, OCSPR_CHAIN_ISSUER_REJECTED, SEV_CHAIN,
                apr_psprintf(p, "%s holds the issuer %s, but OpenSSL rejects it as issuer: %s.",
                             c->path, describe(p, c->cert), X509_verify_cert_error_string(rc)),
                apr_psprintf(p, "get the CA's current intermediate %s%s.",
                             describe_wanted_issuer(p, cc->leaf),
                             ca_issuers_hint(p, cc->leaf, issuer_target(vc, cc))));
}

static void diagnose_missing_issuer(vhost_ctx_t *vc, cert_ctx_t *cc,
                                    const apr_array_header_t *extra)
{
    apr_pool_t *p = vc->p;
    apr_array_header_t *all = all_candidates(vc, cc);
    const X509_NAME *wanted_name = X509_get_issuer_name(ocspr_cert_x509(cc->leaf));
    const candidate_t *same_name = NULL;
    const char *target = issuer_target(vc, cc);
    int i;

    for (i = 0; i < all->nelts; i++) {
        const candidate_t *c = &APR_ARRAY_IDX(all, i, candidate_t);

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
        add_finding(vc, cc, OCSPR_CHAIN_FOREIGN_INTERMEDIATE, SEV_CHAIN,
                    apr_psprintf(p, "the chain in %s holds %s, which belong to another chain; "
                                 "this certificate needs its issuer %s.", target,
                                 list_certs(p, extra), describe_wanted_issuer(p, cc->leaf)),
                    apr_psprintf(p, "replace the intermediates in %s with the issuer%s.",
                                 target, ca_issuers_hint(p, cc->leaf, target)));
        return;
    }
    add_finding(vc, cc, OCSPR_CHAIN_ISSUER_MISSING, SEV_CHAIN,
                apr_psprintf(p, "only the certificate is configured: its issuer %s is in no "
                             "file mod_ssl searches (%s%s%s%s), so mod_ssl logs \"AH02217: "
                             "can't retrieve issuer certificate\" and nobody can staple.",
                             describe_wanted_issuer(p, cc->leaf),
                             vc->chain.setting != NULL
                             ? "SSLCertificateChainFile" : "the rest of the certificate file",
                             vc->vh->ca_file.value != NULL ? ", SSLCACertificateFile" : "",
                             vc->vh->ca_path.value != NULL ? ", SSLCACertificatePath" : "",
                             "; never the system trust store"),
                apr_psprintf(p, "append the issuer (PEM) to %s%s.", target,
                             ca_issuers_hint(p, cc->leaf, target)));
}

/* Certificates of a chain that issue none of `anchors` nor any certificate
 * that does: they belong to another chain. */
static apr_array_header_t *unused_chain_certs(apr_pool_t *p, const apr_array_header_t *chain,
                                              const apr_array_header_t *anchors)
{
    char *used = apr_pcalloc(p, (apr_size_t)chain->nelts + 1);
    apr_array_header_t *unused = apr_array_make(p, 2, sizeof(ocspr_cert_t *));
    int progress = 1, i, j;

    /* Each pass marks at least one more certificate or ends the loop. */
    while (progress) {
        progress = 0;
        for (i = 0; i < chain->nelts; i++) {
            const ocspr_cert_t *c = APR_ARRAY_IDX(chain, i, const ocspr_cert_t *);
            int mark = 0;

            for (j = 0; !used[i] && !mark && j < anchors->nelts; j++) {
                mark = ocspr_cert_issued_by(APR_ARRAY_IDX(anchors, j, const ocspr_cert_t *), c);
            }
            for (j = 0; !used[i] && !mark && j < chain->nelts; j++) {
                mark = used[j] && j != i
                       && ocspr_cert_issued_by(APR_ARRAY_IDX(chain, j, const ocspr_cert_t *), c);
            }
            if (mark) {
                used[i] = 1;
                progress = 1;
            }
        }
    }
    for (i = 0; i < chain->nelts; i++) {
        if (!used[i]) {
            APR_ARRAY_PUSH(unused, const ocspr_cert_t *) = APR_ARRAY_IDX(chain, i, const ocspr_cert_t *);
        }
    }
    return unused;
}

static void report_foreign(vhost_ctx_t *vc, cert_ctx_t *cc, const char *path,
                           const apr_array_header_t *chain, const apr_array_header_t *anchors)
{
    apr_array_header_t *unused = unused_chain_certs(vc->p, chain, anchors);

    if (unused->nelts == 0) {
        return;
    }
    add_finding(vc, cc, OCSPR_CHAIN_FOREIGN_INTERMEDIATE, SEV_WARNING,
                apr_psprintf(vc->p, "%s also holds %s, which issue%s no certificate of this "
                             "chain; mod_ssl sends %s to every client for nothing.", path,
                             list_certs(vc->p, unused), unused->nelts == 1 ? "s" : "",
                             unused->nelts == 1 ? "it" : "them"),
                apr_psprintf(vc->p, "remove %s from %s.", unused->nelts == 1 ? "it" : "them",
                             path));
}

/* ---- one certificate ---------------------------------------------------- */

/* Split the file into the server certificate and the rest. mod_ssl takes the
 * first certificate; when a CA certificate comes first and a leaf follows,
 * the admin swapped them (mod_ssl then fails on the key). */
static void split_leaf(vhost_ctx_t *vc, cert_ctx_t *cc)
{
    apr_array_header_t *certs = cc->file.certs;
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
        apr_array_header_t *first = apr_array_make(vc->p, leaf_index, sizeof(ocspr_cert_t *));

        for (i = 0; i < leaf_index; i++) {
            APR_ARRAY_PUSH(first, const ocspr_cert_t *) = APR_ARRAY_IDX(certs, i, const ocspr_cert_t *);
        }
        add_finding(vc, cc, OCSPR_CHAIN_WRONG_ORDER, SEV_FATAL,
                    apr_psprintf(vc->p, "the file starts with the CA certificate%s %s and the "
                                 "server certificate comes at position %d; mod_ssl takes the "
                                 "first certificate as the server's, which does not match the "
                                 "private key, and refuses to start (AH02565).",
                                 leaf_index > 1 ? "s" : "", list_certs(vc->p, first),
                                 leaf_index + 1),
                    apr_psprintf(vc->p, "reorder %s: the server certificate \"%s\" first, then "
                                 "its issuer, then the issuer's issuer.", cc->file.setting->value,
                                 ocspr_cert_subject(cc->leaf, vc->p)));
    }
}

/* `who` names the certificate in the message ("the certificate", "the
 * issuer ..."). */
static void check_validity(vhost_ctx_t *vc, cert_ctx_t *cc, const ocspr_cert_t *cert,
                           const char *who, const char *fix)
{
    apr_time_t not_before = ocspr_cert_not_before(cert);
    apr_time_t not_after = ocspr_cert_not_after(cert);
    const char *what;

    if (not_after != 0 && not_after < vc->now) {
        what = apr_psprintf(vc->p, "%s expired on %s.", who, time_str(vc->p, not_after));
    }
    else if (not_before > vc->now) {
        what = apr_psprintf(vc->p, "%s is not valid before %s.", who,
                            time_str(vc->p, not_before));
    }
    else {
        return;
    }
    add_finding(vc, cc, OCSPR_CHAIN_EXPIRED, SEV_ERROR, what, fix);
}

/* How to turn stapling off for this vhost, for each mechanism that is on. */
static const char *stapling_off_fix(vhost_ctx_t *vc)
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

/* The responder that will be asked, and who decided it. Returns whether
 * there is one at all. */
static int check_responder(vhost_ctx_t *vc, cert_ctx_t *cc)
{
    apr_pool_t *p = vc->p;
    const ocspr_chain_vhost_t *vh = vc->vh;
    apr_array_header_t *urls = ocspr_cert_ocsp_urls(cc->leaf, p);
    const char *url = NULL, *source = NULL;
    const char *fetcher = vc->refresh ? "mod_ocsp_refresh" : "mod_ssl";

    if (vc->refresh && vh->responder.value != NULL) {
        url = vh->responder.value;
        source = apr_psprintf(p, "OCSPRefreshResponder at %s", where(p, &vh->responder));
    }
    else if (!vc->refresh && vh->force_url.value != NULL) {
        url = vh->force_url.value;
        source = apr_psprintf(p, "SSLStaplingForceURL at %s", where(p, &vh->force_url));
    }
    else if (urls->nelts > 0) {
        url = APR_ARRAY_IDX(urls, 0, const char *);
        source = "the certificate's Authority Information Access";
    }
    if (url == NULL) {
        add_finding(vc, cc, OCSPR_CHAIN_NO_OCSP_URL, SEV_NOTICE,
                    "the certificate names no OCSP responder and none is configured, so there "
                    "is nothing to staple (many CAs dropped OCSP in 2025 and rely on CRLs).",
                    cc->must_staple
                    ? "get a certificate without the Must-Staple extension: a Must-Staple "
                      "certificate without a responder cannot work."
                    : apr_psprintf(p, "nothing is broken; to stop the attempts, %s.",
                                   stapling_off_fix(vc)));
        return 0;
    }
    if (strncasecmp(url, "https://", 8) == 0) {
        add_finding(vc, cc, OCSPR_CHAIN_HTTPS_RESPONDER, SEV_CHAIN,
                    apr_psprintf(p, "the OCSP responder URL %s (from %s) is https://; %s "
                                 "fetches OCSP over plain http:// only (RFC 6960 responses are "
                                 "signed), %s.", url, source, fetcher,
                                 vc->refresh ? "so every fetch fails and nothing is stapled"
                                 : "and fails the status request of every handshake that asks "
                                   "for one"),
                    apr_psprintf(p, "if the CA serves the same responder over http://, set "
                                 "`%s http://%s` in this vhost; otherwise %s.",
                                 vc->refresh ? "OCSPRefreshResponder" : "SSLStaplingForceURL",
                                 url + 8, stapling_off_fix(vc)));
    }
    return 1;
}

static void analyse_cert(vhost_ctx_t *vc, const ocspr_chain_setting_t *cert_file)
{
    apr_pool_t *p = vc->p;
    int wanted = vc->report->stapling_wanted;
    cert_ctx_t cc;
    ocspr_chain_cert_t *entry = apr_array_push(vc->report->certs);
    const apr_array_header_t *extra;
    const ocspr_cert_t *issuer;
    int has_responder = 0;

    memset(&cc, 0, sizeof(cc));
    memset(entry, 0, sizeof(*entry));
    entry->cert_file = cert_file;
    load(&cc.file, p, cert_file, "SSLCertificateFile");
    if (cc.file.rv != APR_SUCCESS) {
        report_unreadable(vc, NULL, &cc.file);
        return;
    }
    if (cc.file.format != OCSPR_FORMAT_PEM) {
        add_finding(vc, NULL, OCSPR_CHAIN_NOT_PEM, SEV_FATAL,
                    apr_psprintf(p, "SSLCertificateFile %s (at %s) is %s; mod_ssl reads only "
                                 "PEM there and refuses to start (AH02562/AH02561).",
                                 cert_file->value, where(p, cert_file),
                                 format_name(cc.file.format)),
                    apr_psprintf(p, "convert it with %s and point SSLCertificateFile at the "
                                 "PEM file (the analysis below reads it as converted).",
                                 convert_command(p, cert_file->value, cc.file.format)));
    }
    split_leaf(vc, &cc);
    entry->cert = cc.leaf;
    ocspr_cert_id(entry->id, cc.leaf);
    APR_ARRAY_PUSH(vc->anchors, const ocspr_cert_t *) = cc.leaf;
    apr_array_cat(vc->anchors, cc.rest);
    cc.must_staple = ocspr_cert_must_staple(cc.leaf);

    check_validity(vc, &cc, cc.leaf, "the certificate",
                   "renew the certificate and replace the file.");
    if (cc.must_staple && !wanted) {
        add_finding(vc, &cc, OCSPR_CHAIN_MUST_STAPLE_OFF, SEV_FATAL,
                    "the certificate requires a staple (Must-Staple) but stapling is off for "
                    "this vhost.",
                    "turn stapling on for this vhost: `OCSPRefresh On` (or `SSLUseStapling On` "
                    "with an SSLStaplingCache).");
    }
    if (ocspr_cert_is_self_signed(cc.leaf)) {
        if (wanted) {
            add_finding(vc, &cc, OCSPR_CHAIN_SELF_SIGNED, SEV_CHAIN,
                        "the certificate is self-signed (or a fallback/snakeoil certificate): "
                        "no CA, no OCSP responder, nothing can be stapled, and mod_ssl logs "
                        "AH02217.",
                        apr_psprintf(p, "install a CA-issued certificate, or %s.",
                                     stapling_off_fix(vc)));
        }
        goto done;
    }

    /* Per-certificate chain unless SSLCertificateChainFile replaces it. */
    extra = vc->chain.setting != NULL ? vc->extra : cc.rest;
    issuer = modssl_get_issuer(vc, cc.leaf, extra);
    if (issuer == NULL) {
        diagnose_missing_issuer(vc, &cc, extra);
        goto done;
    }
    entry->issuer_found = 1;
    if (!ocspr_cert_issued_by(cc.leaf, issuer)) {
        /* mod_ssl matched name and key identifier but the signature is not
         * the issuer's: its OCSP request would carry the wrong key hash. */
        add_finding(vc, &cc, OCSPR_CHAIN_ISSUER_OTHER_KEY, SEV_CHAIN,
                    apr_psprintf(p, "mod_ssl takes %s as the issuer, but the certificate's "
                                 "signature does not verify with its key (key id %s; the "
                                 "certificate names key id %s): the OCSP request would name "
                                 "the wrong key and the responder answers unknown or "
                                 "unauthorized.", describe(p, issuer),
                                 key_id_or_none(ocspr_cert_subject_key_id(issuer, p)),
                                 key_id_or_none(ocspr_cert_authority_key_id(cc.leaf, p))),
                    apr_psprintf(p, "replace that intermediate with the CA's current one%s.",
                                 ca_issuers_hint(p, cc.leaf, issuer_target(vc, &cc))));
    }
    check_validity(vc, &cc, issuer, apr_psprintf(p, "the issuer %s", describe(p, issuer)),
                   apr_psprintf(p, "replace the intermediate in %s with the CA's current "
                                "one%s.", issuer_target(vc, &cc),
                                ca_issuers_hint(p, cc.leaf, issuer_target(vc, &cc))));
    if (vc->chain.setting == NULL) {
        apr_array_header_t *self = apr_array_make(p, 1, sizeof(ocspr_cert_t *));

        APR_ARRAY_PUSH(self, const ocspr_cert_t *) = cc.leaf;
        report_foreign(vc, &cc, cert_file->value, cc.rest, self);
    }

done:
    if (wanted && !ocspr_cert_is_self_signed(cc.leaf)) {
        has_responder = check_responder(vc, &cc);
    }
    entry->ready = wanted && entry->issuer_found && has_responder && !cc.breaks;
}

/* ---- the vhost ---------------------------------------------------------- */

apr_status_t ocspr_chain_analyse(ocspr_chain_report_t **preport, apr_pool_t *p,
                                 const ocspr_chain_vhost_t *vh, apr_time_t now)
{
    vhost_ctx_t vc;
    ocspr_chain_report_t *report = apr_pcalloc(p, sizeof(*report));
    apr_status_t rv;
    int i;

    memset(&vc, 0, sizeof(vc));
    vc.p = p;
    vc.vh = vh;
    vc.now = now;
    vc.report = report;
    vc.mod_ssl_staples = ocspr_chain_setting_on(&vh->use_stapling);
    vc.refresh = ocspr_chain_setting_on(&vh->refresh);
    vc.anchors = apr_array_make(p, 2, sizeof(ocspr_cert_t *));
    report->findings = apr_array_make(p, 4, sizeof(ocspr_chain_finding_t));
    report->certs = apr_array_make(p, 2, sizeof(ocspr_chain_cert_t));
    report->stapling_wanted = vc.mod_ssl_staples || vc.refresh;
    *preport = report;

    if (vc.mod_ssl_staples && !vh->stapling_cache) {
        add_finding(&vc, NULL, OCSPR_CHAIN_NO_STAPLING_CACHE, SEV_FATAL,
                    apr_psprintf(p, "SSLUseStapling On (at %s) but no SSLStaplingCache is "
                                 "configured: mod_ssl refuses to start (AH01958).",
                                 where(p, &vh->use_stapling)),
                    "add `SSLStaplingCache \"shmcb:logs/ssl_stapling(128000)\"` to the global "
                    "scope (or let mod_ocsp_refresh staple: `OCSPRefresh On` and "
                    "`SSLUseStapling Off`).");
    }
    if (vh->cert_files == NULL || vh->cert_files->nelts == 0) {
        if (report->stapling_wanted) {
            add_finding(&vc, NULL, OCSPR_CHAIN_FALLBACK, SEV_CHAIN,
                        "SSL is on but no certificate is configured, and no module supplied "
                        "one: mod_ssl serves a fallback certificate and answers 503 "
                        "(AH10085); nothing can be stapled.",
                        "configure SSLCertificateFile for this vhost (or an MDomain if mod_md "
                        "manages it).");
        }
        return APR_SUCCESS;
    }
    setup_chain(&vc);
    if ((rv = setup_store(&vc)) != APR_SUCCESS) {
        goto cleanup;
    }
    for (i = 0; i < vh->cert_files->nelts; i++) {
        analyse_cert(&vc, &APR_ARRAY_IDX(vh->cert_files, i, ocspr_chain_setting_t));
    }
    if (vc.chain.setting != NULL && !vc.chain_reported && vc.anchors->nelts > 0) {
        report_foreign(&vc, NULL, vh->chain_file.value, vc.extra, vc.anchors);
    }

cleanup:
    X509_STORE_free(vc.store);
    return rv;
}

void ocspr_chain_add_not_primed(ocspr_chain_report_t *report, apr_pool_t *p,
                                const ocspr_chain_vhost_t *vh, const ocspr_chain_cert_t *c)
{
    vhost_ctx_t vc;
    cert_ctx_t cc;

    memset(&vc, 0, sizeof(vc));
    memset(&cc, 0, sizeof(cc));
    vc.p = p;
    vc.vh = vh;
    vc.report = report;
    cc.file.setting = c->cert_file;
    cc.leaf = c->cert;
    cc.must_staple = c->cert != NULL && ocspr_cert_must_staple(c->cert);
    add_finding(&vc, &cc, OCSPR_CHAIN_NOT_PRIMED, SEV_CHAIN,
                "the configuration files give this certificate an issuer, but mod_ssl did not "
                "hand it to the stapling hooks at startup: mod_ssl loaded something else than "
                "the files say (another module such as mod_md supplied the certificates, "
                "SSLOpenSSLConfCmd replaced them, or a file changed between the check and the "
                "start), and no staple will be sent for it.",
                "look for AH02217/AH02604 in the error log right above this line, check which "
                "certificate the vhost really serves (`openssl s_client -connect HOST:PORT "
                "-servername NAME`), and restart once the files are final.");
}
