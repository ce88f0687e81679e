/* Tests for ocspr_util.c: outcome names, the log sink, hex, log escaping. */
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

static void record_log(void *baton, const char *file, int line, ocspr_log_level_t level,
                       apr_status_t rv, const char *tag, const char *msg)
{
    (void)baton;
    ck_assert_msg(file && line > 0, "a core message comes with its source file and line");
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

START_TEST(log_escape_keeps_plain_text)
{
    const char *plain = "http://ocsp.example.test:8080/path?a=b&c=%20 ~{}";

    /* Nothing to escape: the very same string, no copy. */
    ck_assert_ptr_eq(ocspr_log_escape(ocspr_test_pool, plain), plain);
    ck_assert_str_eq(ocspr_log_escape(ocspr_test_pool, ""), "");
    ck_assert_ptr_null(ocspr_log_escape(ocspr_test_pool, NULL));
}
END_TEST

START_TEST(log_escape_escapes_what_could_forge_a_line)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "http://a/\n[Mon Jan 01] [ssl:emerg] forged", "http://a/\\x0a[Mon Jan 01] [ssl:emerg] forged" },
        { "cr\rlf\r\n", "cr\\x0dlf\\x0d\\x0a" },
        { "tab\tesc\x1b[31mred", "tab\\x09esc\\x1b[31mred" },
        { "del\x7f", "del\\x7f" },
        { "caf\xc3\xa9", "caf\\xc3\\xa9" },
        { "quote\" and back\\slash", "quote\\\" and back\\\\slash" },
        { "\x01\xff", "\\x01\\xff" },
    };
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_str_eq(ocspr_log_escape(ocspr_test_pool, cases[i].in), cases[i].out);
    }
}
END_TEST

/* Every byte value: the output is printable ASCII only, and each byte comes
 * out either as itself or in exactly one escaped form. */
START_TEST(log_escape_every_byte)
{
    unsigned char all[256];
    const char *out, *c;
    int i;

    for (i = 0; i < 256; i++) {
        all[i] = (unsigned char)i;
    }
    out = ocspr_log_escape_mem(ocspr_test_pool, all, sizeof(all));
    for (c = out; *c; c++) {
        ck_assert_msg(*c >= 0x20 && *c <= 0x7e, "byte 0x%02x in the output",
                      (unsigned char)*c);
    }
    /* 0x00-0x1f, 0x7f-0xff: 4 bytes each; \ and ": 2; the other 93: 1. */
    ck_assert_uint_eq(strlen(out), (32 + 129) * 4 + 2 * 2 + 93);
    ck_assert(strncmp(out, "\\x00\\x01", 8) == 0);
    ck_assert_str_eq(ocspr_log_escape_mem(ocspr_test_pool, "a\0b", 3), "a\\x00b");
    ck_assert_str_eq(ocspr_log_escape_mem(ocspr_test_pool, "", 0), "");
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
    tcase_add_test(tc, log_escape_keeps_plain_text);
    tcase_add_test(tc, log_escape_escapes_what_could_forge_a_line);
    tcase_add_test(tc, log_escape_every_byte);
    suite_add_tcase(s, tc);
    return s;
}
