/* Shared helpers for the Check unit tests. */
#include <stdio.h>
#include <stdlib.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <openssl/pem.h>

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
