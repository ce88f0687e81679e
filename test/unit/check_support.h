/* Shared helpers for the Check unit tests. */
#ifndef OCSPR_CHECK_SUPPORT_H
#define OCSPR_CHECK_SUPPORT_H

#include <check.h>
#include <apr_pools.h>
#include "ocspr_cert.h"

/* Every suite, one per core file; check_main.c runs them all. */
Suite *ocspr_suite_util(void);
Suite *ocspr_suite_cert(void);
Suite *ocspr_suite_cert_lite(void);
Suite *ocspr_suite_request(void);
Suite *ocspr_suite_http(void);
Suite *ocspr_suite_http_parse(void);
Suite *ocspr_suite_response(void);
Suite *ocspr_suite_fetch(void);
Suite *ocspr_suite_policy(void);
Suite *ocspr_suite_record(void);
Suite *ocspr_suite_store(void);
Suite *ocspr_suite_conf(void);
Suite *ocspr_suite_chain(void);
Suite *ocspr_suite_chain_conf(void);
Suite *ocspr_suite_status(void);
Suite *ocspr_suite_status_model(void);
Suite *ocspr_suite_engine(void);
Suite *ocspr_suite_registry(void);

/* A line a test's recording log sink kept (ocspr_log_set). */
typedef struct {
    ocspr_log_level_t level;
    apr_status_t rv;
    const char *tag;
    const char *msg;
} ocspr_test_log_entry_t;

/* A pool per test: tc_add_pool_fixture adds a checked fixture that creates
 * ocspr_test_pool before each test and destroys it after. */
extern apr_pool_t *ocspr_test_pool;
void ocspr_tc_add_pool_fixture(TCase *tc);

/* The test PKI made by test/pki/make-pki.sh (env OCSPR_TEST_PKI). */
const char *ocspr_test_pki_dir(void);
/* Path of a file in the PKI directory. */
const char *ocspr_test_pki_path(apr_pool_t *p, const char *file);
/* The first certificate of PKI file NAME.pem (aborts the test if missing). */
ocspr_cert_t *ocspr_test_cert(apr_pool_t *p, const char *name);
/* A file's whole content (aborts the test on error). */
void ocspr_test_read_file(unsigned char **pdata, apr_size_t *plen, apr_pool_t *p,
                          const char *path);

/* A real response from OpenSSL's own responder: `openssl ocsp` builds the
 * request for PKI leaf `leaf` (issuer int) and answers it from index.txt,
 * signed by PKI cert/key `signer` ("ocsp", "int", "ocsp-noeku", ...), with
 * extra_args appended (e.g. "-nmin 5", "-ndays 1", or "" for no nextUpdate). */
void ocspr_test_openssl_response(unsigned char **pder, apr_size_t *plen, apr_pool_t *p,
                                 const char *leaf, const char *signer, const char *extra_args);

/* The private key of PKI file NAME.key, freed with p. */
EVP_PKEY *ocspr_test_pki_key(apr_pool_t *p, const char *name);

/* A leaf made in-process, issued (and signed) by the PKI's intermediate:
 * subject CN=cn, the given serial, valid from a day ago for 30 days, with
 * the TLS Feature status_request (Must-Staple) when must_staple. For tests
 * that need dozens of distinct certificates without a shell per one. */
ocspr_cert_t *ocspr_test_make_leaf(apr_pool_t *p, const char *cn, long serial, int must_staple);

/* A response built in-process for times the `openssl ocsp` CLI cannot set:
 * one SingleResponse about leaf (issued by the PKI's intermediate) with
 * cert_status V_OCSP_CERTSTATUS_GOOD/REVOKED/UNKNOWN and the given
 * thisUpdate/nextUpdate (whole seconds; next_update 0: absent), signed by PKI
 * cert/key `signer` (included in the response). producedAt is the real time
 * of signing: OpenSSL sets it. */
void ocspr_test_signed_response(unsigned char **pder, apr_size_t *plen, apr_pool_t *p,
                                const ocspr_cert_t *leaf, const char *signer, int cert_status,
                                apr_time_t this_update, apr_time_t next_update);

#endif /* OCSPR_CHECK_SUPPORT_H */
