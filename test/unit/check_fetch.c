/* Tests for ocspr_fetch.c: request, transport and validation put together,
 * with a canned transport in place of the network (the transport is a
 * callback for exactly this). The canned bodies are real responses from
 * `openssl ocsp`. */
#include <string.h>
#include <apr_strings.h>
#include <openssl/ocsp.h>

#include "check_support.h"
#include "ocspr_fetch.h"

/* What the canned transport answers, and what it saw. */
typedef struct {
    ocspr_outcome_t outcome;            /* OK: answer body; else fail with reason */
    const char *reason;
    const unsigned char *body;
    apr_size_t body_len;
    /* seen */
    int calls;
    const char *url;
    OCSP_REQUEST *request;
} canned_t;

static apr_status_t canned_fetch(void *baton, ocspr_http_result_t *res, apr_pool_t *p,
                                 const char *url, const unsigned char *req_der,
                                 apr_size_t req_len, const ocspr_http_opts_t *opts)
{
    canned_t *c = baton;
    const unsigned char *cursor = req_der;

    c->calls++;
    c->url = apr_pstrdup(p, url);
    OCSP_REQUEST_free(c->request);
    c->request = d2i_OCSP_REQUEST(NULL, &cursor, (long)req_len);
    memset(res, 0, sizeof(*res));
    res->outcome = c->outcome;
    res->latency = apr_time_from_msec(12);
    if (c->outcome != OCSPR_OUTCOME_OK) {
        res->reason = c->reason;
        res->http_status = c->outcome == OCSPR_OUTCOME_HTTP_STATUS ? 500 : 0;
        return OCSPR_EFETCH;
    }
    res->http_status = 200;
    res->reason = "HTTP 200";
    res->body = c->body;
    res->body_len = c->body_len;
    return APR_SUCCESS;
}

static apr_status_t fetch_with(ocspr_fetch_result_t *res, canned_t *c, const char *leaf)
{
    ocspr_http_transport_t transport = { canned_fetch, c };
    ocspr_http_opts_t opts;
    apr_status_t rv;

    ocspr_http_opts_default(&opts);
    rv = ocspr_fetch_response(res, ocspr_test_pool, ocspr_test_cert(ocspr_test_pool, leaf),
                              ocspr_test_cert(ocspr_test_pool, "int"),
                              "http://127.0.0.1:18080/ocsp", &transport, &opts, NULL);
    ck_assert_ptr_nonnull(res->reason);
    return rv;
}

static void canned_free(canned_t *c)
{
    OCSP_REQUEST_free(c->request);
}

START_TEST(good_response_is_returned)
{
    canned_t c = { OCSPR_OUTCOME_OK, NULL, NULL, 0, 0, NULL, NULL };
    ocspr_fetch_result_t res;
    unsigned char *der;
    apr_size_t len;
    OCSP_CERTID *expected;

    ocspr_test_openssl_response(&der, &len, ocspr_test_pool, "good", "ocsp", "-nmin 5");
    c.body = der;
    c.body_len = len;
    ck_assert_int_eq(fetch_with(&res, &c, "good"), APR_SUCCESS);
    ck_assert_int_eq(res.outcome, OCSPR_OUTCOME_OK);
    ck_assert_int_eq(res.info.cert_status, OCSPR_CERT_STATUS_GOOD);
    ck_assert(res.der == der && res.der_len == len);
    ck_assert_int_eq(res.http_status, 200);
    ck_assert_int_eq(res.latency, apr_time_from_msec(12));
    ck_assert_msg(strstr(res.reason, "good response") != NULL, "reason: %s", res.reason);

    /* One request, to the URL given, for exactly (good, int), no nonce. */
    ck_assert_int_eq(c.calls, 1);
    ck_assert_str_eq(c.url, "http://127.0.0.1:18080/ocsp");
    ck_assert_ptr_nonnull(c.request);
    ck_assert_int_eq(OCSP_request_onereq_count(c.request), 1);
    expected = OCSP_cert_to_id(EVP_sha1(), ocspr_cert_x509(ocspr_test_cert(ocspr_test_pool, "good")),
                               ocspr_cert_x509(ocspr_test_cert(ocspr_test_pool, "int")));
    ck_assert_int_eq(OCSP_id_cmp(OCSP_onereq_get0_id(OCSP_request_onereq_get0(c.request, 0)),
                                 expected), 0);
    ck_assert_int_lt(OCSP_REQUEST_get_ext_by_NID(c.request, NID_id_pkix_OCSP_Nonce, -1), 0);
    OCSP_CERTID_free(expected);
    canned_free(&c);
}
END_TEST

START_TEST(revoked_is_a_valid_answer)
{
    canned_t c = { OCSPR_OUTCOME_OK, NULL, NULL, 0, 0, NULL, NULL };
    ocspr_fetch_result_t res;

    ocspr_test_openssl_response((unsigned char **)&c.body, &c.body_len, ocspr_test_pool,
                                "revoked", "ocsp", "-nmin 5");
    ck_assert_int_eq(fetch_with(&res, &c, "revoked"), APR_SUCCESS);
    ck_assert_int_eq(res.info.cert_status, OCSPR_CERT_STATUS_REVOKED);
    ck_assert_int_gt(res.info.revoked_at, 0);
    canned_free(&c);
}
END_TEST

/* The transport's own failure comes back as it was classified. */
START_TEST(transport_failure_is_passed_through)
{
    canned_t c = { OCSPR_OUTCOME_TIMEOUT, "no answer from 127.0.0.1:18080 within 10000 ms",
                   NULL, 0, 0, NULL, NULL };
    ocspr_fetch_result_t res;

    ck_assert_int_eq(fetch_with(&res, &c, "good"), OCSPR_EFETCH);
    ck_assert_int_eq(res.outcome, OCSPR_OUTCOME_TIMEOUT);
    ck_assert_str_eq(res.reason, "no answer from 127.0.0.1:18080 within 10000 ms");
    ck_assert_ptr_null(res.der);
    ck_assert_int_eq(res.latency, apr_time_from_msec(12));
    canned_free(&c);
}
END_TEST

/* A 200 with an empty body is not a response. */
START_TEST(empty_body_is_invalid)
{
    canned_t c = { OCSPR_OUTCOME_OK, NULL, NULL, 0, 0, NULL, NULL };
    ocspr_fetch_result_t res;

    ck_assert_int_eq(fetch_with(&res, &c, "good"), OCSPR_EFETCH);
    ck_assert_int_eq(res.outcome, OCSPR_OUTCOME_INVALID);
    ck_assert_msg(strstr(res.reason, "(empty)") != NULL, "reason: %s", res.reason);
    canned_free(&c);
}
END_TEST

START_TEST(garbage_is_invalid)
{
    static const unsigned char garbage[] = "<html>Service Unavailable</html>";
    canned_t c = { OCSPR_OUTCOME_OK, NULL, garbage, sizeof(garbage) - 1, 0, NULL, NULL };
    ocspr_fetch_result_t res;

    ck_assert_int_eq(fetch_with(&res, &c, "good"), OCSPR_EFETCH);
    ck_assert_int_eq(res.outcome, OCSPR_OUTCOME_INVALID);
    ck_assert_msg(strstr(res.reason, "http://127.0.0.1:18080/ocsp") != NULL
                  && strstr(res.reason, "(parse)") != NULL, "reason: %s", res.reason);
    ck_assert_ptr_null(res.der);
    canned_free(&c);
}
END_TEST

/* tryLater is the responder refusing, told apart from an untrustworthy answer. */
START_TEST(try_later_is_a_responder_failure)
{
    static const unsigned char try_later[] = { 0x30, 0x03, 0x0a, 0x01, 0x03 };
    canned_t c = { OCSPR_OUTCOME_OK, NULL, try_later, sizeof(try_later), 0, NULL, NULL };
    ocspr_fetch_result_t res;

    ck_assert_int_eq(fetch_with(&res, &c, "good"), OCSPR_EFETCH);
    ck_assert_int_eq(res.outcome, OCSPR_OUTCOME_RESPONDER);
    ck_assert_int_eq(res.info.response_status, OCSP_RESPONSE_STATUS_TRYLATER);
    ck_assert_msg(strstr(res.reason, "tryLater") != NULL, "reason: %s", res.reason);
    canned_free(&c);
}
END_TEST

/* A valid response for another certificate must not be taken. */
START_TEST(response_for_another_certificate)
{
    canned_t c = { OCSPR_OUTCOME_OK, NULL, NULL, 0, 0, NULL, NULL };
    ocspr_fetch_result_t res;

    ocspr_test_openssl_response((unsigned char **)&c.body, &c.body_len, ocspr_test_pool,
                                "revoked", "ocsp", "-nmin 5");
    ck_assert_int_eq(fetch_with(&res, &c, "good"), OCSPR_EFETCH);
    ck_assert_int_eq(res.outcome, OCSPR_OUTCOME_INVALID);
    ck_assert_int_eq(res.info.reject, OCSPR_REJECT_CERTID);
    canned_free(&c);
}
END_TEST

Suite *ocspr_suite_fetch(void)
{
    Suite *s = suite_create("fetch");
    TCase *tc = tcase_create("fetch");

    ocspr_tc_add_pool_fixture(tc);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, good_response_is_returned);
    tcase_add_test(tc, revoked_is_a_valid_answer);
    tcase_add_test(tc, transport_failure_is_passed_through);
    tcase_add_test(tc, empty_body_is_invalid);
    tcase_add_test(tc, garbage_is_invalid);
    tcase_add_test(tc, try_later_is_a_responder_failure);
    tcase_add_test(tc, response_for_another_certificate);
    suite_add_tcase(s, tc);
    return s;
}
