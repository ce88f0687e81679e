/* The words of the chain findings: how a vhost, a certificate and a file are
 * named, and the fixes. Every fix is built here from the file it changes, so
 * its text and its command (in backquotes) always name the same file and do
 * the same thing: append, replace the content, replace what follows the
 * server certificate, replace a file of a CA path and rehash, convert. */
#include <string.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "ocspr_chain_private.h"

/* ---- message pieces --------------------------------------------------- */

const char *ocspr_chain_where(apr_pool_t *p, const ocspr_chain_setting_t *setting)
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

const char *ocspr_chain_vhost_where(apr_pool_t *p, const ocspr_chain_vhost_t *vh)
{
    return vh->file != NULL ? apr_psprintf(p, "vhost %s (%s:%d)", vh->name, vh->file, vh->line)
                            : apr_psprintf(p, "vhost %s (main server)", vh->name);
}

const char *ocspr_chain_format_name(ocspr_cert_format_t format)
{
    switch (format) {
    case OCSPR_FORMAT_PEM:   return "PEM";
    case OCSPR_FORMAT_DER:   return "DER";
    case OCSPR_FORMAT_PKCS7: return "PKCS#7";
    default:                 return "unknown";
    }
}

const char *ocspr_chain_time_str(apr_pool_t *p, apr_time_t t)
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

const char *ocspr_chain_key_id(const char *key_id)
{
    return key_id != NULL ? key_id : "(none)";
}

const char *ocspr_chain_subject_key_id(apr_pool_t *p, const ocspr_cert_lite_t *cert)
{
    return ocspr_chain_key_id(ocspr_cert_subject_key_id(ocspr_cert_lite_view(cert), p));
}

const char *ocspr_chain_authority_key_id(apr_pool_t *p, const ocspr_cert_lite_t *cert)
{
    return ocspr_chain_key_id(ocspr_cert_authority_key_id(ocspr_cert_lite_view(cert), p));
}

/* "subject "...", key id K, serial S, expires T" */
const char *ocspr_chain_describe(apr_pool_t *p, const ocspr_cert_lite_t *cert)
{
    const ocspr_cert_t *c = ocspr_cert_lite_view(cert);

    return apr_psprintf(p, "subject \"%s\", key id %s, serial %s, expires %s",
                        ocspr_cert_subject(c, p), ocspr_chain_subject_key_id(p, cert),
                        ocspr_cert_serial(c, p), ocspr_chain_time_str(p, ocspr_cert_not_after(c)));
}

/* The issuer a certificate names: subject and key identifier. */
const char *ocspr_chain_wanted_issuer(apr_pool_t *p, const ocspr_cert_lite_t *cert)
{
    return apr_psprintf(p, "\"%s\" with key id %s",
                        ocspr_cert_issuer_name(ocspr_cert_lite_view(cert), p),
                        ocspr_chain_authority_key_id(p, cert));
}

/* How many certificates a list names. A CA bundle used as a chain file
 * holds a hundred and more: named in full, its finding would pass httpd's
 * 8 KB log line limit, which cuts off the fix at its end. */
#define OCSPR_CHAIN_LIST_MAX 5

const char *ocspr_chain_list_certs(ocspr_chain_run_t *run, const apr_array_header_t *certs)
{
    apr_size_t klen = (apr_size_t)certs->nelts * sizeof(ocspr_cert_lite_t *);
    const char *text = apr_hash_get(run->cert_lists, certs->elts, (apr_ssize_t)klen);
    apr_array_header_t *parts;
    int i;

    /* A CA bundle used as every vhost's chain file gives every vhost the
     * same list of a hundred certificates: described once per run. */
    if (text != NULL) {
        return text;
    }
    parts = apr_array_make(run->p, OCSPR_CHAIN_LIST_MAX + 1, sizeof(const char *));
    for (i = 0; i < certs->nelts && i < OCSPR_CHAIN_LIST_MAX; i++) {
        const ocspr_cert_lite_t *c = APR_ARRAY_IDX(certs, i, const ocspr_cert_lite_t *);

        APR_ARRAY_PUSH(parts, const char *) =
            apr_psprintf(run->p, "%s\"%s\" (key id %s)", i ? ", " : "",
                         ocspr_cert_subject(ocspr_cert_lite_view(c), run->p),
                         ocspr_chain_subject_key_id(run->p, c));
    }
    if (certs->nelts > OCSPR_CHAIN_LIST_MAX) {
        APR_ARRAY_PUSH(parts, const char *) =
            apr_psprintf(run->p, " and %d more certificates", certs->nelts - OCSPR_CHAIN_LIST_MAX);
    }
    text = apr_array_pstrcat(run->p, parts, '\0');
    apr_hash_set(run->cert_lists, apr_pmemdup(run->p, certs->elts, klen), (apr_ssize_t)klen, text);
    return text;
}

/* ---- fixes: one text and one command from the same file ---------------- */

/* A URL that can stand in a fix as it is: RFC 3986 characters only. Its
 * command puts it in single quotes; a quote, a backquote (which delimits
 * commands in our texts) or a '>' from a forged or broken certificate
 * must never reach an admin's shell. */
static int url_fits_command(const char *url)
{
    return url[strspn(url, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                           "-._~:/?#[]@!$&()*+,;=%")] == '\0';
}

/* A shell command printing the issuer of leaf as PEM, from its first
 * caIssuers URL that fits a command (DER, or PKCS#7 for .p7c: RFC 5280
 * 4.2.2.1); NULL without one. */
static const char *issuer_fetch_cmd(apr_pool_t *p, const ocspr_cert_lite_t *leaf,
                                    const char **purl)
{
    apr_array_header_t *urls = ocspr_cert_ca_issuers_urls(ocspr_cert_lite_view(leaf), p);
    const char *url = NULL;
    size_t len;
    int i;

    for (i = 0; i < urls->nelts && url == NULL; i++) {
        url = APR_ARRAY_IDX(urls, i, const char *);
        url = url_fits_command(url) ? url : NULL;
    }
    *purl = url;
    if (url == NULL) {
        return NULL;
    }
    len = strlen(url);
    if (len > 4 && strcasecmp(url + len - 4, ".p7c") == 0) {
        return apr_psprintf(p, "curl -s '%s' | openssl pkcs7 -inform DER -print_certs | "
                            "sed -n '/BEGIN/,/END/p'", url);
    }
    return apr_psprintf(p, "curl -s '%s' | openssl x509 -inform DER -outform PEM", url);
}

/* "the issuer "X" with key id K (the CA publishes it at URL)" */
static const char *issuer_words(apr_pool_t *p, const ocspr_cert_lite_t *leaf, const char *url)
{
    const ocspr_cert_t *cert = ocspr_cert_lite_view(leaf);
    /* A URL unfit for a command (quotes, spaces, control bytes) stays out
     * of the text too: a fix's words must not carry a backquoted fragment
     * of a certificate. */
    const char *where = url != NULL
        ? apr_psprintf(p, "the CA publishes it at %s, its caIssuers URL", url)
        : ocspr_cert_ca_issuers_urls(cert, p)->nelts > 0
          || ocspr_cert_ca_issuers_url_refusal(cert, p) != NULL
        ? "the certificate's caIssuers URL holds characters no URL may hold: take it, as PEM, "
          "from your CA's bundle"
        : "the certificate names no caIssuers URL: take it, as PEM, from your CA's bundle";

    return apr_psprintf(p, "the issuer %s (%s)", ocspr_chain_wanted_issuer(p, leaf), where);
}

/* Append the issuer of leaf to target. */
const char *ocspr_chain_fix_append(apr_pool_t *p, const ocspr_cert_lite_t *leaf, const char *target)
{
    const char *url, *cmd = issuer_fetch_cmd(p, leaf, &url);

    return apr_psprintf(p, "append %s to %s%s", issuer_words(p, leaf, url), target,
                        cmd ? apr_psprintf(p, ": `%s >> %s`", cmd, target) : "");
}

/* Replace a chain file's content (it holds nothing else) with the issuer. */
const char *ocspr_chain_fix_replace_file(apr_pool_t *p, const ocspr_cert_lite_t *leaf,
                                         const char *target)
{
    const char *url, *cmd = issuer_fetch_cmd(p, leaf, &url);

    return apr_psprintf(p, "replace the content of %s with %s%s", target,
                        issuer_words(p, leaf, url),
                        cmd ? apr_psprintf(p, ": `%s > %s`", cmd, target) : "");
}

/* Keep the server certificate of a certificate file, replace what follows. */
const char *ocspr_chain_fix_replace_after_leaf(apr_pool_t *p, const ocspr_cert_lite_t *leaf,
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
const char *ocspr_chain_fix_replace_in_ca_path(apr_pool_t *p, const ocspr_cert_lite_t *leaf,
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
const char *ocspr_chain_fix_convert(apr_pool_t *p, const char *path, ocspr_cert_format_t format,
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
const char *ocspr_chain_issuer_target(const ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc)
{
    return vc->chain.setting != NULL ? vc->chain.file->path : cc->file.file->path;
}

/* Replace the certificates that stand for the issuer in target. */
const char *ocspr_chain_fix_replace_target(const ocspr_chain_vctx_t *vc, const ocspr_chain_cctx_t *cc)
{
    return vc->chain.setting != NULL ? ocspr_chain_fix_replace_file(vc->p, cc->leaf, vc->chain.file->path)
                                     : ocspr_chain_fix_replace_after_leaf(vc->p, cc->leaf,
                                                                      cc->file.file->path);
}

/* How to turn stapling off for this vhost, for each mechanism that is on. */
const char *ocspr_chain_stapling_off_fix(const ocspr_chain_vctx_t *vc)
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
                                          : "", names[i], ocspr_chain_where(p, s))
                           : apr_psprintf(p, "set `%s Off` at %s", names[i], ocspr_chain_where(p, s)));
    }
    return fix;
}
