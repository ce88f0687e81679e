/* OCSP requests (RFC 6960, RFC 5019 profile). */
#include <string.h>
#include <apr_strings.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>

#include "ocspr_request.h"

/* RFC 5019 section 5: longer GET URLs must be sent as POST. */
#define OCSPR_GET_URL_MAX 255

apr_status_t ocspr_request_build(unsigned char **pder, apr_size_t *plen, apr_pool_t *p,
                                 const ocspr_cert_t *cert, const ocspr_cert_t *issuer,
                                 int with_nonce)
{
    OCSP_REQUEST *req = NULL;
    OCSP_CERTID *id = NULL;
    unsigned char *cursor;
    int len;
    apr_status_t rv = APR_EGENERAL;

    *pder = NULL;
    *plen = 0;
    if (cert == NULL || issuer == NULL) {
        return APR_EINVAL;
    }
    req = OCSP_REQUEST_new();
    id = OCSP_cert_to_id(EVP_sha1(), ocspr_cert_x509(cert), ocspr_cert_x509(issuer));
    if (req == NULL || id == NULL) {
        goto cleanup;
    }
    if (OCSP_request_add0_id(req, id) == NULL) {
        goto cleanup;
    }
    id = NULL; /* owned by req now */
    /* len <= 0: OpenSSL picks the default length and random bytes. */
    if (with_nonce && !OCSP_request_add1_nonce(req, NULL, -1)) {
        goto cleanup;
    }
    len = i2d_OCSP_REQUEST(req, NULL);
    if (len <= 0) {
        goto cleanup;
    }
    *pder = apr_palloc(p, (apr_size_t)len);
    cursor = *pder;
    if (i2d_OCSP_REQUEST(req, &cursor) != len) {
        *pder = NULL;
        goto cleanup;
    }
    *plen = (apr_size_t)len;
    rv = APR_SUCCESS;

cleanup:
    if (rv != APR_SUCCESS) {
        ERR_clear_error();
    }
    OCSP_CERTID_free(id);
    OCSP_REQUEST_free(req);
    return rv;
}

/* Base64 characters that are special in a URL path (RFC 6960 appendix A.1). */
static const char *url_escape_b64(char c)
{
    switch (c) {
    case '+':
        return "%2B";
    case '/':
        return "%2F";
    case '=':
        return "%3D";
    default:
        return NULL;
    }
}

const char *ocspr_request_get_url(apr_pool_t *p, const char *base_url,
                                  const unsigned char *der, apr_size_t len)
{
    apr_size_t base_len, b64_len, url_len, i;
    unsigned char *b64;
    char *url, *out;

    if (base_url == NULL || der == NULL || len == 0) {
        return NULL;
    }
    base_len = strlen(base_url);
    while (base_len > 0 && base_url[base_len - 1] == '/') {
        base_len--;
    }
    /* Bail out before encoding anything that cannot fit: this also keeps the
     * length well inside the int EVP_EncodeBlock takes. */
    if (len > OCSPR_GET_URL_MAX || base_len > OCSPR_GET_URL_MAX) {
        return NULL;
    }
    b64_len = 4 * ((len + 2) / 3);
    b64 = apr_palloc(p, b64_len + 1);
    if (EVP_EncodeBlock(b64, der, (int)len) != (int)b64_len) {
        return NULL;
    }
    url_len = base_len + 1;
    for (i = 0; i < b64_len; i++) {
        url_len += url_escape_b64((char)b64[i]) != NULL ? 3 : 1;
    }
    if (url_len > OCSPR_GET_URL_MAX) {
        return NULL;
    }
    url = apr_palloc(p, url_len + 1);
    memcpy(url, base_url, base_len);
    out = url + base_len;
    *out++ = '/';
    for (i = 0; i < b64_len; i++) {
        const char *escaped = url_escape_b64((char)b64[i]);

        if (escaped != NULL) {
            memcpy(out, escaped, 3);
            out += 3;
        }
        else {
            *out++ = (char)b64[i];
        }
    }
    *out = '\0';
    return url;
}
