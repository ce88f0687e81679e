/* Tests for ocspr_status_model.c: rows from a certificate and its state,
 * the checks a "refresh now" POST must pass, each format's headers. */
#include <string.h>
#include <apr_strings.h>
#include "check_support.h"
#include "ocspr_status_model.h"

#define OWN "https://status.test:8443"

START_TEST(row_init_takes_the_certificate_and_holds_nothing)
{
    ocspr_cert_t *cert = ocspr_test_cert(ocspr_test_pool, "good");
    ocspr_status_row_t row;

    memset(&row, 0x5a, sizeof(row));
    ocspr_status_row_init(&row, ocspr_test_pool, cert);
    ck_assert_str_eq(row.subject, ocspr_cert_subject(cert, ocspr_test_pool));
    ck_assert_str_eq(row.serial, ocspr_cert_serial(cert, ocspr_test_pool));
    ck_assert_str_eq(row.issuer, ocspr_cert_issuer_name(cert, ocspr_test_pool));
    ck_assert_str_eq(row.key_type, ocspr_cert_key_type(cert, ocspr_test_pool));
    ck_assert_int_eq(row.cert_not_after, ocspr_cert_not_after(cert));
    ck_assert_int_eq(row.revocation_reason, -1);
    ck_assert_int_eq(row.cert_status, 0);
    ck_assert_ptr_null(row.id);
    ck_assert_ptr_null(row.source);
    ck_assert_int_eq(row.served, 0);
    ck_assert_int_eq(row.attempts[0], 0);
}
END_TEST

START_TEST(row_from_state_copies_every_field)
{
    ocspr_cert_state_t st;
    ocspr_status_row_t row;
    int i;

    ocspr_cert_state_init(&st);
    st.cert_status = OCSPR_CERT_STATUS_REVOKED;
    st.this_update = 11;
    st.next_update = 12;
    st.produced_at = 13;
    st.revoked_at = 14;
    st.revocation_reason = 1;
    st.obtained = 15;
    st.response_len = 1234;
    st.source = OCSPR_SOURCE_FLEET;
    st.served = 1;
    st.next_attempt = 16;
    st.refresh_requested = 1;
    st.last_attempt = 17;
    st.last_outcome = 2;
    apr_cpystrn(st.last_reason, "timed out", sizeof(st.last_reason));
    st.consecutive_failures = 3;
    st.last_latency = 18;
    for (i = 0; i < OCSPR_OUTCOME_COUNT; i++) {
        st.outcomes[i] = (apr_uint64_t)(100 + i);
    }
    st.fleet_adopted = 19;
    st.fleet_published = 20;
    st.fleet_rejected = 21;
    apr_cpystrn(st.fleet_reject_reason, "foreign", sizeof(st.fleet_reject_reason));
    memset(&row, 0, sizeof(row));
    ocspr_status_row_from_state(&row, &st);
    ck_assert_int_eq(row.cert_status, OCSPR_CERT_STATUS_REVOKED);
    ck_assert_int_eq(row.this_update, 11);
    ck_assert_int_eq(row.next_update, 12);
    ck_assert_int_eq(row.produced_at, 13);
    ck_assert_int_eq(row.revoked_at, 14);
    ck_assert_int_eq(row.revocation_reason, 1);
    ck_assert_int_eq(row.fetched, 15);
    ck_assert_uint_eq(row.response_len, 1234);
    ck_assert_str_eq(row.source, "fleet");
    ck_assert_int_eq(row.served, 1);
    ck_assert_int_eq(row.next_attempt, 16);
    ck_assert_int_eq(row.refresh_requested, 1);
    ck_assert_int_eq(row.last_attempt, 17);
    ck_assert_int_eq(row.last_outcome, 2);
    ck_assert_str_eq(row.last_reason, "timed out");
    ck_assert_int_eq(row.consecutive_failures, 3);
    ck_assert_int_eq(row.last_latency, 18);
    for (i = 0; i < OCSPR_OUTCOME_COUNT; i++) {
        ck_assert_uint_eq(row.attempts[i], (apr_uint64_t)(100 + i));
    }
    ck_assert_uint_eq(row.fleet_adopted, 19);
    ck_assert_uint_eq(row.fleet_published, 20);
    ck_assert_uint_eq(row.fleet_rejected, 21);
    ck_assert_str_eq(row.fleet_reject_reason, "foreign");
    st.source = OCSPR_SOURCE_NONE;
    ocspr_status_row_from_state(&row, &st);
    ck_assert_ptr_null(row.source);
}
END_TEST

START_TEST(tokens_are_fresh_hex)
{
    const char *a, *b;

    ck_assert_int_eq(ocspr_status_new_token(&a, ocspr_test_pool), APR_SUCCESS);
    ck_assert_int_eq(ocspr_status_new_token(&b, ocspr_test_pool), APR_SUCCESS);
    ck_assert_uint_eq(strlen(a), 32);
    ck_assert_uint_eq(strspn(a, "0123456789abcdefABCDEF"), 32);
    ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(get_refusal_bad_query_and_actions)
{
    ocspr_status_query_t q;
    int status = 0;
    const char *why;

    ck_assert_ptr_null(ocspr_status_get_refusal(&status, &q, ocspr_test_pool, NULL));
    ck_assert_ptr_null(ocspr_status_get_refusal(&status, &q, ocspr_test_pool, "json"));
    ck_assert_int_eq(q.format, OCSPR_STATUS_FORMAT_JSON);
    why = ocspr_status_get_refusal(&status, &q, ocspr_test_pool, "state=nonsense");
    ck_assert_ptr_nonnull(why);
    ck_assert(strncmp(why, "Bad query string: ", 18) == 0);
    ck_assert_int_eq(status, 400);
    why = ocspr_status_get_refusal(&status, &q, ocspr_test_pool, "action=refresh&id=ab");
    ck_assert_ptr_nonnull(strstr(why, "Actions need a POST"));
    ck_assert_int_eq(status, 405);
}
END_TEST

/* (Origin, Sec-Fetch-Site, own origin) -> refused with 403, or accepted. */
static const struct {
    const char *origin, *site, *own;
    const char *why;              /* a part of the refusal, NULL: accepted */
} origin_rows[] = {
    { NULL, NULL, OWN, NULL },                        /* curl, a script */
    { NULL, NULL, NULL, NULL },                       /* not even a Host header */
    { OWN, "same-origin", OWN, NULL },
    { "HTTPS://Status.Test:8443", "none", OWN, NULL }, /* origins compare in any case */
    { NULL, "Same-Origin", OWN, NULL },
    { OWN, "same-site", OWN, "another site (Sec-Fetch-Site: same-site)" },
    { NULL, "cross-site", OWN, "another site (Sec-Fetch-Site: cross-site)" },
    { "https://evil.test", NULL, OWN,
      "Origin https://evil.test is not this page's origin " OWN },
    { "http://status.test:8443", "same-origin", OWN, "is not this page's origin" },
    { OWN, NULL, NULL, "is not this page's origin (no Host header)" },
};

START_TEST(action_refusal_by_origin)
{
    int status = 0;
    const char *why = ocspr_status_action_refusal(&status, ocspr_test_pool, 1,
                                                  origin_rows[_i].origin, origin_rows[_i].site,
                                                  origin_rows[_i].own);

    if (origin_rows[_i].why == NULL) {
        ck_assert_msg(why == NULL, "row %d refused: %s", _i, why);
        return;
    }
    ck_assert_msg(why != NULL && strstr(why, origin_rows[_i].why) != NULL,
                  "row %d: '%s' lacks '%s'", _i, why ? why : "(accepted)", origin_rows[_i].why);
    ck_assert(strncmp(why, "Refused: ", 9) == 0);
    ck_assert_int_eq(status, 403);
}
END_TEST

START_TEST(action_refused_when_actions_are_off)
{
    int status = 0;
    const char *why = ocspr_status_action_refusal(&status, ocspr_test_pool, 0, OWN,
                                                  "same-origin", OWN);

    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "OCSPRefreshStatusActions Off"));
    ck_assert_int_eq(status, 403);
}
END_TEST

START_TEST(form_refusal_action_then_token)
{
    int status = 0;

    ck_assert_ptr_null(ocspr_status_form_refusal(&status, "refresh", "abc123", "abc123"));
    ck_assert_ptr_nonnull(strstr(ocspr_status_form_refusal(&status, NULL, "abc123", "abc123"),
                                 "Unknown action"));
    ck_assert_int_eq(status, 400);
    ck_assert_ptr_nonnull(ocspr_status_form_refusal(&status, "delete", "abc123", "abc123"));
    ck_assert_int_eq(status, 400);
    ck_assert_ptr_nonnull(strstr(ocspr_status_form_refusal(&status, "refresh", "abc124",
                                                           "abc123"), "stale or forged"));
    ck_assert_int_eq(status, 403);
    ck_assert_ptr_nonnull(ocspr_status_form_refusal(&status, "refresh", NULL, "abc123"));
    ck_assert_int_eq(status, 403);
    /* No token minted (no random bytes): nothing is accepted, not even "". */
    ck_assert_ptr_nonnull(ocspr_status_form_refusal(&status, "refresh", "", NULL));
    ck_assert_int_eq(status, 403);
}
END_TEST

START_TEST(tokens_equal_only_when_identical)
{
    ck_assert(ocspr_status_tokens_equal("0123abcd", "0123abcd"));
    ck_assert(ocspr_status_tokens_equal("", ""));
    ck_assert(!ocspr_status_tokens_equal("0123abcd", "0123abce"));
    ck_assert(!ocspr_status_tokens_equal("1123abcd", "0123abcd"));
    ck_assert(!ocspr_status_tokens_equal("0123abc", "0123abcd"));
    ck_assert(!ocspr_status_tokens_equal("0123abcde", "0123abcd"));
    ck_assert(!ocspr_status_tokens_equal("0123ABCD", "0123abcd"));
}
END_TEST

static const char *header(const char *const *h, const char *name)
{
    for (; *h; h += 2) {
        if (strcmp(h[0], name) == 0) {
            return h[1];
        }
    }
    return NULL;
}

START_TEST(headers_of_each_format)
{
    const char *const *html = ocspr_status_headers(ocspr_test_pool, OCSPR_STATUS_FORMAT_HTML);
    const char *const *json = ocspr_status_headers(ocspr_test_pool, OCSPR_STATUS_FORMAT_JSON);
    const char *const *prom = ocspr_status_headers(ocspr_test_pool,
                                                    OCSPR_STATUS_FORMAT_PROMETHEUS);

    ck_assert_str_eq(html[0], "Content-Type");
    ck_assert_str_eq(html[1], "text/html; charset=utf-8");
    ck_assert_str_eq(json[1], "application/json");
    ck_assert_str_eq(prom[1], "text/plain; version=0.0.4; charset=utf-8");
    ck_assert_str_eq(header(html, "Content-Security-Policy"),
                     ocspr_status_html_csp(ocspr_test_pool));
    ck_assert_str_eq(header(html, "X-Frame-Options"), "DENY");
    ck_assert_str_eq(header(html, "Referrer-Policy"), "no-referrer");
    ck_assert_ptr_null(header(json, "Content-Security-Policy"));
    ck_assert_ptr_null(header(prom, "X-Frame-Options"));
    ck_assert_str_eq(header(html, "Cache-Control"), "no-store");
    ck_assert_str_eq(header(json, "Cache-Control"), "no-store");
    ck_assert_str_eq(header(prom, "X-Content-Type-Options"), "nosniff");
}
END_TEST

static void collect(void *baton, const char *data, apr_size_t len)
{
    const char **out = baton;

    *out = apr_pstrcat(ocspr_test_pool, *out, apr_pstrmemdup(ocspr_test_pool, data, len), NULL);
}

START_TEST(render_picks_the_format)
{
    ocspr_status_page_t page;
    const char *out = "";

    memset(&page, 0, sizeof(page));
    page.now = apr_time_now();
    page.rows = apr_array_make(ocspr_test_pool, 0, sizeof(ocspr_status_row_t));
    ocspr_status_render(&page, OCSPR_STATUS_FORMAT_JSON, collect, &out, ocspr_test_pool);
    ck_assert_msg(out[0] == '{', "json: %.40s", out);
    out = "";
    ocspr_status_render(&page, OCSPR_STATUS_FORMAT_PROMETHEUS, collect, &out, ocspr_test_pool);
    ck_assert_msg(out[0] == '#', "prometheus: %.40s", out);
    out = "";
    ocspr_status_render(&page, OCSPR_STATUS_FORMAT_HTML, collect, &out, ocspr_test_pool);
    ck_assert_msg(strncmp(out, "<!DOCTYPE html>", 15) == 0, "html: %.40s", out);
}
END_TEST

START_TEST(refresh_notice_names_the_subject)
{
    const char *notice = ocspr_status_refresh_notice(ocspr_test_pool, "CN=good.test");

    ck_assert_ptr_nonnull(strstr(notice, "Refresh of CN=good.test requested"));
    ck_assert_ptr_nonnull(strstr(notice, "Reload this page"));
}
END_TEST

Suite *ocspr_suite_status_model(void)
{
    Suite *s = suite_create("status_model");
    TCase *tc = tcase_create("status_model");

    ocspr_tc_add_pool_fixture(tc);
    tcase_add_test(tc, row_init_takes_the_certificate_and_holds_nothing);
    tcase_add_test(tc, row_from_state_copies_every_field);
    tcase_add_test(tc, tokens_are_fresh_hex);
    tcase_add_test(tc, get_refusal_bad_query_and_actions);
    tcase_add_loop_test(tc, action_refusal_by_origin, 0,
                        (int)(sizeof(origin_rows) / sizeof(origin_rows[0])));
    tcase_add_test(tc, action_refused_when_actions_are_off);
    tcase_add_test(tc, form_refusal_action_then_token);
    tcase_add_test(tc, tokens_equal_only_when_identical);
    tcase_add_test(tc, headers_of_each_format);
    tcase_add_test(tc, render_picks_the_format);
    tcase_add_test(tc, refresh_notice_names_the_subject);
    suite_add_tcase(s, tc);
    return s;
}
