/* Shared helpers for the Check unit tests. */
#include <stdio.h>
#include <stdlib.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "check_support.h"

apr_pool_t *ocspr_test_pool;

static void pool_setup(void)
{
    ck_assert_int_eq(apr_pool_create(&ocspr_test_pool, NULL), APR_SUCCESS);
}

static void pool_teardown(void)
{
    apr_pool_destroy(ocspr_test_pool);
    ocspr_test_pool = NULL;
}

void ocspr_tc_add_pool_fixture(TCase *tc)
{
    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
}

const char *ocspr_test_pki_dir(void)
{
    const char *dir = getenv("OCSPR_TEST_PKI");

    ck_assert_msg(dir != NULL && *dir, "OCSPR_TEST_PKI is not set (run the tests through ctest)");
    return dir;
}

const char *ocspr_test_pki_path(apr_pool_t *p, const char *file)
{
    return apr_pstrcat(p, ocspr_test_pki_dir(), "/", file, NULL);
}

ocspr_cert_t *ocspr_test_cert(apr_pool_t *p, const char *name)
{
    const char *path = ocspr_test_pki_path(p, apr_pstrcat(p, name, ".pem", NULL));
    FILE *f = fopen(path, "r");
    X509 *x;

    ck_assert_msg(f != NULL, "cannot open %s", path);
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert_msg(x != NULL, "no certificate in %s", path);
    return ocspr_cert_wrap(p, x);
}

void ocspr_test_read_file(unsigned char **pdata, apr_size_t *plen, apr_pool_t *p,
                          const char *path)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t n;

    ck_assert_msg(apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, p) == APR_SUCCESS,
                  "cannot open %s", path);
    ck_assert_int_eq(apr_file_info_get(&fi, APR_FINFO_SIZE, f), APR_SUCCESS);
    n = (apr_size_t)fi.size;
    *pdata = apr_palloc(p, n + 1);
    ck_assert_int_eq(apr_file_read_full(f, *pdata, n, plen), n ? APR_SUCCESS : APR_EOF);
    apr_file_close(f);
}

void ocspr_test_openssl_response(unsigned char **pder, apr_size_t *plen, apr_pool_t *p,
                                 const char *leaf, const char *signer, const char *extra_args)
{
    const char *dir = ocspr_test_pki_dir();
    char *tmpl = apr_pstrdup(p, "/tmp/ocspr-resp-XXXXXX");
    apr_file_t *tmp;
    const char *cmd;
    int rc;

    ck_assert_int_eq(apr_file_mktemp(&tmp, tmpl, 0, p), APR_SUCCESS);
    apr_file_close(tmp);
    cmd = apr_psprintf(p,
        "cd '%s' && openssl ocsp -issuer int.pem -cert %s.pem -no_nonce -reqout - 2>/dev/null"
        " | openssl ocsp -index index.txt -CA int.pem -rsigner %s.pem -rkey %s.key"
        " -reqin - -respout '%s' %s >/dev/null 2>&1",
        dir, leaf, signer, signer, tmpl, extra_args ? extra_args : "");
    rc = system(cmd);
    ck_assert_msg(rc == 0, "openssl ocsp failed (%d): %s", rc, cmd);
    ocspr_test_read_file(pder, plen, p, tmpl);
    apr_file_remove(tmpl, p);
    ck_assert_msg(*plen > 0, "openssl ocsp wrote an empty response: %s", cmd);
}

static apr_status_t pkey_cleanup(void *key)
{
    EVP_PKEY_free(key);
    return APR_SUCCESS;
}

EVP_PKEY *ocspr_test_pki_key(apr_pool_t *p, const char *name)
{
    const char *path = ocspr_test_pki_path(p, apr_pstrcat(p, name, ".key", NULL));
    FILE *f = fopen(path, "r");
    EVP_PKEY *key;

    ck_assert_msg(f != NULL, "cannot open %s", path);
    key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert_msg(key != NULL, "no private key in %s", path);
    apr_pool_cleanup_register(p, key, pkey_cleanup, apr_pool_cleanup_null);
    return key;
}

ocspr_cert_t *ocspr_test_make_leaf(apr_pool_t *p, const char *cn, long serial, int must_staple)
{
    X509 *issuer = ocspr_cert_x509(ocspr_test_cert(p, "int"));
    EVP_PKEY *leaf_key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();

    ck_assert(leaf_key != NULL && x != NULL && name != NULL);
    ck_assert(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                         (const unsigned char *)"ocspr test", -1, -1, 0));
    ck_assert(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn,
                                         -1, -1, 0));
    ck_assert(X509_set_version(x, 2) && X509_set_subject_name(x, name)
              && X509_set_issuer_name(x, X509_get_subject_name(issuer))
              && ASN1_INTEGER_set(X509_get_serialNumber(x), serial)
              && X509_gmtime_adj(X509_getm_notBefore(x), -86400)
              && X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400)
              && X509_set_pubkey(x, leaf_key));
    if (must_staple) {
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_tlsfeature, "status_request");

        ck_assert_ptr_nonnull(ext);
        ck_assert(X509_add_ext(x, ext, -1));
        X509_EXTENSION_free(ext);
    }
    ck_assert(X509_sign(x, ocspr_test_pki_key(p, "int"), EVP_sha256()) > 0);
    X509_NAME_free(name);
    EVP_PKEY_free(leaf_key);
    return ocspr_cert_wrap(p, x);
}

void ocspr_test_signed_response(unsigned char **pder, apr_size_t *plen, apr_pool_t *p,
                                const ocspr_cert_t *leaf, const char *signer, int cert_status,
                                apr_time_t this_update, apr_time_t next_update)
{
    OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
    OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), ocspr_cert_x509(leaf),
                                      ocspr_cert_x509(ocspr_test_cert(p, "int")));
    ASN1_GENERALIZEDTIME *this_t = ASN1_GENERALIZEDTIME_set(NULL, (time_t)apr_time_sec(this_update));
    ASN1_GENERALIZEDTIME *next_t = next_update
        ? ASN1_GENERALIZEDTIME_set(NULL, (time_t)apr_time_sec(next_update)) : NULL;
    ASN1_GENERALIZEDTIME *revoked_t = cert_status == V_OCSP_CERTSTATUS_REVOKED
        ? ASN1_GENERALIZEDTIME_set(NULL, (time_t)apr_time_sec(this_update) - 86400) : NULL;
    OCSP_RESPONSE *resp;
    unsigned char *cursor;
    int n;

    ck_assert(bs != NULL && id != NULL && this_t != NULL);
    ck_assert_ptr_nonnull(OCSP_basic_add1_status(bs, id, cert_status,
                                                 revoked_t ? OCSP_REVOKED_STATUS_KEYCOMPROMISE : -1,
                                                 revoked_t, this_t, next_t));
    ck_assert(OCSP_basic_sign(bs, ocspr_cert_x509(ocspr_test_cert(p, signer)),
                              ocspr_test_pki_key(p, signer), EVP_sha256(), NULL, 0));
    resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
    ck_assert_ptr_nonnull(resp);
    n = i2d_OCSP_RESPONSE(resp, NULL);
    ck_assert_int_gt(n, 0);
    *pder = apr_palloc(p, (apr_size_t)n);
    cursor = *pder;
    ck_assert_int_eq(i2d_OCSP_RESPONSE(resp, &cursor), n);
    *plen = (apr_size_t)n;
    OCSP_RESPONSE_free(resp);
    ASN1_GENERALIZEDTIME_free(revoked_t);
    ASN1_GENERALIZEDTIME_free(next_t);
    ASN1_GENERALIZEDTIME_free(this_t);
    OCSP_CERTID_free(id);
    OCSP_BASICRESP_free(bs);
}
