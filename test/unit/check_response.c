/* Tests for ocspr_response.c: real responses from `openssl ocsp`, responses
 * built in-process with the OpenSSL API (for times and tampering the CLI
 * cannot produce), and hostile bytes. Every rejection is checked for its
 * code, a reason that names what was found, and an empty OpenSSL error queue. */
#include <stdio.h>
#include <string.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>

#include "check_support.h"
#include "ocspr_response.h"

#define KIB 1024

/* ---- helpers: certificates, keys, text --------------------------------- */

static ocspr_cert_t *pki_cert(const char *name)
{
    return ocspr_test_cert(ocspr_test_pool, name);
}

/* The caller frees the key. */
static EVP_PKEY *pki_key(const char *name)
{
    const char *path = ocspr_test_pki_path(ocspr_test_pool, apr_pstrcat(ocspr_test_pool, name,
                                                                          ".key", NULL));
    BIO *bio = BIO_new_file(path, "r");
    EVP_PKEY *key;

    ck_assert_msg(bio != NULL, "cannot open %s", path);
    key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    ck_assert_msg(key != NULL, "no private key in %s", path);
    return key;
}

static apr_time_t whole_second_now(void)
{
    return apr_time_from_sec(apr_time_sec(apr_time_now()));
}

static const char *rfc3339(apr_time_t t)
{
    apr_time_exp_t xt;

    apr_time_exp_gmt(&xt, t);
    return apr_psprintf(ocspr_test_pool, "%04d-%02d-%02dT%02d:%02d:%02dZ", xt.tm_year + 1900,
                        xt.tm_mon + 1, xt.tm_mday, xt.tm_hour, xt.tm_min, xt.tm_sec);
}

static const char *serial_of(const char *name)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(ocspr_cert_x509(pki_cert(name))), NULL);
    char *hex = BN_bn2hex(bn);
    const char *copy = apr_pstrdup(ocspr_test_pool, hex);

    OPENSSL_free(hex);
    BN_free(bn);
    return copy;
}

/* SHA-1 of a certificate's public key in uppercase hex: a byKey ResponderID. */
static const char *key_hash_of(const char *name)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char *hex;
    unsigned int i;

    ck_assert(X509_pubkey_digest(ocspr_cert_x509(pki_cert(name)), EVP_sha1(), md, &n));
    hex = apr_palloc(ocspr_test_pool, n * 2 + 1);
    for (i = 0; i < n; i++) {
        snprintf(hex + 2 * i, 3, "%02X", md[i]);
    }
    return hex;
}

static void assert_contains(const char *text, const char *part)
{
    ck_assert_msg(text != NULL && strstr(text, part) != NULL, "\"%s\" does not contain \"%s\"",
                  text ? text : "(null)", part);
}

/* ---- helpers: validation ------------------------------------------------ */

static apr_status_t validate(ocspr_response_info_t *info, const unsigned char *der, apr_size_t len,
                             const char *leaf, const ocspr_validate_opts_t *opts)
{
    return ocspr_response_validate(info, ocspr_test_pool, der, len, pki_cert(leaf),
                                   pki_cert("int"), opts);
}

static void assert_rejected_as(const ocspr_response_info_t *info, apr_status_t rv,
                               ocspr_reject_t expected)
{
    ck_assert_msg(rv == OCSPR_EINVALID, "expected OCSPR_EINVALID (%s), got %d",
                  ocspr_reject_name(expected), rv);
    ck_assert_msg(info->reject == expected, "expected reject %s, got %s: %s",
                  ocspr_reject_name(expected), ocspr_reject_name(info->reject),
                  info->reason ? info->reason : "(no reason)");
    ck_assert_msg(info->reason != NULL && *info->reason, "no reason for %s",
                  ocspr_reject_name(expected));
    ck_assert_int_eq(info->cert_status, OCSPR_CERT_STATUS_NONE);
    ck_assert_ptr_null(info->responder_id);
    ck_assert_int_eq(info->next_update, 0);
    ck_assert_msg(ERR_peek_error() == 0, "OpenSSL error queue not cleared after %s",
                  ocspr_reject_name(expected));
}

/* Reject `der` for leaf (issuer int) with `expected`; the info for further checks. */
static ocspr_response_info_t expect_reject(const unsigned char *der, apr_size_t len,
                                           const char *leaf, const ocspr_validate_opts_t *opts,
                                           ocspr_reject_t expected)
{
    ocspr_response_info_t info;

    assert_rejected_as(&info, validate(&info, der, len, leaf, opts), expected);
    return info;
}

static ocspr_response_info_t expect_accept(const unsigned char *der, apr_size_t len,
                                           const char *leaf, const ocspr_validate_opts_t *opts)
{
    ocspr_response_info_t info;
    apr_status_t rv = validate(&info, der, len, leaf, opts);

    ck_assert_msg(rv == APR_SUCCESS, "rejected as %s: %s", ocspr_reject_name(info.reject),
                  info.reason ? info.reason : "(no reason)");
    ck_assert_int_eq(info.reject, OCSPR_REJECT_NONE);
    ck_assert_ptr_null(info.reason);
    ck_assert_int_eq(info.response_status, OCSP_RESPONSE_STATUS_SUCCESSFUL);
    ck_assert_int_ne(info.cert_status, OCSPR_CERT_STATUS_NONE);
    ck_assert_int_gt(info.this_update, 0);
    ck_assert_int_gt(info.next_update, info.this_update);
    ck_assert_int_gt(info.produced_at, 0);
    ck_assert_ptr_nonnull(info.responder_id);
    ck_assert_int_eq(ERR_peek_error(), 0);
    return info;
}

static void openssl_response(unsigned char **pder, apr_size_t *plen, const char *leaf,
                             const char *signer, const char *args)
{
    ocspr_test_openssl_response(pder, plen, ocspr_test_pool, leaf, signer, args);
}

/* ---- helpers: responses built in-process -------------------------------- */

typedef struct {
    const char *leaf;           /* PKI leaf (issuer int) the SingleResponse is about */
    const char *decoy_leaf;     /* NULL, or a leaf whose revoked SingleResponse comes first */
    const char *signer;         /* PKI certificate and key that sign */
    int status;                 /* V_OCSP_CERTSTATUS_* */
    int revocation_reason;      /* for revoked: CRLReason or -1 */
    apr_time_t this_update;
    apr_time_t next_update;     /* 0: absent */
    unsigned long sign_flags;   /* OCSP_NOCERTS, OCSP_RESPID_KEY */
    const EVP_MD *certid_md;    /* hash of leaf's CertID; NULL: SHA-1 */
    int repeats;                /* further SingleResponses for leaf, after the first */
    int repeat_status;          /* their certStatus */
    const EVP_MD *repeat_md;    /* their CertID hash; NULL: SHA-1 */
} spec_t;

/* Good for `good`, signed by the delegated responder, valid from a minute
 * ago for an hour. Tests change one field at a time. */
static spec_t default_spec(apr_time_t now)
{
    spec_t spec = { .leaf = "good", .signer = "ocsp", .status = V_OCSP_CERTSTATUS_GOOD,
                    .revocation_reason = -1, .this_update = now - apr_time_from_sec(60),
                    .next_update = now + apr_time_from_sec(3600) };

    return spec;
}

static void encode_response(unsigned char **pder, apr_size_t *plen, OCSP_RESPONSE *resp)
{
    int n = i2d_OCSP_RESPONSE(resp, NULL);
    unsigned char *cursor;

    ck_assert_int_gt(n, 0);
    *pder = apr_palloc(ocspr_test_pool, (apr_size_t)n);
    cursor = *pder;
    ck_assert_int_eq(i2d_OCSP_RESPONSE(resp, &cursor), n);
    *plen = (apr_size_t)n;
}

static ASN1_GENERALIZEDTIME *asn1_time(apr_time_t t)
{
    ASN1_GENERALIZEDTIME *g = ASN1_GENERALIZEDTIME_set(NULL, (time_t)apr_time_sec(t));

    ck_assert_ptr_nonnull(g);
    return g;
}

static void add_single(OCSP_BASICRESP *bs, const char *leaf, const EVP_MD *md, int status,
                       int reason, apr_time_t this_update, apr_time_t next_update)
{
    OCSP_CERTID *id = OCSP_cert_to_id(md ? md : EVP_sha1(), ocspr_cert_x509(pki_cert(leaf)),
                                      ocspr_cert_x509(pki_cert("int")));
    ASN1_GENERALIZEDTIME *this_t = asn1_time(this_update);
    ASN1_GENERALIZEDTIME *next_t = next_update ? asn1_time(next_update) : NULL;
    ASN1_GENERALIZEDTIME *revoked_t = status == V_OCSP_CERTSTATUS_REVOKED
                                      ? asn1_time(this_update - apr_time_from_sec(3600)) : NULL;

    ck_assert_ptr_nonnull(id);
    ck_assert_ptr_nonnull(OCSP_basic_add1_status(bs, id, status, reason, revoked_t, this_t, next_t));
    ASN1_GENERALIZEDTIME_free(revoked_t);
    ASN1_GENERALIZEDTIME_free(next_t);
    ASN1_GENERALIZEDTIME_free(this_t);
    OCSP_CERTID_free(id);
}

static void build_response(unsigned char **pder, apr_size_t *plen, const spec_t *spec)
{
    OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
    EVP_PKEY *key = pki_key(spec->signer);
    OCSP_RESPONSE *resp;
    int i;

    ck_assert_ptr_nonnull(bs);
    if (spec->decoy_leaf != NULL) {
        add_single(bs, spec->decoy_leaf, NULL, V_OCSP_CERTSTATUS_REVOKED,
                   OCSP_REVOKED_STATUS_KEYCOMPROMISE, spec->this_update, spec->next_update);
    }
    add_single(bs, spec->leaf, spec->certid_md, spec->status, spec->revocation_reason,
               spec->this_update, spec->next_update);
    for (i = 0; i < spec->repeats; i++) {
        add_single(bs, spec->leaf, spec->repeat_md, spec->repeat_status,
                   OCSP_REVOKED_STATUS_KEYCOMPROMISE, spec->this_update, spec->next_update);
    }
    ck_assert(OCSP_basic_sign(bs, ocspr_cert_x509(pki_cert(spec->signer)), key, EVP_sha256(),
                              NULL, spec->sign_flags));
    resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
    ck_assert_ptr_nonnull(resp);
    encode_response(pder, plen, resp);
    OCSP_RESPONSE_free(resp);
    OCSP_BASICRESP_free(bs);
    EVP_PKEY_free(key);
}

/* An OCSPResponse with only a responseStatus, as tryLater and friends are. */
static void build_status_only(unsigned char **pder, apr_size_t *plen, int status)
{
    OCSP_RESPONSE *resp = OCSP_response_create(status, NULL);

    ck_assert_ptr_nonnull(resp);
    encode_response(pder, plen, resp);
    OCSP_RESPONSE_free(resp);
}

static void build_default(unsigned char **pder, apr_size_t *plen, apr_time_t now)
{
    spec_t spec = default_spec(now);

    build_response(pder, plen, &spec);
}

static ocspr_validate_opts_t opts_at(apr_time_t now, apr_interval_time_t skew)
{
    ocspr_validate_opts_t opts = { .clock_skew = skew, .now = now };

    return opts;
}

/* ---- helpers: tampering ------------------------------------------------- */

static unsigned char *copy_of(const unsigned char *der, apr_size_t len)
{
    return apr_pmemdup(ocspr_test_pool, der, len);
}

static apr_size_t find_bytes(const unsigned char *hay, apr_size_t hay_len,
                             const unsigned char *needle, apr_size_t needle_len)
{
    apr_size_t i;

    for (i = 0; needle_len <= hay_len && i <= hay_len - needle_len; i++) {
        if (memcmp(hay + i, needle, needle_len) == 0) {
            return i;
        }
    }
    ck_abort_msg("byte pattern of %u bytes not found", (unsigned)needle_len);
    return 0;
}

/* Offset of the content of the nth (0-based) GeneralizedTime "YYYYMMDDHHMMSSZ". */
static apr_size_t nth_generalized_time(const unsigned char *der, apr_size_t len, int nth)
{
    apr_size_t i, j;

    for (i = 0; i + 17 <= len; i++) {
        int digits = der[i] == 0x18 && der[i + 1] == 15 && der[i + 16] == 'Z';

        for (j = 2; digits && j < 16; j++) {
            digits = der[i + j] >= '0' && der[i + j] <= '9';
        }
        if (digits && nth-- == 0) {
            return i + 2;
        }
    }
    ck_abort_msg("GeneralizedTime not found");
    return 0;
}

/* Offset of the signature value inside a DER response. */
static apr_size_t signature_offset(const unsigned char *der, apr_size_t len)
{
    const unsigned char *cursor = der;
    OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &cursor, (long)len);
    OCSP_BASICRESP *bs = resp ? OCSP_response_get1_basic(resp) : NULL;
    const ASN1_OCTET_STRING *sig = bs ? OCSP_resp_get0_signature(bs) : NULL;
    apr_size_t offset;

    ck_assert_ptr_nonnull(sig);
    ck_assert_int_gt(ASN1_STRING_length(sig), 64);
    offset = find_bytes(der, len, ASN1_STRING_get0_data(sig), (apr_size_t)ASN1_STRING_length(sig));
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(resp);
    return offset;
}

/* ---- helpers: a leaf that index.txt does not list ----------------------- */

static apr_status_t remove_file(void *path)
{
    apr_file_remove(path, ocspr_test_pool);
    return APR_SUCCESS;
}

/* Issued by int, absent from index.txt: the responder answers "unknown".
 * Written to BASE.pem; BASE is returned (the form the responder helper wants)
 * and the certificate through pcert. */
static const char *make_unlisted_leaf(ocspr_cert_t **pcert)
{
    char *base = apr_pstrdup(ocspr_test_pool, "/tmp/ocspr-unlisted-XXXXXX");
    const char *pem;
    apr_file_t *f;
    X509 *x = X509_new();
    X509 *int_x = ocspr_cert_x509(pki_cert("int"));
    EVP_PKEY *leaf_key = pki_key("good");
    EVP_PKEY *int_key = pki_key("int");
    X509_NAME *subject = X509_NAME_new();
    BIO *out;

    /* A unique name: mktemp's file itself goes on close (DELONCLOSE). */
    ck_assert_int_eq(apr_file_mktemp(&f, base, 0, ocspr_test_pool), APR_SUCCESS);
    apr_file_close(f);
    pem = apr_pstrcat(ocspr_test_pool, base, ".pem", NULL);
    apr_pool_cleanup_register(ocspr_test_pool, pem, remove_file, apr_pool_cleanup_null);

    ck_assert(x != NULL && subject != NULL);
    ck_assert(X509_set_version(x, X509_VERSION_3));
    ck_assert(ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), 0x0C5B7E57AB1EULL));
    ck_assert(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                         (const unsigned char *)"unlisted.test", -1, -1, 0));
    ck_assert(X509_set_subject_name(x, subject));
    ck_assert(X509_set_issuer_name(x, X509_get_subject_name(int_x)));
    ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
    ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
    ck_assert(X509_set_pubkey(x, leaf_key));
    ck_assert(X509_sign(x, int_key, EVP_sha256()));
    out = BIO_new_file(pem, "w");
    ck_assert(out != NULL && PEM_write_bio_X509(out, x));
    BIO_free(out);
    ck_assert(X509_up_ref(x));
    *pcert = ocspr_cert_wrap(ocspr_test_pool, x);
    X509_NAME_free(subject);
    EVP_PKEY_free(int_key);
    EVP_PKEY_free(leaf_key);
    X509_free(x);
    return base;
}

/* The revocation time make-pki.sh wrote for `revoked` (YYMMDDHHMMSSZ). */
static apr_time_t index_revocation_time(void)
{
    unsigned char *data;
    apr_size_t len;
    const char *line;
    apr_time_exp_t xt;
    apr_time_t t;
    int yy, mo, dd, hh, mi, ss;

    ocspr_test_read_file(&data, &len, ocspr_test_pool,
                         ocspr_test_pki_path(ocspr_test_pool, "index.txt"));
    data[len] = '\0';
    line = strstr((const char *)data, "R\t");
    ck_assert_ptr_nonnull(line);
    line = strchr(line + 2, '\t');
    ck_assert_ptr_nonnull(line);
    ck_assert_int_eq(sscanf(line + 1, "%2d%2d%2d%2d%2d%2dZ,", &yy, &mo, &dd, &hh, &mi, &ss), 6);
    memset(&xt, 0, sizeof(xt));
    xt.tm_year = yy + 100;
    xt.tm_mon = mo - 1;
    xt.tm_mday = dd;
    xt.tm_hour = hh;
    xt.tm_min = mi;
    xt.tm_sec = ss;
    ck_assert_int_eq(apr_time_exp_gmt_get(&t, &xt), APR_SUCCESS);
    return t;
}

/* ---- names -------------------------------------------------------------- */

START_TEST(test_reject_names)
{
    static const char *const expected[OCSPR_REJECT_COUNT] = {
        "none", "empty", "oversize", "parse", "response_status", "not_basic", "certid",
        "signer_unknown", "signer_not_issued", "signer_no_eku", "signer_expired", "signature",
        "this_update_future", "no_next_update", "expired", "bad_period", "certid_repeated",
        "produced_at_future", "too_old",
    };
    int i;

    for (i = 0; i < OCSPR_REJECT_COUNT; i++) {
        ck_assert_str_eq(ocspr_reject_name((ocspr_reject_t)i), expected[i]);
    }
    ck_assert_str_eq(ocspr_reject_name(OCSPR_REJECT_COUNT), "unknown_reject");
    ck_assert_str_eq(ocspr_reject_name((ocspr_reject_t)-1), "unknown_reject");
}
END_TEST

START_TEST(test_status_and_reason_names)
{
    ck_assert_str_eq(ocspr_cert_status_name(OCSPR_CERT_STATUS_NONE), "none");
    ck_assert_str_eq(ocspr_cert_status_name(OCSPR_CERT_STATUS_GOOD), "good");
    ck_assert_str_eq(ocspr_cert_status_name(OCSPR_CERT_STATUS_REVOKED), "revoked");
    ck_assert_str_eq(ocspr_cert_status_name(OCSPR_CERT_STATUS_UNKNOWN), "unknown");
    ck_assert_str_eq(ocspr_cert_status_name((ocspr_cert_status_t)42), "none");

    ck_assert_str_eq(ocspr_revocation_reason_name(0), "unspecified");
    ck_assert_str_eq(ocspr_revocation_reason_name(1), "keyCompromise");
    ck_assert_str_eq(ocspr_revocation_reason_name(2), "cACompromise");
    ck_assert_str_eq(ocspr_revocation_reason_name(3), "affiliationChanged");
    ck_assert_str_eq(ocspr_revocation_reason_name(4), "superseded");
    ck_assert_str_eq(ocspr_revocation_reason_name(5), "cessationOfOperation");
    ck_assert_str_eq(ocspr_revocation_reason_name(6), "certificateHold");
    ck_assert_str_eq(ocspr_revocation_reason_name(7), "unspecified");
    ck_assert_str_eq(ocspr_revocation_reason_name(8), "removeFromCRL");
    ck_assert_str_eq(ocspr_revocation_reason_name(9), "privilegeWithdrawn");
    ck_assert_str_eq(ocspr_revocation_reason_name(10), "aACompromise");
    ck_assert_str_eq(ocspr_revocation_reason_name(11), "unspecified");
    ck_assert_str_eq(ocspr_revocation_reason_name(-1), "unspecified");
    ck_assert_str_eq(ocspr_revocation_reason_name(0x7fffffff), "unspecified");
}
END_TEST

/* ---- real responses from `openssl ocsp` --------------------------------- */

START_TEST(test_openssl_good_delegated)
{
    static const char *const leaves[] = { "good", "good-ec", "mustaple" };
    apr_size_t i;

    for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
        unsigned char *der;
        apr_size_t len;
        ocspr_response_info_t info;

        openssl_response(&der, &len, leaves[i], "ocsp", "-nmin 5");
        info = expect_accept(der, len, leaves[i], NULL);
        ck_assert_int_eq(info.cert_status, OCSPR_CERT_STATUS_GOOD);
        ck_assert_int_eq(info.delegated, 1);
        ck_assert_str_eq(info.responder_id, "byName: CN=Test OCSP Responder,O=ocspr test");
        ck_assert_int_eq(info.next_update - info.this_update, apr_time_from_sec(5 * 60));
        ck_assert_int_eq(info.revoked_at, 0);
        ck_assert_int_eq(info.revocation_reason, -1);
        /* The responder stamps both from one clock reading. */
        ck_assert_int_ge(info.produced_at, info.this_update);
        ck_assert_int_le(info.produced_at - info.this_update, apr_time_from_sec(5));
    }
}
END_TEST

START_TEST(test_openssl_good_signed_by_issuer)
{
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info;

    openssl_response(&der, &len, "good", "int", "-ndays 1");
    info = expect_accept(der, len, "good", NULL);
    ck_assert_int_eq(info.cert_status, OCSPR_CERT_STATUS_GOOD);
    ck_assert_int_eq(info.delegated, 0);
    ck_assert_str_eq(info.responder_id, "byName: CN=Test Intermediate CA,O=ocspr test");
    ck_assert_int_eq(info.next_update - info.this_update, apr_time_from_sec(86400));
}
END_TEST

START_TEST(test_openssl_responder_by_key)
{
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info;

    openssl_response(&der, &len, "good", "ocsp", "-nmin 5 -resp_key_id");
    info = expect_accept(der, len, "good", NULL);
    ck_assert_int_eq(info.delegated, 1);
    ck_assert_str_eq(info.responder_id, apr_pstrcat(ocspr_test_pool, "byKey: ",
                                                    key_hash_of("ocsp"), NULL));
}
END_TEST

START_TEST(test_openssl_revoked)
{
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info;

    openssl_response(&der, &len, "revoked", "ocsp", "-nmin 5");
    info = expect_accept(der, len, "revoked", NULL);
    ck_assert_int_eq(info.cert_status, OCSPR_CERT_STATUS_REVOKED);
    ck_assert_int_eq(info.revocation_reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
    ck_assert_str_eq(ocspr_revocation_reason_name(info.revocation_reason), "keyCompromise");
    ck_assert_int_eq(info.revoked_at, index_revocation_time());
    ck_assert_int_lt(info.revoked_at, info.this_update);
}
END_TEST

START_TEST(test_openssl_unknown_is_valid)
{
    ocspr_cert_t *leaf;
    const char *base = make_unlisted_leaf(&leaf);
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info;

    openssl_response(&der, &len, base, "ocsp", "-nmin 5");
    ck_assert_int_eq(ocspr_response_validate(&info, ocspr_test_pool, der, len, leaf,
                                             pki_cert("int"), NULL), APR_SUCCESS);
    ck_assert_int_eq(info.cert_status, OCSPR_CERT_STATUS_UNKNOWN);
    ck_assert_int_eq(info.revoked_at, 0);
    ck_assert_int_eq(info.revocation_reason, -1);
    ck_assert_int_eq(info.delegated, 1);
    /* ...and it says nothing about a listed certificate. */
    expect_reject(der, len, "good", NULL, OCSPR_REJECT_CERTID);
}
END_TEST

START_TEST(test_openssl_signer_without_eku)
{
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info;

    openssl_response(&der, &len, "good", "ocsp-noeku", "-nmin 5");
    info = expect_reject(der, len, "good", NULL, OCSPR_REJECT_SIGNER_NO_EKU);
    assert_contains(info.reason, "CN=Test OCSP No EKU,O=ocspr test");
    assert_contains(info.reason, "OCSPSigning");
}
END_TEST

/* A server's own key (issued by int, EKU serverAuth) vouching for itself. */
START_TEST(test_openssl_signer_is_the_leaf)
{
    unsigned char *der;
    apr_size_t len;

    openssl_response(&der, &len, "good", "good", "-nmin 5");
    expect_reject(der, len, "good", NULL, OCSPR_REJECT_SIGNER_NO_EKU);
}
END_TEST

START_TEST(test_openssl_signer_from_other_ca)
{
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info;

    openssl_response(&der, &len, "good", "ocsp-other", "-nmin 5");
    info = expect_reject(der, len, "good", NULL, OCSPR_REJECT_SIGNER_NOT_ISSUED);
    assert_contains(info.reason, "CN=Test OCSP Other CA,O=ocspr test");
    assert_contains(info.reason, "CN=Other Root CA,O=ocspr elsewhere");
    assert_contains(info.reason, "CN=Test Intermediate CA,O=ocspr test");
}
END_TEST

/* int-otherkey has int's subject but another key. The byName ResponderID
 * is resolved against the certificates we supply (the issuer) before those in
 * the response (OCSP_resp_get0_signer), so the impostor certificate that
 * `openssl ocsp` embeds is never even considered: the signer is the real
 * issuer, whose key did not make the signature, hence SIGNATURE rather than
 * SIGNER_NOT_ISSUED. The trust anchor wins any name collision. */
START_TEST(test_openssl_signer_same_name_other_key)
{
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info;

    openssl_response(&der, &len, "good", "int-otherkey", "-nmin 5");
    info = expect_reject(der, len, "good", NULL, OCSPR_REJECT_SIGNATURE);
    assert_contains(info.reason, "CN=Test Intermediate CA,O=ocspr test");
}
END_TEST

START_TEST(test_openssl_delegated_without_its_certificate)
{
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info;

    openssl_response(&der, &len, "good", "ocsp", "-nmin 5 -resp_no_certs");
    info = expect_reject(der, len, "good", NULL, OCSPR_REJECT_SIGNER_UNKNOWN);
    assert_contains(info.reason, "byName: CN=Test OCSP Responder,O=ocspr test");
    /* The issuer needs no embedded certificate: it is given. */
    openssl_response(&der, &len, "good", "int", "-nmin 5 -resp_no_certs");
    ck_assert_int_eq(expect_accept(der, len, "good", NULL).delegated, 0);
}
END_TEST

START_TEST(test_openssl_certid_mismatch)
{
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info;

    openssl_response(&der, &len, "good", "ocsp", "-nmin 5");
    info = expect_reject(der, len, "revoked", NULL, OCSPR_REJECT_CERTID);
    assert_contains(info.reason, apr_pstrcat(ocspr_test_pool,
                    "no SingleResponse for our SHA-1 CertID (serial ", serial_of("revoked"), NULL));
    assert_contains(info.reason, apr_pstrcat(ocspr_test_pool, "covers serial(s) ",
                                             serial_of("good"), NULL));
    /* The right serial under another issuer is another CertID. */
    ck_assert_int_eq(ocspr_response_validate(&info, ocspr_test_pool, der, len, pki_cert("good"),
                                             pki_cert("other-root"), NULL), OCSPR_EINVALID);
    assert_rejected_as(&info, OCSPR_EINVALID, OCSPR_REJECT_CERTID);
    assert_contains(info.reason, "issuer \"CN=Other Root CA,O=ocspr elsewhere\"");
    assert_contains(info.reason, "our serial appears under another issuer");
}
END_TEST

START_TEST(test_openssl_no_next_update)
{
    unsigned char *der;
    apr_size_t len;

    openssl_response(&der, &len, "good", "ocsp", "");
    expect_reject(der, len, "good", NULL, OCSPR_REJECT_NO_NEXT_UPDATE);
}
END_TEST

START_TEST(test_openssl_expires_when_now_moves)
{
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info, late;
    ocspr_validate_opts_t opts;

    openssl_response(&der, &len, "good", "ocsp", "-nmin 5");
    info = expect_accept(der, len, "good", NULL);
    opts = opts_at(info.next_update - apr_time_from_sec(1), -1);
    expect_accept(der, len, "good", &opts);
    opts = opts_at(info.next_update, -1);
    late = expect_reject(der, len, "good", &opts, OCSPR_REJECT_EXPIRED);
    assert_contains(late.reason, rfc3339(info.next_update));
    opts = opts_at(info.next_update + apr_time_from_sec(86400), -1);
    expect_reject(der, len, "good", &opts, OCSPR_REJECT_EXPIRED);
}
END_TEST

/* A real response a day long, read two hours after thisUpdate. */
START_TEST(test_openssl_max_age)
{
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info, old;
    ocspr_validate_opts_t opts;

    openssl_response(&der, &len, "good", "ocsp", "-ndays 1");
    info = expect_accept(der, len, "good", NULL);
    opts = opts_at(info.this_update + apr_time_from_sec(7200), -1);
    opts.max_age = apr_time_from_sec(3600);
    old = expect_reject(der, len, "good", &opts, OCSPR_REJECT_TOO_OLD);
    assert_contains(old.reason, "7200 s old");
    opts.max_age = apr_time_from_sec(3 * 3600);
    expect_accept(der, len, "good", &opts);
}
END_TEST

/* ---- responses built in-process ----------------------------------------- */

START_TEST(test_built_this_update_an_hour_ahead)
{
    apr_time_t now = whole_second_now();
    spec_t spec = default_spec(now);
    ocspr_validate_opts_t opts = opts_at(now, -1);
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info;

    spec.this_update = now + apr_time_from_sec(3600);
    spec.next_update = now + apr_time_from_sec(7200);
    build_response(&der, &len, &spec);
    info = expect_reject(der, len, "good", &opts, OCSPR_REJECT_THIS_UPDATE_FUTURE);
    assert_contains(info.reason, rfc3339(spec.this_update));
    assert_contains(info.reason, rfc3339(now));
}
END_TEST

START_TEST(test_built_clock_skew)
{
    apr_time_t now = whole_second_now();
    spec_t spec = default_spec(now);
    ocspr_validate_opts_t opts;
    unsigned char *der;
    apr_size_t len;
    int attempt;

    /* Two minutes ahead: inside the default five minutes, outside zero. */
    spec.this_update = now + apr_time_from_sec(120);
    build_response(&der, &len, &spec);
    opts = opts_at(now, -1);
    ck_assert_int_eq(expect_accept(der, len, "good", &opts).this_update, spec.this_update);
    opts = opts_at(now, 0);
    expect_reject(der, len, "good", &opts, OCSPR_REJECT_THIS_UPDATE_FUTURE);
    /* The edges: exactly now + skew is allowed, one second more is not. */
    opts = opts_at(now, apr_time_from_sec(120));
    expect_accept(der, len, "good", &opts);
    opts = opts_at(now, apr_time_from_sec(119));
    expect_reject(der, len, "good", &opts, OCSPR_REJECT_THIS_UPDATE_FUTURE);
    opts = opts_at(now - apr_time_from_sec(180), -1);
    expect_accept(der, len, "good", &opts);
    opts = opts_at(now - apr_time_from_sec(181), -1);
    expect_reject(der, len, "good", &opts, OCSPR_REJECT_THIS_UPDATE_FUTURE);
    /* Zero skew still takes a response issued this very second. Signing
     * stamps producedAt with the clock: if the second ends between reading
     * it and signing (a slow sanitizer build), producedAt is one second
     * ahead, rightly refused; take the next second. */
    for (attempt = 0; attempt < 3; attempt++) {
        ocspr_response_info_t info;

        now = whole_second_now();
        spec.this_update = now;
        build_response(&der, &len, &spec);
        opts = opts_at(now, 0);
        if (validate(&info, der, len, "good", &opts) == APR_SUCCESS) {
            break;
        }
        assert_rejected_as(&info, OCSPR_EINVALID, OCSPR_REJECT_PRODUCED_AT_FUTURE);
    }
    expect_accept(der, len, "good", &opts);
}
END_TEST

START_TEST(test_built_next_update_past)
{
    apr_time_t now = whole_second_now();
    spec_t spec = default_spec(now);
    ocspr_validate_opts_t opts = opts_at(now, -1);
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info;

    spec.this_update = now - apr_time_from_sec(7200);
    spec.next_update = now - apr_time_from_sec(60);
    build_response(&der, &len, &spec);
    info = expect_reject(der, len, "good", &opts, OCSPR_REJECT_EXPIRED);
    assert_contains(info.reason, rfc3339(spec.next_update));
    assert_contains(info.reason, rfc3339(now));
    /* nextUpdate == now is already over; one second left is still valid. */
    spec.next_update = now;
    build_response(&der, &len, &spec);
    expect_reject(der, len, "good", &opts, OCSPR_REJECT_EXPIRED);
    spec.next_update = now + apr_time_from_sec(1);
    build_response(&der, &len, &spec);
    ck_assert_int_eq(expect_accept(der, len, "good", &opts).next_update, spec.next_update);
}
END_TEST

START_TEST(test_built_next_update_not_after_this_update)
{
    apr_time_t now = whole_second_now();
    spec_t spec = default_spec(now);
    ocspr_validate_opts_t opts = opts_at(now, -1);
    unsigned char *der;
    apr_size_t len;

    spec.next_update = now + apr_time_from_sec(3600);
    spec.this_update = spec.next_update;
    build_response(&der, &len, &spec);
    expect_reject(der, len, "good", &opts, OCSPR_REJECT_THIS_UPDATE_FUTURE);
    /* With the clock moved so thisUpdate is not in the future, the period
     * itself is what is wrong. */
    opts = opts_at(spec.this_update - apr_time_from_sec(1), -1);
    expect_reject(der, len, "good", &opts, OCSPR_REJECT_BAD_PERIOD);
    spec.this_update = now - apr_time_from_sec(60);
    spec.next_update = now - apr_time_from_sec(120);
    build_response(&der, &len, &spec);
    opts = opts_at(now, -1);
    expect_reject(der, len, "good", &opts, OCSPR_REJECT_BAD_PERIOD);
}
END_TEST

/* The delegated responder's certificate must be valid when we check: build a
 * response dated after the responder certificate expired (and one before it
 * became valid) and validate it at that time. */
START_TEST(test_built_delegated_signer_outside_validity)
{
    apr_time_t not_after = ocspr_cert_not_after(pki_cert("ocsp"));
    apr_time_t not_before = ocspr_cert_not_before(pki_cert("ocsp"));
    apr_time_t late = not_after + apr_time_from_sec(86400), early = not_before
                                                                   - apr_time_from_sec(86400);
    spec_t spec = default_spec(late);
    ocspr_validate_opts_t opts = opts_at(late, -1);
    ocspr_response_info_t info;
    unsigned char *der;
    apr_size_t len;

    build_response(&der, &len, &spec);
    info = expect_reject(der, len, "good", &opts, OCSPR_REJECT_SIGNER_EXPIRED);
    assert_contains(info.reason, "Test OCSP Responder");
    assert_contains(info.reason, rfc3339(not_after));
    spec = default_spec(early);
    opts = opts_at(early, -1);
    build_response(&der, &len, &spec);
    expect_reject(der, len, "good", &opts, OCSPR_REJECT_SIGNER_EXPIRED);
}
END_TEST

START_TEST(test_built_no_next_update)
{
    apr_time_t now = whole_second_now();
    spec_t spec = default_spec(now);
    ocspr_validate_opts_t opts = opts_at(now, -1);
    unsigned char *der;
    apr_size_t len;

    spec.next_update = 0;
    build_response(&der, &len, &spec);
    expect_reject(der, len, "good", &opts, OCSPR_REJECT_NO_NEXT_UPDATE);
}
END_TEST

START_TEST(test_built_times_are_reported_exactly)
{
    apr_time_t now = whole_second_now();
    spec_t spec = default_spec(now);
    ocspr_validate_opts_t opts = opts_at(now, -1);
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info;

    build_response(&der, &len, &spec);
    info = expect_accept(der, len, "good", &opts);
    ck_assert_int_eq(info.this_update, spec.this_update);
    ck_assert_int_eq(info.next_update, spec.next_update);
    ck_assert_int_ge(info.produced_at, now - apr_time_from_sec(5));
    ck_assert_int_le(info.produced_at, apr_time_now() + apr_time_from_sec(1));
    ck_assert_int_eq(info.delegated, 1);
}
END_TEST

START_TEST(test_built_revoked_and_unknown)
{
    apr_time_t now = whole_second_now();
    spec_t spec = default_spec(now);
    ocspr_validate_opts_t opts = opts_at(now, -1);
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info;

    spec.status = V_OCSP_CERTSTATUS_REVOKED;
    spec.revocation_reason = OCSP_REVOKED_STATUS_CESSATIONOFOPERATION;
    build_response(&der, &len, &spec);
    info = expect_accept(der, len, "good", &opts);
    ck_assert_int_eq(info.cert_status, OCSPR_CERT_STATUS_REVOKED);
    ck_assert_int_eq(info.revocation_reason, 5);
    ck_assert_int_eq(info.revoked_at, spec.this_update - apr_time_from_sec(3600));

    /* revocationReason is optional. */
    spec.revocation_reason = -1;
    build_response(&der, &len, &spec);
    info = expect_accept(der, len, "good", &opts);
    ck_assert_int_eq(info.cert_status, OCSPR_CERT_STATUS_REVOKED);
    ck_assert_int_eq(info.revocation_reason, -1);

    spec.status = V_OCSP_CERTSTATUS_UNKNOWN;
    build_response(&der, &len, &spec);
    info = expect_accept(der, len, "good", &opts);
    ck_assert_int_eq(info.cert_status, OCSPR_CERT_STATUS_UNKNOWN);
    ck_assert_int_eq(info.revoked_at, 0);
}
END_TEST

/* The SingleResponse is chosen by CertID, not by position. */
START_TEST(test_built_picks_our_single_response)
{
    apr_time_t now = whole_second_now();
    spec_t spec = default_spec(now);
    ocspr_validate_opts_t opts = opts_at(now, -1);
    unsigned char *der;
    apr_size_t len;

    spec.decoy_leaf = "revoked";
    build_response(&der, &len, &spec);
    ck_assert_int_eq(expect_accept(der, len, "good", &opts).cert_status, OCSPR_CERT_STATUS_GOOD);
    ck_assert_int_eq(expect_accept(der, len, "revoked", &opts).cert_status,
                     OCSPR_CERT_STATUS_REVOKED);
    expect_reject(der, len, "mustaple", &opts, OCSPR_REJECT_CERTID);
}
END_TEST

/* ---- one answer per certificate, producedAt, maximum age ---------------- */

/* Two SingleResponses for our CertID, identical or not: a client reads the
 * whole stapled response and may pick either, so neither is trusted. */
START_TEST(test_built_certid_answered_twice)
{
    static const struct {
        int first, second;
        const char *listed;
        int conflicting;
    } cases[] = {
        { V_OCSP_CERTSTATUS_GOOD, V_OCSP_CERTSTATUS_GOOD, "good (SHA-1), good (SHA-1)", 0 },
        { V_OCSP_CERTSTATUS_GOOD, V_OCSP_CERTSTATUS_REVOKED, "good (SHA-1), revoked (SHA-1)", 1 },
        { V_OCSP_CERTSTATUS_REVOKED, V_OCSP_CERTSTATUS_GOOD, "revoked (SHA-1), good (SHA-1)", 1 },
        { V_OCSP_CERTSTATUS_UNKNOWN, V_OCSP_CERTSTATUS_UNKNOWN,
          "unknown (SHA-1), unknown (SHA-1)", 0 },
    };
    apr_time_t now = whole_second_now();
    ocspr_validate_opts_t opts = opts_at(now, -1);
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        spec_t spec = default_spec(now);
        unsigned char *der;
        apr_size_t len;
        ocspr_response_info_t info;

        spec.status = cases[i].first;
        spec.repeats = 1;
        spec.repeat_status = cases[i].second;
        build_response(&der, &len, &spec);
        info = expect_reject(der, len, "good", &opts, OCSPR_REJECT_CERTID_REPEATED);
        assert_contains(info.reason, apr_pstrcat(ocspr_test_pool, "our certificate (serial ",
                                                 serial_of("good"), ") 2 times", NULL));
        assert_contains(info.reason, cases[i].listed);
        ck_assert_msg((strstr(info.reason, "conflicting") != NULL) == cases[i].conflicting,
                      "%s", info.reason);
    }
}
END_TEST

/* A hostile responder repeating one answer many times: rejected, and the
 * reason stays short. */
START_TEST(test_built_certid_answered_many_times)
{
    apr_time_t now = whole_second_now();
    spec_t spec = default_spec(now);
    ocspr_validate_opts_t opts = opts_at(now, -1);
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info;

    spec.repeats = 199;
    spec.repeat_status = V_OCSP_CERTSTATUS_GOOD;
    build_response(&der, &len, &spec);
    info = expect_reject(der, len, "good", &opts, OCSPR_REJECT_CERTID_REPEATED);
    assert_contains(info.reason, "200 times");
    ck_assert_uint_lt(strlen(info.reason), 400);
    /* Another certificate of the same response is still answered once. */
    spec.decoy_leaf = "revoked";
    build_response(&der, &len, &spec);
    ck_assert_int_eq(expect_accept(der, len, "revoked", &opts).cert_status,
                     OCSPR_CERT_STATUS_REVOKED);
}
END_TEST

/* Our certificate under SHA-256 as well as SHA-1 is two answers, however
 * they are hashed. */
START_TEST(test_built_certid_answered_under_two_hashes)
{
    apr_time_t now = whole_second_now();
    spec_t spec = default_spec(now);
    ocspr_validate_opts_t opts = opts_at(now, -1);
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info;

    spec.repeats = 1;
    spec.repeat_status = V_OCSP_CERTSTATUS_REVOKED;
    spec.repeat_md = EVP_sha256();
    build_response(&der, &len, &spec);
    info = expect_reject(der, len, "good", &opts, OCSPR_REJECT_CERTID_REPEATED);
    assert_contains(info.reason, "good (SHA-1), revoked (SHA-256)");
    assert_contains(info.reason, "conflicting");
    /* A SHA-256 answer about another certificate is no second answer. */
    spec.leaf = "revoked";
    spec.repeats = 0;
    spec.certid_md = EVP_sha256();
    spec.decoy_leaf = NULL;
    build_response(&der, &len, &spec);
    info = expect_reject(der, len, "good", &opts, OCSPR_REJECT_CERTID);
    assert_contains(info.reason, apr_pstrcat(ocspr_test_pool, serial_of("revoked"), " (SHA-256)",
                                             NULL));
}
END_TEST

/* A responder that answers with another hash than the request's: the
 * reason names both algorithms. */
START_TEST(test_built_certid_other_hash_only)
{
    static const struct {
        const char *name;
        const EVP_MD *(*md)(void);
    } hashes[] = { { "SHA-256", EVP_sha256 }, { "SHA-384", EVP_sha384 },
                   { "SHA-512", EVP_sha512 } };
    apr_time_t now = whole_second_now();
    ocspr_validate_opts_t opts = opts_at(now, -1);
    apr_size_t i;

    for (i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
        spec_t spec = default_spec(now);
        unsigned char *der;
        apr_size_t len;
        ocspr_response_info_t info;

        spec.certid_md = hashes[i].md();
        build_response(&der, &len, &spec);
        info = expect_reject(der, len, "good", &opts, OCSPR_REJECT_CERTID);
        assert_contains(info.reason, apr_psprintf(ocspr_test_pool,
                        "the response answers a %s CertID for serial %s; we asked with SHA-1",
                        hashes[i].name, serial_of("good")));
    }
}
END_TEST

/* producedAt is when the responder signed: our clock moved back an hour
 * makes a response signed "now" come from the future. */
START_TEST(test_built_produced_at_future)
{
    apr_time_t now = whole_second_now();
    spec_t spec = default_spec(now);
    ocspr_validate_opts_t opts = opts_at(now, -1);
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info;
    apr_time_t produced;

    /* thisUpdate well in the past, so only producedAt can be in the future;
     * signed by the issuer, whose validity (unlike a delegated responder's)
     * is not checked against our clock, which a fresh test PKI starts at. */
    spec.this_update = now - apr_time_from_sec(7200);
    spec.signer = "int";
    build_response(&der, &len, &spec);
    produced = expect_accept(der, len, "good", &opts).produced_at;
    ck_assert_int_ge(produced, now);
    opts = opts_at(produced - apr_time_from_sec(3600), -1);
    info = expect_reject(der, len, "good", &opts, OCSPR_REJECT_PRODUCED_AT_FUTURE);
    assert_contains(info.reason, apr_pstrcat(ocspr_test_pool, "producedAt ", rfc3339(produced),
                                             " is later than now ",
                                             rfc3339(produced - apr_time_from_sec(3600)), NULL));
    assert_contains(info.reason, "300 s");
    /* The edges: exactly now + skew is allowed, one second more is not. */
    opts = opts_at(produced - apr_time_from_sec(60), apr_time_from_sec(60));
    expect_accept(der, len, "good", &opts);
    opts = opts_at(produced - apr_time_from_sec(61), apr_time_from_sec(60));
    expect_reject(der, len, "good", &opts, OCSPR_REJECT_PRODUCED_AT_FUTURE);
}
END_TEST

START_TEST(test_built_max_age)
{
    apr_time_t now = whole_second_now();
    spec_t spec = default_spec(now);
    ocspr_validate_opts_t opts = opts_at(now, -1);
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info;

    spec.this_update = now - apr_time_from_sec(7200);
    build_response(&der, &len, &spec);
    /* 0 is no limit. */
    expect_accept(der, len, "good", &opts);
    opts.max_age = apr_time_from_sec(3600);
    info = expect_reject(der, len, "good", &opts, OCSPR_REJECT_TOO_OLD);
    assert_contains(info.reason, apr_pstrcat(ocspr_test_pool, "thisUpdate ",
                                             rfc3339(spec.this_update), " is 7200 s old", NULL));
    assert_contains(info.reason, "maximum age (OCSPRefreshMaxAge) of 3600 s");
    /* The edges: exactly max_age old is allowed, one second more is not. */
    opts.max_age = apr_time_from_sec(7200);
    expect_accept(der, len, "good", &opts);
    opts.max_age = apr_time_from_sec(7199);
    expect_reject(der, len, "good", &opts, OCSPR_REJECT_TOO_OLD);
}
END_TEST

START_TEST(test_built_unsuccessful_statuses)
{
    static const struct {
        int status;
        const char *name;
    } cases[] = {
        { OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, "malformedRequest" },
        { OCSP_RESPONSE_STATUS_INTERNALERROR, "internalError" },
        { OCSP_RESPONSE_STATUS_TRYLATER, "tryLater" },
        { OCSP_RESPONSE_STATUS_SIGREQUIRED, "sigRequired" },
        { OCSP_RESPONSE_STATUS_UNAUTHORIZED, "unauthorized" },
    };
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned char *der;
        apr_size_t len;
        ocspr_response_info_t info;

        build_status_only(&der, &len, cases[i].status);
        ck_assert_int_eq(len, 5);   /* SEQUENCE { ENUMERATED n } */
        info = expect_reject(der, len, "good", NULL, OCSPR_REJECT_RESPONSE_STATUS);
        ck_assert_int_eq(info.response_status, cases[i].status);
        assert_contains(info.reason, cases[i].name);
    }
}
END_TEST

START_TEST(test_built_successful_without_basic)
{
    apr_time_t now = whole_second_now();
    static const unsigned char ocsp_basic_oid[] = {
        0x06, 0x09, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01
    };
    unsigned char *der, *other_type;
    apr_size_t len, at;
    ocspr_response_info_t info;

    build_status_only(&der, &len, OCSP_RESPONSE_STATUS_SUCCESSFUL);
    info = expect_reject(der, len, "good", NULL, OCSPR_REJECT_NOT_BASIC);
    ck_assert_int_eq(info.response_status, OCSP_RESPONSE_STATUS_SUCCESSFUL);

    /* responseType id-pkix-ocsp-nonce (…48.1.2) instead of id-pkix-ocsp-basic. */
    build_default(&der, &len, now);
    other_type = copy_of(der, len);
    at = find_bytes(other_type, len, ocsp_basic_oid, sizeof(ocsp_basic_oid));
    other_type[at + sizeof(ocsp_basic_oid) - 1] = 0x02;
    expect_reject(other_type, len, "good", NULL, OCSPR_REJECT_NOT_BASIC);
}
END_TEST

START_TEST(test_built_flipped_signature)
{
    apr_time_t now = whole_second_now();
    spec_t spec = default_spec(now);
    ocspr_validate_opts_t opts = opts_at(now, -1);
    unsigned char *der, *bad;
    apr_size_t len, sig_at;
    ocspr_response_info_t info;

    /* Both the delegated responder and the issuer itself. */
    build_response(&der, &len, &spec);
    sig_at = signature_offset(der, len);
    bad = copy_of(der, len);
    bad[sig_at + 10] ^= 0x01;
    info = expect_reject(bad, len, "good", &opts, OCSPR_REJECT_SIGNATURE);
    assert_contains(info.reason, "CN=Test OCSP Responder,O=ocspr test");

    spec.signer = "int";
    build_response(&der, &len, &spec);
    sig_at = signature_offset(der, len);
    bad = copy_of(der, len);
    bad[sig_at] ^= 0x80;
    expect_reject(bad, len, "good", &opts, OCSPR_REJECT_SIGNATURE);
}
END_TEST

/* Change a digit of producedAt, thisUpdate, nextUpdate (an attacker
 * stretching a response's life): each breaks the signature. */
START_TEST(test_built_tampered_response_data)
{
    apr_time_t now = whole_second_now();
    ocspr_validate_opts_t opts = opts_at(now, -1);
    unsigned char *der;
    apr_size_t len;
    int nth;

    build_default(&der, &len, now);
    expect_accept(der, len, "good", &opts);
    for (nth = 0; nth < 3; nth++) {
        unsigned char *bad = copy_of(der, len);
        apr_size_t year_digit = nth_generalized_time(bad, len, nth) + 3;

        bad[year_digit] = bad[year_digit] == '9' ? '8' : bad[year_digit] + 1;
        expect_reject(bad, len, "good", &opts, OCSPR_REJECT_SIGNATURE);
    }
}
END_TEST

/* The same impostor in every ResponderID form. By name it resolves to the
 * real issuer (SIGNATURE), embedded certificate or not. By key hash it
 * resolves to nothing without its certificate (SIGNER_UNKNOWN), and to its
 * own certificate with it: the issuer's name alone must not make that
 * certificate the issuer (SIGNER_NOT_ISSUED). */
START_TEST(test_built_same_name_other_key)
{
    apr_time_t now = whole_second_now();
    spec_t spec = default_spec(now);
    ocspr_validate_opts_t opts = opts_at(now, -1);
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info;

    spec.signer = "int-otherkey";
    spec.sign_flags = OCSP_NOCERTS;
    build_response(&der, &len, &spec);
    info = expect_reject(der, len, "good", &opts, OCSPR_REJECT_SIGNATURE);
    assert_contains(info.reason, "CN=Test Intermediate CA,O=ocspr test");
    /* By key hash, the other key matches no certificate at all. */
    spec.sign_flags = OCSP_NOCERTS | OCSP_RESPID_KEY;
    build_response(&der, &len, &spec);
    info = expect_reject(der, len, "good", &opts, OCSPR_REJECT_SIGNER_UNKNOWN);
    assert_contains(info.reason, key_hash_of("int-otherkey"));
    spec.sign_flags = OCSP_RESPID_KEY;
    build_response(&der, &len, &spec);
    info = expect_reject(der, len, "good", &opts, OCSPR_REJECT_SIGNER_NOT_ISSUED);
    assert_contains(info.reason, "the issuer's name but another public key");
    assert_contains(info.reason, "CN=Test Root CA,O=ocspr test");
}
END_TEST

START_TEST(test_built_issuer_by_key_without_certs)
{
    apr_time_t now = whole_second_now();
    spec_t spec = default_spec(now);
    ocspr_validate_opts_t opts = opts_at(now, -1);
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info;

    spec.signer = "int";
    spec.sign_flags = OCSP_NOCERTS | OCSP_RESPID_KEY;
    build_response(&der, &len, &spec);
    info = expect_accept(der, len, "good", &opts);
    ck_assert_int_eq(info.delegated, 0);
    ck_assert_str_eq(info.responder_id, apr_pstrcat(ocspr_test_pool, "byKey: ",
                                                    key_hash_of("int"), NULL));
}
END_TEST

/* ---- hostile bytes ------------------------------------------------------ */

START_TEST(test_empty)
{
    static const unsigned char byte = 0x30;

    expect_reject(NULL, 0, "good", NULL, OCSPR_REJECT_EMPTY);
    expect_reject(&byte, 0, "good", NULL, OCSPR_REJECT_EMPTY);
}
END_TEST

START_TEST(test_garbage)
{
    static const unsigned char one_sequence_byte[] = { 0x30 };
    static const unsigned char huge_length[] = { 0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x0a, 0x01 };
    static const unsigned char indefinite_unterminated[] = { 0x30, 0x80, 0x0a, 0x01, 0x00 };
    static const unsigned char indefinite_successful[] = { 0x30, 0x80, 0x0a, 0x01, 0x00, 0x00, 0x00 };
    static const unsigned char bad_enum[] = { 0x30, 0x03, 0x0a, 0x01 };
    static const char http[] = "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\n\r\n";
    unsigned char noise[512];
    unsigned char *cert_der = NULL;
    unsigned char *file;
    apr_size_t file_len;
    apr_uint32_t state = 0x9e3779b9;
    apr_size_t i;
    int cert_len;

    expect_reject(one_sequence_byte, sizeof(one_sequence_byte), "good", NULL,
                  OCSPR_REJECT_PARSE);
    expect_reject(huge_length, sizeof(huge_length), "good", NULL, OCSPR_REJECT_PARSE);
    expect_reject(indefinite_unterminated, sizeof(indefinite_unterminated), "good", NULL,
                  OCSPR_REJECT_PARSE);
    /* OpenSSL's d2i takes BER (as mod_ssl's own stapling does): a complete
     * indefinite-length "successful" parses, and lacks a body. */
    expect_reject(indefinite_successful, sizeof(indefinite_successful), "good", NULL,
                  OCSPR_REJECT_NOT_BASIC);
    expect_reject(bad_enum, sizeof(bad_enum), "good", NULL, OCSPR_REJECT_PARSE);
    expect_reject((const unsigned char *)http, sizeof(http) - 1, "good", NULL,
                  OCSPR_REJECT_PARSE);
    for (i = 0; i < sizeof(noise); i++) {
        state = state * 1664525u + 1013904223u;   /* fixed sequence: reproducible */
        noise[i] = (unsigned char)(state >> 24);
    }
    expect_reject(noise, sizeof(noise), "good", NULL, OCSPR_REJECT_PARSE);
    /* Well-formed DER of the wrong kind: a certificate, and PEM text. */
    cert_len = i2d_X509(ocspr_cert_x509(pki_cert("good")), &cert_der);
    ck_assert_int_gt(cert_len, 0);
    expect_reject(cert_der, (apr_size_t)cert_len, "good", NULL, OCSPR_REJECT_PARSE);
    OPENSSL_free(cert_der);
    ocspr_test_read_file(&file, &file_len, ocspr_test_pool,
                         ocspr_test_pki_path(ocspr_test_pool, "good.pem"));
    expect_reject(file, file_len, "good", NULL, OCSPR_REJECT_PARSE);
}
END_TEST

START_TEST(test_every_truncation)
{
    apr_time_t now = whole_second_now();
    ocspr_validate_opts_t opts = opts_at(now, -1);
    ocspr_cert_t *leaf = pki_cert("good");
    ocspr_cert_t *issuer = pki_cert("int");
    unsigned char *der;
    apr_size_t len, prefix;

    build_default(&der, &len, now);
    expect_accept(der, len, "good", &opts);
    for (prefix = 1; prefix < len; prefix++) {
        /* A copy of exactly `prefix` bytes, so valgrind sees any over-read. */
        unsigned char *cut = copy_of(der, prefix);
        ocspr_response_info_t info;
        apr_status_t rv = ocspr_response_validate(&info, ocspr_test_pool, cut, prefix, leaf,
                                                  issuer, &opts);

        ck_assert_msg(rv == OCSPR_EINVALID && info.reject == OCSPR_REJECT_PARSE,
                      "prefix of %u/%u bytes: %s", (unsigned)prefix, (unsigned)len,
                      ocspr_reject_name(info.reject));
        assert_rejected_as(&info, rv, OCSPR_REJECT_PARSE);
    }
}
END_TEST

START_TEST(test_trailing_garbage)
{
    apr_time_t now = whole_second_now();
    ocspr_validate_opts_t opts = opts_at(now, -1);
    unsigned char *der, *longer;
    apr_size_t len;
    ocspr_response_info_t info;

    build_default(&der, &len, now);
    longer = apr_palloc(ocspr_test_pool, 2 * len);
    memcpy(longer, der, len);
    longer[len] = 0x00;
    info = expect_reject(longer, len + 1, "good", &opts, OCSPR_REJECT_PARSE);
    assert_contains(info.reason, "1 trailing");
    /* Two concatenated valid responses are not one. */
    memcpy(longer + len, der, len);
    expect_reject(longer, 2 * len, "good", &opts, OCSPR_REJECT_PARSE);
}
END_TEST

START_TEST(test_oversize)
{
    apr_time_t now = whole_second_now();
    ocspr_validate_opts_t opts = opts_at(now, -1);
    unsigned char *der, *zeros;
    apr_size_t len;
    ocspr_response_info_t info;

    build_default(&der, &len, now);
    opts.max_size = len - 1;
    info = expect_reject(der, len, "good", &opts, OCSPR_REJECT_OVERSIZE);
    assert_contains(info.reason, apr_psprintf(ocspr_test_pool, "%" APR_SIZE_T_FMT, len));
    assert_contains(info.reason, apr_psprintf(ocspr_test_pool, "%" APR_SIZE_T_FMT, len - 1));
    opts.max_size = len;
    expect_accept(der, len, "good", &opts);

    /* The default cap is 64 KiB and is checked before parsing. */
    zeros = apr_pcalloc(ocspr_test_pool, 64 * KIB + 1);
    expect_reject(zeros, 64 * KIB + 1, "good", NULL, OCSPR_REJECT_OVERSIZE);
    expect_reject(zeros, 64 * KIB, "good", NULL, OCSPR_REJECT_PARSE);
}
END_TEST

/* Every single-byte corruption of a delegated response (with the
 * responder's certificate inside) must fail cleanly, or be harmless: a byte
 * outside what is signed and outside what identifies the signer. */
START_TEST(test_every_byte_flipped)
{
    apr_time_t now = whole_second_now();
    ocspr_validate_opts_t opts = opts_at(now, -1);
    ocspr_cert_t *leaf = pki_cert("good");
    ocspr_cert_t *issuer = pki_cert("int");
    unsigned char *der, *bad;
    apr_size_t len, i;
    ocspr_response_info_t good;

    build_default(&der, &len, now);
    good = expect_accept(der, len, "good", &opts);
    bad = copy_of(der, len);
    for (i = 0; i < len; i++) {
        ocspr_response_info_t info;
        apr_status_t rv;

        bad[i] ^= 0x5a;
        rv = ocspr_response_validate(&info, ocspr_test_pool, bad, len, leaf, issuer, &opts);
        bad[i] ^= 0x5a;
        ck_assert_msg(ERR_peek_error() == 0, "error queue not cleared (byte %u)", (unsigned)i);
        if (rv == APR_SUCCESS) {
            ck_assert_int_eq(info.cert_status, good.cert_status);
            ck_assert_int_eq(info.this_update, good.this_update);
            ck_assert_int_eq(info.next_update, good.next_update);
            ck_assert_int_eq(info.delegated, 1);
        }
        else {
            ck_assert_msg(rv == OCSPR_EINVALID && info.reject != OCSPR_REJECT_NONE
                          && info.reason != NULL, "byte %u: rv %d", (unsigned)i, rv);
        }
    }
}
END_TEST

START_TEST(test_info_is_reset_between_calls)
{
    apr_time_t now = whole_second_now();
    ocspr_validate_opts_t opts = opts_at(now, -1);
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info;

    build_default(&der, &len, now);
    ck_assert_int_eq(validate(&info, der, len, "good", &opts), APR_SUCCESS);
    ck_assert_int_eq(validate(&info, der, len, "revoked", &opts), OCSPR_EINVALID);
    assert_rejected_as(&info, OCSPR_EINVALID, OCSPR_REJECT_CERTID);
    ck_assert_int_eq(info.delegated, 0);
    ck_assert_int_eq(info.this_update, 0);
    ck_assert_int_eq(info.produced_at, 0);
    ck_assert_int_eq(info.revocation_reason, -1);
    ck_assert_int_eq(validate(&info, der, len, "good", &opts), APR_SUCCESS);
    ck_assert_ptr_null(info.reason);
    ck_assert_int_eq(info.reject, OCSPR_REJECT_NONE);
    /* Before parsing, the response status is not known. */
    ck_assert_int_eq(validate(&info, der, 0, "good", &opts), OCSPR_EINVALID);
    ck_assert_int_eq(info.response_status, -1);
}
END_TEST

START_TEST(test_bad_arguments)
{
    unsigned char *der;
    apr_size_t len;
    ocspr_response_info_t info;

    build_default(&der, &len, whole_second_now());
    ck_assert_int_eq(ocspr_response_validate(&info, ocspr_test_pool, der, len, NULL,
                                             pki_cert("int"), NULL), APR_EINVAL);
    ck_assert_int_eq(ocspr_response_validate(&info, ocspr_test_pool, der, len, pki_cert("good"),
                                             NULL, NULL), APR_EINVAL);
    ck_assert_int_eq(ocspr_response_validate(&info, ocspr_test_pool, NULL, len,
                                             pki_cert("good"), pki_cert("int"), NULL),
                     APR_EINVAL);
    ck_assert_int_eq(ocspr_response_validate(NULL, ocspr_test_pool, der, len, pki_cert("good"),
                                             pki_cert("int"), NULL), APR_EINVAL);
}
END_TEST

Suite *ocspr_suite_response(void)
{
    Suite *s = suite_create("response");
    TCase *names = tcase_create("names");
    TCase *openssl = tcase_create("openssl_responder");
    TCase *built = tcase_create("built");
    TCase *hostile = tcase_create("hostile_bytes");

    tcase_add_test(names, test_reject_names);
    tcase_add_test(names, test_status_and_reason_names);
    suite_add_tcase(s, names);

    /* Each test runs `openssl ocsp` twice per response. */
    ocspr_tc_add_pool_fixture(openssl);
    tcase_set_timeout(openssl, 60);
    tcase_add_test(openssl, test_openssl_good_delegated);
    tcase_add_test(openssl, test_openssl_good_signed_by_issuer);
    tcase_add_test(openssl, test_openssl_responder_by_key);
    tcase_add_test(openssl, test_openssl_revoked);
    tcase_add_test(openssl, test_openssl_unknown_is_valid);
    tcase_add_test(openssl, test_openssl_signer_without_eku);
    tcase_add_test(openssl, test_openssl_signer_is_the_leaf);
    tcase_add_test(openssl, test_openssl_signer_from_other_ca);
    tcase_add_test(openssl, test_openssl_signer_same_name_other_key);
    tcase_add_test(openssl, test_openssl_delegated_without_its_certificate);
    tcase_add_test(openssl, test_openssl_certid_mismatch);
    tcase_add_test(openssl, test_openssl_no_next_update);
    tcase_add_test(openssl, test_openssl_expires_when_now_moves);
    tcase_add_test(openssl, test_openssl_max_age);
    suite_add_tcase(s, openssl);

    ocspr_tc_add_pool_fixture(built);
    tcase_add_test(built, test_built_this_update_an_hour_ahead);
    tcase_add_test(built, test_built_clock_skew);
    tcase_add_test(built, test_built_next_update_past);
    tcase_add_test(built, test_built_no_next_update);
    tcase_add_test(built, test_built_next_update_not_after_this_update);
    tcase_add_test(built, test_built_delegated_signer_outside_validity);
    tcase_add_test(built, test_built_times_are_reported_exactly);
    tcase_add_test(built, test_built_revoked_and_unknown);
    tcase_add_test(built, test_built_picks_our_single_response);
    tcase_add_test(built, test_built_certid_answered_twice);
    tcase_add_test(built, test_built_certid_answered_many_times);
    tcase_add_test(built, test_built_certid_answered_under_two_hashes);
    tcase_add_test(built, test_built_certid_other_hash_only);
    tcase_add_test(built, test_built_produced_at_future);
    tcase_add_test(built, test_built_max_age);
    tcase_add_test(built, test_built_unsuccessful_statuses);
    tcase_add_test(built, test_built_successful_without_basic);
    tcase_add_test(built, test_built_flipped_signature);
    tcase_add_test(built, test_built_tampered_response_data);
    tcase_add_test(built, test_built_same_name_other_key);
    tcase_add_test(built, test_built_issuer_by_key_without_certs);
    suite_add_tcase(s, built);

    /* Thousands of validations each; generous for valgrind. */
    ocspr_tc_add_pool_fixture(hostile);
    tcase_set_timeout(hostile, 300);
    tcase_add_test(hostile, test_empty);
    tcase_add_test(hostile, test_garbage);
    tcase_add_test(hostile, test_every_truncation);
    tcase_add_test(hostile, test_trailing_garbage);
    tcase_add_test(hostile, test_oversize);
    tcase_add_test(hostile, test_every_byte_flipped);
    tcase_add_test(hostile, test_info_is_reset_between_calls);
    tcase_add_test(hostile, test_bad_arguments);
    suite_add_tcase(s, hostile);
    return s;
}
