/* Tests for ocspr_util.c: outcome names, the log sink, hex. */
#include <string.h>
#include "check_support.h"

START_TEST(outcome_names_are_stable_and_total)
{
    int i;

    ck_assert_str_eq(ocspr_outcome_name(OCSPR_OUTCOME_OK), "ok");
    ck_assert_str_eq(ocspr_outcome_name(OCSPR_OUTCOME_TIMEOUT), "timeout");
    ck_assert_str_eq(ocspr_outcome_name(OCSPR_OUTCOME_INVALID), "invalid_response");
    for (i = 0; i < OCSPR_OUTCOME_COUNT; i++) {
        ck_assert_ptr_nonnull(ocspr_outcome_name((ocspr_outcome_t)i));
        ck_assert_str_ne(ocspr_outcome_name((ocspr_outcome_t)i), "unknown");
    }
    ck_assert_str_eq(ocspr_outcome_name(OCSPR_OUTCOME_COUNT), "unknown");
    ck_assert_str_eq(ocspr_outcome_name((ocspr_outcome_t)-1), "unknown");
}
END_TEST

static int log_calls;
static char log_last[256];
static ocspr_log_level_t log_last_level;

static void record_log(void *baton, ocspr_log_level_t level, apr_status_t rv,
                       const char *tag, const char *msg)
{
    (void)baton;
    (void)rv;
    log_calls++;
    log_last_level = level;
    snprintf(log_last, sizeof(log_last), "%s %s", tag ? tag : "-", msg);
}

START_TEST(log_respects_level_and_formats)
{
    log_calls = 0;
    ocspr_log(OCSPR_LOG_ERR, APR_SUCCESS, "OCSPR0000", ocspr_test_pool, "no sink %d", 1);
    ck_assert_int_eq(log_calls, 0);

    ocspr_log_set(record_log, NULL, OCSPR_LOG_NOTICE);
    ck_assert(ocspr_log_enabled(OCSPR_LOG_NOTICE));
    ck_assert(!ocspr_log_enabled(OCSPR_LOG_DEBUG));
    ocspr_log(OCSPR_LOG_DEBUG, APR_SUCCESS, NULL, ocspr_test_pool, "hidden");
    ck_assert_int_eq(log_calls, 0);
    ocspr_log(OCSPR_LOG_WARNING, APR_EGENERAL, "OCSPR0001", ocspr_test_pool, "x=%s n=%d", "y", 42);
    ck_assert_int_eq(log_calls, 1);
    ck_assert_int_eq(log_last_level, OCSPR_LOG_WARNING);
    ck_assert_str_eq(log_last, "OCSPR0001 x=y n=42");
    ocspr_log_set(NULL, NULL, OCSPR_LOG_WARNING);
}
END_TEST

START_TEST(hex_encodes_every_byte)
{
    const unsigned char data[] = { 0x00, 0x0f, 0xa5, 0xff };

    ck_assert_str_eq(ocspr_hex(ocspr_test_pool, data, sizeof(data)), "000fa5ff");
    ck_assert_str_eq(ocspr_hex(ocspr_test_pool, data, 0), "");
}
END_TEST

START_TEST(rfc3339_is_utc_whole_seconds)
{
    ck_assert_str_eq(ocspr_time_rfc3339(ocspr_test_pool, 0), "1970-01-01T00:00:00Z");
    ck_assert_str_eq(ocspr_time_rfc3339(ocspr_test_pool,
                                        apr_time_from_sec(1795239685) + 999999),
                     "2026-11-21T05:41:25Z");
}
END_TEST

Suite *ocspr_suite_util(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("util");

    ocspr_tc_add_pool_fixture(tc);
    tcase_add_test(tc, outcome_names_are_stable_and_total);
    tcase_add_test(tc, log_respects_level_and_formats);
    tcase_add_test(tc, hex_encodes_every_byte);
    tcase_add_test(tc, rfc3339_is_utc_whole_seconds);
    suite_add_tcase(s, tc);
    return s;
}
