/* Certificates and chains. */
#include <string.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "ocspr_cert.h"

/* RFC 7633: the TLS Feature value for the status_request extension. */
#define TLS_FEATURE_STATUS_REQUEST 5

struct ocspr_cert_t {
    X509 *x509;
};

static apr_status_t cert_cleanup(void *data)
{
    ocspr_cert_t *cert = data;

    X509_free(cert->x509);
    cert->x509 = NULL;
    return APR_SUCCESS;
}

ocspr_cert_t *ocspr_cert_wrap(apr_pool_t *p, X509 *x)
{
    ocspr_cert_t *cert = apr_pcalloc(p, sizeof(*cert));

    cert->x509 = x;
    apr_pool_cleanup_register(p, cert, cert_cleanup, apr_pool_cleanup_null);
    return cert;
}

X509 *ocspr_cert_x509(const ocspr_cert_t *cert)
{
    return cert->x509;
}

/* ---- loading ---------------------------------------------------------- */

typedef X509 *x509_decoder_fn(X509 **out, const unsigned char **in, long len);

/* Parse exactly `len` bytes as one DER object: trailing bytes mean the input
 * is not what we think it is. decode is d2i_X509, or d2i_X509_AUX for
 * certificates with trust settings appended. */
static X509 *der_to_x509(x509_decoder_fn *decode, const unsigned char *der, long len)
{
    const unsigned char *cursor = der;
    X509 *x = decode(NULL, &cursor, len);

    if (x != NULL && cursor != der + len) {
        X509_free(x);
        x = NULL;
    }
    return x;
}

static PKCS7 *der_to_pkcs7(const unsigned char *der, long len)
{
    const unsigned char *cursor = der;
    PKCS7 *p7 = d2i_PKCS7(NULL, &cursor, len);

    if (p7 != NULL && cursor != der + len) {
        PKCS7_free(p7);
        p7 = NULL;
    }
    return p7;
}

/* Append the certificates of a PKCS#7 bundle to certs, in bundle order.
 * OCSPR_EINVALID when the bundle carries none. */
static apr_status_t pkcs7_collect(STACK_OF(X509) *certs, const PKCS7 *p7)
{
    STACK_OF(X509) *bundled = NULL;
    int i, n;

    if (p7->d.ptr != NULL) {
        switch (OBJ_obj2nid(p7->type)) {
        case NID_pkcs7_signed:
            bundled = p7->d.sign->cert;
            break;
        case NID_pkcs7_signedAndEnveloped:
            bundled = p7->d.signed_and_enveloped->cert;
            break;
        default:
            break;
        }
    }
    n = bundled != NULL ? sk_X509_num(bundled) : 0;
    if (n <= 0) {
        return OCSPR_EINVALID;
    }
    for (i = 0; i < n; i++) {
        X509 *x = sk_X509_value(bundled, i);

        if (!X509_up_ref(x)) {
            return APR_ENOMEM;
        }
        if (!sk_X509_push(certs, x)) {
            X509_free(x);
            return APR_ENOMEM;
        }
    }
    return APR_SUCCESS;
}

static apr_status_t push_x509(STACK_OF(X509) *certs, X509 *x)
{
    if (x == NULL) {
        return OCSPR_EINVALID;
    }
    if (!sk_X509_push(certs, x)) {
        X509_free(x);
        return APR_ENOMEM;
    }
    return APR_SUCCESS;
}

/* DER input: one certificate, or a PKCS#7 bundle (what CAs ship as .p7b/.p7c). */
static apr_status_t load_der(STACK_OF(X509) *certs, ocspr_cert_format_t *pformat,
                             const unsigned char *der, long len)
{
    X509 *x = der_to_x509(d2i_X509, der, len);
    PKCS7 *p7;
    apr_status_t rv;

    if (x != NULL) {
        *pformat = OCSPR_FORMAT_DER;
        return push_x509(certs, x);
    }
    p7 = der_to_pkcs7(der, len);
    if (p7 == NULL) {
        return OCSPR_EINVALID;
    }
    rv = pkcs7_collect(certs, p7);
    PKCS7_free(p7);
    *pformat = OCSPR_FORMAT_PKCS7;
    return rv;
}

static int pem_label_is_cert(const char *label)
{
    return strcmp(label, PEM_STRING_X509) == 0 || strcmp(label, PEM_STRING_X509_OLD) == 0;
}

static int pem_label_is_pkcs7(const char *label)
{
    return strcmp(label, PEM_STRING_PKCS7) == 0 || strcmp(label, PEM_STRING_PKCS7_SIGNED) == 0;
}

/* One decoded PEM block; keys, parameters, CRLs and the like are skipped. */
static apr_status_t pem_block_collect(STACK_OF(X509) *certs, int *pis_pkcs7,
                                      const char *label, const unsigned char *der, long len)
{
    PKCS7 *p7;
    apr_status_t rv;

    if (strcmp(label, PEM_STRING_X509_TRUSTED) == 0) {
        return push_x509(certs, der_to_x509(d2i_X509_AUX, der, len));
    }
    if (pem_label_is_cert(label)) {
        X509 *x = der_to_x509(d2i_X509, der, len);

        if (x != NULL) {
            return push_x509(certs, x);
        }
        /* Some CAs put PKCS#7 under a CERTIFICATE label; OpenSSL reads it too. */
    }
    else if (!pem_label_is_pkcs7(label)) {
        return APR_SUCCESS;
    }
    p7 = der_to_pkcs7(der, len);
    if (p7 == NULL) {
        return OCSPR_EINVALID;
    }
    rv = pkcs7_collect(certs, p7);
    PKCS7_free(p7);
    *pis_pkcs7 = 1;
    return rv;
}

/* Reaching the end of the input shows as "no start line": anything else is a
 * block that started but is broken (truncated, bad base64). */
static int pem_error_is_end(void)
{
    unsigned long err = ERR_peek_last_error();

    return ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
}

/* PEM input: every block in order. A broken certificate block fails the whole
 * load rather than yield a silently shortened chain. Blocks are read into the
 * secure heap and wiped: certificate files often hold the private key too. */
static apr_status_t load_pem(STACK_OF(X509) *certs, ocspr_cert_format_t *pformat,
                             const unsigned char *data, int len)
{
    BIO *bio = BIO_new_mem_buf(data, len);
    int is_pkcs7 = 0;
    apr_status_t rv = APR_SUCCESS;

    if (bio == NULL) {
        return APR_ENOMEM;
    }
    while (rv == APR_SUCCESS) {
        char *label = NULL, *header = NULL;
        unsigned char *der = NULL;
        long der_len = 0;

        if (!PEM_read_bio_ex(bio, &label, &header, &der, &der_len,
                             PEM_FLAG_SECURE | PEM_FLAG_EAY_COMPATIBLE)) {
            if (!pem_error_is_end()) {
                rv = OCSPR_EINVALID;
            }
            break;
        }
        rv = pem_block_collect(certs, &is_pkcs7, label, der, der_len);
        OPENSSL_secure_free(label);
        OPENSSL_secure_free(header);
        OPENSSL_secure_clear_free(der, (size_t)der_len);
    }
    BIO_free(bio);
    if (rv == APR_SUCCESS && sk_X509_num(certs) == 0) {
        rv = OCSPR_EINVALID;
    }
    *pformat = is_pkcs7 ? OCSPR_FORMAT_PKCS7 : OCSPR_FORMAT_PEM;
    return rv;
}

apr_status_t ocspr_chain_load_mem(apr_array_header_t **pcerts, ocspr_cert_format_t *pformat,
                                  apr_pool_t *p, const void *data, apr_size_t len)
{
    const unsigned char *bytes = data;
    STACK_OF(X509) *certs = NULL;
    ocspr_cert_format_t format = OCSPR_FORMAT_UNKNOWN;
    apr_status_t rv = OCSPR_EINVALID;
    int i;

    *pcerts = NULL;
    if (pformat != NULL) {
        *pformat = OCSPR_FORMAT_UNKNOWN;
    }
    if (bytes == NULL || len == 0 || len > OCSPR_CERT_FILE_MAX) {
        return OCSPR_EINVALID;
    }
    certs = sk_X509_new_null();
    if (certs == NULL) {
        return APR_ENOMEM;
    }
    ERR_clear_error();
    /* A certificate or PKCS#7 in DER starts with a SEQUENCE tag; PEM text
     * rarely does, and when it does the DER parse fails and PEM gets its turn
     * (load_der sets the format only when it recognised the input). */
    if (bytes[0] == 0x30) {
        rv = load_der(certs, &format, bytes, (long)len);
    }
    if (format == OCSPR_FORMAT_UNKNOWN) {
        rv = load_pem(certs, &format, bytes, (int)len);
    }
    if (rv != APR_SUCCESS) {
        goto cleanup;
    }
    *pcerts = apr_array_make(p, sk_X509_num(certs), sizeof(ocspr_cert_t *));
    for (i = 0; i < sk_X509_num(certs); i++) {
        APR_ARRAY_PUSH(*pcerts, ocspr_cert_t *) = ocspr_cert_wrap(p, sk_X509_value(certs, i));
    }
    sk_X509_zero(certs);
    if (pformat != NULL) {
        *pformat = format;
    }

cleanup:
    /* Failed parses are expected here: leave no stale errors for the caller. */
    ERR_clear_error();
    sk_X509_pop_free(certs, X509_free);
    return rv;
}

/* Read a whole file of at most `max` bytes into an OpenSSL buffer (so it can be
 * wiped: key material may be in it). Reads until EOF rather than trusting the
 * size from stat, so a FIFO or a growing file cannot overrun the cap. */
static apr_status_t read_capped(unsigned char **pbuf, apr_size_t *plen, apr_file_t *f,
                                apr_size_t max)
{
    apr_finfo_t finfo;
    apr_size_t cap = 4096, len = 0;
    unsigned char *buf;
    apr_status_t rv;

    if (apr_file_info_get(&finfo, APR_FINFO_SIZE | APR_FINFO_TYPE, f) == APR_SUCCESS) {
        if (finfo.filetype == APR_REG && (apr_uint64_t)finfo.size > max) {
            return OCSPR_EINVALID;
        }
        if (finfo.size > 0) {
            cap = (apr_uint64_t)finfo.size < max ? (apr_size_t)finfo.size + 1 : max + 1;
        }
    }
    buf = OPENSSL_malloc(cap);
    if (buf == NULL) {
        return APR_ENOMEM;
    }
    for (;;) {
        apr_size_t n = cap - len;

        rv = apr_file_read(f, buf + len, &n);
        len += n;
        if (rv == APR_EOF) {
            rv = APR_SUCCESS;
            break;
        }
        if (rv != APR_SUCCESS) {
            break;
        }
        if (len > max) {
            rv = OCSPR_EINVALID;
            break;
        }
        if (len == cap) {
            apr_size_t grown = cap * 2 > max + 1 ? max + 1 : cap * 2;
            unsigned char *bigger = OPENSSL_clear_realloc(buf, cap, grown);

            if (bigger == NULL) {
                rv = APR_ENOMEM;
                break;
            }
            buf = bigger;
            cap = grown;
        }
    }
    if (rv != APR_SUCCESS) {
        OPENSSL_clear_free(buf, cap);
        return rv;
    }
    *pbuf = buf;
    *plen = len;
    return APR_SUCCESS;
}

apr_status_t ocspr_chain_load_file(apr_array_header_t **pcerts, ocspr_cert_format_t *pformat,
                                   apr_pool_t *p, const char *path)
{
    apr_file_t *f = NULL;
    unsigned char *buf = NULL;
    apr_size_t len = 0;
    apr_status_t rv;

    *pcerts = NULL;
    if (pformat != NULL) {
        *pformat = OCSPR_FORMAT_UNKNOWN;
    }
    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, APR_FPROT_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = read_capped(&buf, &len, f, OCSPR_CERT_FILE_MAX);
    apr_file_close(f);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = ocspr_chain_load_mem(pcerts, pformat, p, buf, len);
    OPENSSL_clear_free(buf, len);
    return rv;
}

/* ---- identity and descriptions --------------------------------------- */

apr_status_t ocspr_cert_id(unsigned char id[OCSPR_CERT_ID_LEN], const ocspr_cert_t *cert)
{
    unsigned int n = 0;

    if (!X509_digest(cert->x509, EVP_sha1(), id, &n) || n != OCSPR_CERT_ID_LEN) {
        ERR_clear_error();
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

/* What a BIO collected, as a pool string; fallback when printing failed. */
static const char *bio_to_pstr(BIO *bio, int printed_ok, apr_pool_t *p, const char *fallback)
{
    char *text = NULL;
    long n = printed_ok ? BIO_get_mem_data(bio, &text) : 0;

    return n > 0 ? apr_pstrmemdup(p, text, (apr_size_t)n) : fallback;
}

static const char *name_to_str(const X509_NAME *name, apr_pool_t *p)
{
    BIO *bio = BIO_new(BIO_s_mem());
    const char *text;

    if (bio == NULL) {
        return "(unprintable)";
    }
    text = bio_to_pstr(bio, X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0, p, "");
    BIO_free(bio);
    return text;
}

const char *ocspr_cert_subject(const ocspr_cert_t *cert, apr_pool_t *p)
{
    return name_to_str(X509_get_subject_name(cert->x509), p);
}

const char *ocspr_cert_issuer_name(const ocspr_cert_t *cert, apr_pool_t *p)
{
    return name_to_str(X509_get_issuer_name(cert->x509), p);
}

static const char *upper_hex(apr_pool_t *p, const unsigned char *data, apr_size_t len)
{
    char *hex = apr_pstrdup(p, ocspr_hex(p, data, len));
    char *c;

    for (c = hex; *c; c++) {
        *c = (char)apr_toupper(*c);
    }
    return hex;
}

/* As `openssl x509 -serial` prints it (i2a_ASN1_INTEGER): two digits per
 * content byte, "00" for an empty encoding, "-" for a negative serial. */
const char *ocspr_cert_serial(const ocspr_cert_t *cert, apr_pool_t *p)
{
    const ASN1_INTEGER *serial = X509_get0_serialNumber(cert->x509);
    int len = ASN1_STRING_length(serial);

    if (len <= 0) {
        return "00";
    }
    return apr_pstrcat(p, ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER ? "-" : "",
                       upper_hex(p, ASN1_STRING_get0_data(serial), (apr_size_t)len), NULL);
}

const char *ocspr_cert_key_type(const ocspr_cert_t *cert, apr_pool_t *p)
{
    EVP_PKEY *key = X509_get0_pubkey(cert->x509);
    char curve[64];
    const char *type_name;

    if (key == NULL) {
        ERR_clear_error();
        return "unknown";
    }
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
        return apr_psprintf(p, "RSA-%d", EVP_PKEY_get_bits(key));
    case EVP_PKEY_RSA_PSS:
        return apr_psprintf(p, "RSA-PSS-%d", EVP_PKEY_get_bits(key));
    case EVP_PKEY_EC:
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
                                           curve, sizeof(curve), NULL)) {
            return apr_pstrcat(p, "EC-", curve, NULL);
        }
        /* Explicit curve parameters have no name. */
        ERR_clear_error();
        return apr_psprintf(p, "EC-%d", EVP_PKEY_get_bits(key));
    case EVP_PKEY_ED25519:
        return "Ed25519";
    case EVP_PKEY_ED448:
        return "Ed448";
    default:
        type_name = EVP_PKEY_get0_type_name(key);
        return apr_psprintf(p, "%s-%d", type_name ? type_name : "unknown", EVP_PKEY_get_bits(key));
    }
}

apr_status_t ocspr_asn1_time_get(apr_time_t *pt, const ASN1_TIME *t)
{
    struct tm tm;
    apr_time_exp_t exp;
    int parsed;

    memset(&tm, 0, sizeof(tm));
    ERR_set_mark();
    parsed = t != NULL && ASN1_TIME_to_tm(t, &tm);
    ERR_pop_to_mark();
    if (!parsed) {
        return OCSPR_EINVALID;
    }
    memset(&exp, 0, sizeof(exp));
    exp.tm_sec = tm.tm_sec;
    exp.tm_min = tm.tm_min;
    exp.tm_hour = tm.tm_hour;
    exp.tm_mday = tm.tm_mday;
    exp.tm_mon = tm.tm_mon;
    exp.tm_year = tm.tm_year;
    return apr_time_exp_gmt_get(pt, &exp) == APR_SUCCESS && *pt >= 0 ? APR_SUCCESS
                                                                     : OCSPR_EINVALID;
}

/* 0 when the time does not parse or lies before 1970. */
static apr_time_t cert_time(const ASN1_TIME *t)
{
    apr_time_t result;

    return ocspr_asn1_time_get(&result, t) == APR_SUCCESS ? result : 0;
}

apr_time_t ocspr_cert_not_before(const ocspr_cert_t *cert)
{
    return cert_time(X509_get0_notBefore(cert->x509));
}

apr_time_t ocspr_cert_not_after(const ocspr_cert_t *cert)
{
    return cert_time(X509_get0_notAfter(cert->x509));
}

static const char *octets_to_hex(const ASN1_OCTET_STRING *octets, apr_pool_t *p)
{
    return upper_hex(p, ASN1_STRING_get0_data(octets), (apr_size_t)ASN1_STRING_length(octets));
}

const char *ocspr_cert_subject_key_id(const ocspr_cert_t *cert, apr_pool_t *p)
{
    const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(cert->x509);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    if (skid != NULL) {
        return octets_to_hex(skid, p);
    }
    /* RFC 5280 4.2.1.2 method (1): what most CAs put in the extension. */
    if (!X509_pubkey_digest(cert->x509, EVP_sha1(), md, &n)) {
        ERR_clear_error();
        return NULL;
    }
    return upper_hex(p, md, n);
}

const char *ocspr_cert_authority_key_id(const ocspr_cert_t *cert, apr_pool_t *p)
{
    const ASN1_OCTET_STRING *akid = X509_get0_authority_key_id(cert->x509);

    return akid != NULL ? octets_to_hex(akid, p) : NULL;
}

int ocspr_cert_is_self_signed(const ocspr_cert_t *cert)
{
    int self_signed = X509_self_signed(cert->x509, 1) == 1;

    ERR_clear_error();
    return self_signed;
}

int ocspr_cert_is_ca(const ocspr_cert_t *cert)
{
    return X509_check_ca(cert->x509) != 0;
}

/* ---- extensions -------------------------------------------------------- */

const char *ocspr_url_refusal(apr_pool_t *p, const char *what, const void *url, apr_size_t len)
{
    const unsigned char *c = url;
    apr_size_t i;

    if (len == 0) {
        return apr_psprintf(p, "%s is empty", what);
    }
    for (i = 0; i < len; i++) {
        if (c[i] < 0x21 || c[i] > 0x7e) {
            const char *kind = c[i] == ' ' ? "a space"
                               : c[i] < 0x20 || c[i] == 0x7f ? "a control character"
                               : "a non-ASCII byte";

            return apr_psprintf(p, "%s \"%s\" contains %s (0x%02x) at offset %" APR_SIZE_T_FMT,
                                what, ocspr_log_escape_mem(p, url, len), kind, c[i], i);
        }
    }
    return NULL;
}

/* URIs of one access method in the AIA extension. Only visible ASCII is
 * taken: a newline would forge log lines, and a space or UTF-8 is no URL a
 * responder or an HTTP request line could carry. The first refused URI's
 * reason goes to *prefusal (may be NULL). */
static apr_array_header_t *aia_urls(const ocspr_cert_t *cert, apr_pool_t *p, int method_nid,
                                    const char **prefusal)
{
    apr_array_header_t *urls = apr_array_make(p, 1, sizeof(const char *));
    AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(cert->x509, NID_info_access, NULL, NULL);
    const char *what = method_nid == NID_ad_OCSP ? "responder URL" : "caIssuers URL";
    int i;

    if (prefusal) {
        *prefusal = NULL;
    }
    if (aia == NULL) {
        ERR_clear_error();
        return urls;
    }
    for (i = 0; i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
        const ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
        const ASN1_IA5STRING *uri;
        const char *refusal;
        apr_size_t len;

        if (OBJ_obj2nid(ad->method) != method_nid || ad->location->type != GEN_URI) {
            continue;
        }
        uri = ad->location->d.uniformResourceIdentifier;
        len = (apr_size_t)ASN1_STRING_length(uri);
        refusal = ocspr_url_refusal(p, what, ASN1_STRING_get0_data(uri), len);
        if (refusal != NULL) {
            if (prefusal && *prefusal == NULL) {
                *prefusal = refusal;
            }
            continue;
        }
        APR_ARRAY_PUSH(urls, const char *) =
            apr_pstrmemdup(p, (const char *)ASN1_STRING_get0_data(uri), len);
    }
    AUTHORITY_INFO_ACCESS_free(aia);
    return urls;
}

apr_array_header_t *ocspr_cert_ocsp_urls(const ocspr_cert_t *cert, apr_pool_t *p)
{
    return aia_urls(cert, p, NID_ad_OCSP, NULL);
}

apr_array_header_t *ocspr_cert_ca_issuers_urls(const ocspr_cert_t *cert, apr_pool_t *p)
{
    return aia_urls(cert, p, NID_ad_ca_issuers, NULL);
}

const char *ocspr_cert_ocsp_url_refusal(const ocspr_cert_t *cert, apr_pool_t *p)
{
    const char *refusal;

    aia_urls(cert, p, NID_ad_OCSP, &refusal);
    return refusal;
}

const char *ocspr_cert_ca_issuers_url_refusal(const ocspr_cert_t *cert, apr_pool_t *p)
{
    const char *refusal;

    aia_urls(cert, p, NID_ad_ca_issuers, &refusal);
    return refusal;
}

int ocspr_cert_must_staple(const ocspr_cert_t *cert)
{
    TLS_FEATURE *features = X509_get_ext_d2i(cert->x509, NID_tlsfeature, NULL, NULL);
    int found = 0;
    int i;

    if (features == NULL) {
        ERR_clear_error();
        return 0;
    }
    for (i = 0; i < sk_ASN1_INTEGER_num(features) && !found; i++) {
        found = ASN1_INTEGER_get(sk_ASN1_INTEGER_value(features, i)) == TLS_FEATURE_STATUS_REQUEST;
    }
    TLS_FEATURE_free(features);
    return found;
}

/* ---- issuers ----------------------------------------------------------- */

int ocspr_cert_issued_by(const ocspr_cert_t *cert, const ocspr_cert_t *issuer)
{
    EVP_PKEY *issuer_key;
    int issued;

    /* Names, key identifiers and keyUsage first: cheap, and they tell apart a
     * certificate of the right subject but another key when AKID is present. */
    if (X509_check_issued(issuer->x509, cert->x509) != X509_V_OK) {
        return 0;
    }
    issuer_key = X509_get0_pubkey(issuer->x509);
    issued = issuer_key != NULL && X509_verify(cert->x509, issuer_key) == 1;
    ERR_clear_error();
    return issued;
}

