/* Tests for ocspr_cert_lite.c: a certificate parsed without its key must
 * answer every question the chain analysis asks exactly as the full parse
 * (ocspr_chain_load_file, d2i_X509) does, for every certificate of the test
 * PKI and a few made here for OpenSSL's corner cases. */
#include <string.h>
#include <apr_strings.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "check_support.h"
#include "ocspr_cert_lite.h"

static const char *const pki_files[] = {
    "root", "int", "int-otherkey", "other-root", "ocsp", "ocsp-noeku", "ocsp-other", "good",
    "good-ec", "revoked", "mustaple", "noocsp", "httpsocsp", "expired", "aianewline", "ca-chain",
};

typedef struct {
    const ocspr_cert_t *full;
    ocspr_cert_lite_t *lite;
} pair_t;

static ocspr_cert_lite_ctx_t *lite_ctx(void)
{
    ocspr_cert_lite_ctx_t *ctx = NULL;

    ck_assert_int_eq(ocspr_cert_lite_ctx_create(&ctx, ocspr_test_pool), APR_SUCCESS);
    return ctx;
}

static ocspr_cert_lite_t *lite_of_x509(ocspr_cert_lite_ctx_t *ctx, X509 *x)
{
    unsigned char *der = NULL;
    int len = i2d_X509(x, &der);
    ocspr_cert_lite_t *lite = NULL;

    ck_assert_int_gt(len, 0);
    ck_assert_int_eq(ocspr_cert_lite_parse(&lite, ctx, ocspr_test_pool, der, (apr_size_t)len),
                     APR_SUCCESS);
    OPENSSL_free(der);
    return lite;
}

/* Every certificate of the PKI files, full and key-less. */
static apr_array_header_t *pki_pairs(ocspr_cert_lite_ctx_t *ctx)
{
    apr_array_header_t *pairs = apr_array_make(ocspr_test_pool, 32, sizeof(pair_t));
    size_t f;
    int i;

    for (f = 0; f < sizeof(pki_files) / sizeof(pki_files[0]); f++) {
        apr_array_header_t *certs;
        const char *path = ocspr_test_pki_path(ocspr_test_pool,
                                               apr_pstrcat(ocspr_test_pool, pki_files[f], ".pem",
                                                           NULL));

        ck_assert_int_eq(ocspr_chain_load_file(&certs, NULL, ocspr_test_pool, path), APR_SUCCESS);
        for (i = 0; i < certs->nelts; i++) {
            pair_t *pair = apr_array_push(pairs);

            pair->full = APR_ARRAY_IDX(certs, i, const ocspr_cert_t *);
            pair->lite = lite_of_x509(ctx, ocspr_cert_x509(pair->full));
        }
    }
    return pairs;
}

static void assert_same_str(const char *full, const char *lite, const char *what)
{
    ck_assert_msg((full == NULL && lite == NULL)
                  || (full != NULL && lite != NULL && strcmp(full, lite) == 0),
                  "%s: full \"%s\", key-less \"%s\"", what, full ? full : "(null)",
                  lite ? lite : "(null)");
}

static void assert_same_urls(const apr_array_header_t *full, const apr_array_header_t *lite)
{
    int i;

    ck_assert_int_eq(full->nelts, lite->nelts);
    for (i = 0; i < full->nelts; i++) {
        assert_same_str(APR_ARRAY_IDX(full, i, const char *), APR_ARRAY_IDX(lite, i, const char *),
                        "URL");
    }
}

/* Everything the chain analysis reads from one certificate. */
static void assert_same_view(const pair_t *pair)
{
    apr_pool_t *p = ocspr_test_pool;
    const ocspr_cert_t *f = pair->full, *v = ocspr_cert_lite_view(pair->lite);
    unsigned char id[OCSPR_CERT_ID_LEN];
    const char *subject = ocspr_cert_subject(f, p);

    ck_assert_int_eq(ocspr_cert_id(id, f), APR_SUCCESS);
    ck_assert_msg(memcmp(id, ocspr_cert_lite_id(pair->lite), sizeof(id)) == 0, "id of %s", subject);
    assert_same_str(subject, ocspr_cert_subject(v, p), "subject");
    assert_same_str(ocspr_cert_issuer_name(f, p), ocspr_cert_issuer_name(v, p), "issuer");
    assert_same_str(ocspr_cert_serial(f, p), ocspr_cert_serial(v, p), "serial");
    assert_same_str(ocspr_cert_subject_key_id(f, p), ocspr_cert_subject_key_id(v, p), "skid");
    assert_same_str(ocspr_cert_authority_key_id(f, p), ocspr_cert_authority_key_id(v, p), "akid");
    ck_assert(ocspr_cert_not_before(f) == ocspr_cert_not_before(v));
    ck_assert(ocspr_cert_not_after(f) == ocspr_cert_not_after(v));
    assert_same_urls(ocspr_cert_ocsp_urls(f, p), ocspr_cert_ocsp_urls(v, p));
    assert_same_urls(ocspr_cert_ca_issuers_urls(f, p), ocspr_cert_ca_issuers_urls(v, p));
    assert_same_str(ocspr_cert_ocsp_url_refusal(f, p), ocspr_cert_ocsp_url_refusal(v, p),
                    "refusal");
    ck_assert_int_eq(ocspr_cert_must_staple(f), ocspr_cert_must_staple(v));
    ck_assert_msg(ocspr_cert_is_ca(f) == ocspr_cert_is_ca(v), "is_ca of %s", subject);
    ck_assert_msg(ocspr_cert_is_self_signed(f) == ocspr_cert_is_self_signed(v),
                  "is_self_signed of %s", subject);
    ck_assert_msg(X509_check_ca(ocspr_cert_x509(f)) == X509_check_ca(ocspr_cert_x509(v)),
                  "X509_check_ca of %s", subject);
}

/* Issuer questions between every two certificates, both ways. */
static void assert_same_issuers(const apr_array_header_t *pairs)
{
    int i, j;

    for (i = 0; i < pairs->nelts; i++) {
        const pair_t *a = &APR_ARRAY_IDX(pairs, i, pair_t);

        for (j = 0; j < pairs->nelts; j++) {
            const pair_t *b = &APR_ARRAY_IDX(pairs, j, pair_t);
            int expected = X509_check_issued(ocspr_cert_x509(a->full), ocspr_cert_x509(b->full));

            ERR_clear_error();
            ck_assert_msg(ocspr_cert_lite_check_issued(a->lite, b->lite) == expected,
                          "X509_check_issued(%s, %s): %d expected",
                          ocspr_cert_subject(a->full, ocspr_test_pool),
                          ocspr_cert_subject(b->full, ocspr_test_pool), expected);
            ck_assert_int_eq(ocspr_cert_lite_issued_by(b->lite, a->lite),
                             ocspr_cert_issued_by(b->full, a->full));
        }
    }
}

START_TEST(pki_certificates_answer_as_the_full_parse)
{
    apr_array_header_t *pairs = pki_pairs(lite_ctx());
    int i;

    ck_assert_int_gt(pairs->nelts, 16);
    for (i = 0; i < pairs->nelts; i++) {
        assert_same_view(&APR_ARRAY_IDX(pairs, i, pair_t));
    }
    assert_same_issuers(pairs);
}
END_TEST

START_TEST(the_key_is_left_undecoded_until_needed)
{
    ocspr_cert_lite_ctx_t *ctx = lite_ctx();
    ocspr_cert_lite_t *leaf = lite_of_x509(ctx, ocspr_cert_x509(ocspr_test_cert(ocspr_test_pool,
                                                                                 "good")));
    ocspr_cert_lite_t *root = lite_of_x509(ctx, ocspr_cert_x509(ocspr_test_cert(ocspr_test_pool,
                                                                                 "root")));
    const ocspr_cert_t *full;

    /* What saves the time: no decoded key in the view of a leaf. */
    ck_assert_ptr_null(X509_get0_pubkey(ocspr_cert_lite_x509(leaf)));
    ERR_clear_error();
    full = ocspr_cert_lite_full(leaf);
    ck_assert_ptr_nonnull(full);
    ck_assert_ptr_nonnull(X509_get0_pubkey(ocspr_cert_x509(full)));
    ck_assert_ptr_eq(ocspr_cert_lite_full(leaf), full);
    ck_assert_str_eq(ocspr_cert_key_type(full, ocspr_test_pool), "RSA-2048");
    /* A self-issued certificate is parsed in full at once. */
    ck_assert_ptr_eq(ocspr_cert_lite_full(root), ocspr_cert_lite_view(root));
    ck_assert_ptr_nonnull(X509_get0_pubkey(ocspr_cert_lite_x509(root)));
}
END_TEST

/* A certificate made here: version, names, key and signer chosen. */
static X509 *make_cert(long version, const char *subject_cn, const char *issuer_cn,
                       EVP_PKEY *key, EVP_PKEY *signer)
{
    X509 *x = X509_new();
    X509_NAME *subject = X509_NAME_new(), *issuer = X509_NAME_new();

    ck_assert_ptr_nonnull(x);
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *)subject_cn,
                               -1, -1, 0);
    X509_NAME_add_entry_by_txt(issuer, "CN", MBSTRING_ASC, (const unsigned char *)issuer_cn,
                               -1, -1, 0);
    ck_assert(X509_set_version(x, version));
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_set_subject_name(x, subject);
    X509_set_issuer_name(x, issuer);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    ck_assert_int_gt(X509_sign(x, signer, EVP_sha256()), 0);
    X509_NAME_free(subject);
    X509_NAME_free(issuer);
    return x;
}

START_TEST(openssl_corner_cases_answer_as_the_full_parse)
{
    ocspr_cert_lite_ctx_t *ctx = lite_ctx();
    EVP_PKEY *rsa = ocspr_test_pki_key(ocspr_test_pool, "good");
    EVP_PKEY *ec = ocspr_test_pki_key(ocspr_test_pool, "good-ec");
    /* A v1 root is a CA only because OpenSSL sees it as self-signed, which
     * depends on its key; a self-issued certificate signed by another key
     * is not; a v1 certificate that is not self-issued has no extension. */
    X509 *made[] = {
        make_cert(X509_VERSION_1, "v1 root", "v1 root", rsa, rsa),
        make_cert(X509_VERSION_1, "v1 root", "v1 root", ec, rsa),
        make_cert(X509_VERSION_3, "v3 self-issued", "v3 self-issued", rsa, ec),
        make_cert(X509_VERSION_1, "v1 leaf", "v1 root", ec, rsa),
        make_cert(X509_VERSION_1, "v1 leaf by EC", "v1 root", rsa, ec),
    };
    apr_array_header_t *pairs = apr_array_make(ocspr_test_pool, 8, sizeof(pair_t));
    size_t i;

    for (i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
        pair_t *pair = apr_array_push(pairs);

        pair->full = ocspr_cert_wrap(ocspr_test_pool, made[i]);
        pair->lite = lite_of_x509(ctx, made[i]);
        assert_same_view(pair);
    }
    ck_assert(ocspr_cert_is_ca(ocspr_cert_lite_view(APR_ARRAY_IDX(pairs, 0, pair_t).lite)));
    assert_same_issuers(pairs);
}
END_TEST

START_TEST(hostile_der_is_refused)
{
    ocspr_cert_lite_ctx_t *ctx = lite_ctx();
    X509 *x = ocspr_cert_x509(ocspr_test_cert(ocspr_test_pool, "good"));
    unsigned char *der = NULL, *longer;
    int len = i2d_X509(x, &der), cut;
    ocspr_cert_lite_t *lite = (ocspr_cert_lite_t *)&len;

    ck_assert_int_gt(len, 0);
    for (cut = 0; cut < len; cut += 7) {
        ck_assert_int_eq(ocspr_cert_lite_parse(&lite, ctx, ocspr_test_pool, der, (apr_size_t)cut),
                         OCSPR_EINVALID);
        ck_assert_ptr_null(lite);
    }
    longer = apr_pcalloc(ocspr_test_pool, (apr_size_t)len + 1);
    memcpy(longer, der, (size_t)len);
    ck_assert_int_eq(ocspr_cert_lite_parse(&lite, ctx, ocspr_test_pool, longer,
                                           (apr_size_t)len + 1), OCSPR_EINVALID);
    der[len / 2] ^= 0xff;
    ocspr_cert_lite_parse(&lite, ctx, ocspr_test_pool, der, (apr_size_t)len);
    OPENSSL_free(der);
    ck_assert_int_eq(ERR_peek_error(), 0);
}
END_TEST

Suite *ocspr_suite_cert_lite(void)
{
    Suite *s = suite_create("cert_lite");
    TCase *tc = tcase_create("cert_lite");

    ocspr_tc_add_pool_fixture(tc);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, pki_certificates_answer_as_the_full_parse);
    tcase_add_test(tc, the_key_is_left_undecoded_until_needed);
    tcase_add_test(tc, openssl_corner_cases_answer_as_the_full_parse);
    tcase_add_test(tc, hostile_der_is_refused);
    suite_add_tcase(s, tc);
    return s;
}
