/* Tests for ocspr_conf.c: each kind of directive value against its limits,
 * with the error an admin reads; defaults and the options built from set
 * and unset values. */
#include <string.h>
#include "check_support.h"
#include "ocspr_conf.h"

static const ocspr_conf_limits_t timeout_limits = { .min = 1, .max = 300 };
static const ocspr_conf_limits_t max_age_limits = { .min = 60, .max = 365L * 86400,
                                                    .off_word = "off" };
static const ocspr_conf_limits_t window_limits = { .min = 1, .max = 99,
                                                   .meaning = "the share of validity" };
static const ocspr_conf_limits_t no_limits = { 0 };

#define UNTOUCHED 4242

/* (limits, argument) -> seconds stored, or an error containing a text. */
static const struct {
    const ocspr_conf_limits_t *limits;
    const char *arg;
    long seconds;              /* stored on success */
    const char *error;         /* a part of the error; NULL: accepted */
} seconds_rows[] = {
    { &timeout_limits, "1", 1, NULL },
    { &timeout_limits, "300", 300, NULL },
    { &timeout_limits, "0", 0, "TestDirective: '0' is not a number of seconds from 1 to 300" },
    { &timeout_limits, "301", 0, "from 1 to 300" },
    { &timeout_limits, "", 0, "'' is not a number" },
    { &timeout_limits, "10s", 0, "'10s' is not" },
    { &timeout_limits, " 10x", 0, "is not a number" },
    { &timeout_limits, "-5", 0, "is not a number" },
    { &timeout_limits, "99999999999999999999", 0, "is not a number" },
    { &timeout_limits, "off", 0, "from 1 to 300" },
    { &max_age_limits, "off", 0, NULL },
    { &max_age_limits, "OFF", 0, NULL },
    { &max_age_limits, "59", 0, "from 60 to 31536000, or off" },
    { &max_age_limits, "86400", 86400, NULL },
};

START_TEST(seconds_table)
{
    apr_interval_time_t v = UNTOUCHED;
    const char *err = ocspr_conf_parse_seconds(&v, ocspr_test_pool, "TestDirective",
                                               seconds_rows[_i].limits, seconds_rows[_i].arg);

    if (seconds_rows[_i].error == NULL) {
        ck_assert_msg(err == NULL, "'%s': %s", seconds_rows[_i].arg, err);
        ck_assert_int_eq(v, apr_time_from_sec(seconds_rows[_i].seconds));
        return;
    }
    ck_assert_msg(err != NULL && strstr(err, seconds_rows[_i].error) != NULL,
                  "'%s': '%s' lacks '%s'", seconds_rows[_i].arg, err ? err : "(accepted)",
                  seconds_rows[_i].error);
    ck_assert_int_eq(v, UNTOUCHED);
}
END_TEST

START_TEST(percent_with_or_without_sign)
{
    int v = UNTOUCHED;
    const char *err;

    ck_assert_ptr_null(ocspr_conf_parse_percent(&v, ocspr_test_pool, "W", &window_limits, "50"));
    ck_assert_int_eq(v, 50);
    ck_assert_ptr_null(ocspr_conf_parse_percent(&v, ocspr_test_pool, "W", &window_limits, "99%"));
    ck_assert_int_eq(v, 99);
    v = UNTOUCHED;
    err = ocspr_conf_parse_percent(&v, ocspr_test_pool, "W", &window_limits, "100%");
    ck_assert_str_eq(err, "W: '100%' is not a percentage from 1 to 99 (the share of validity)");
    ck_assert_ptr_nonnull(ocspr_conf_parse_percent(&v, ocspr_test_pool, "W", &window_limits, "0"));
    ck_assert_ptr_nonnull(ocspr_conf_parse_percent(&v, ocspr_test_pool, "W", &window_limits,
                                                   "50%%"));
    ck_assert_ptr_nonnull(ocspr_conf_parse_percent(&v, ocspr_test_pool, "W", &window_limits, "%"));
    ck_assert_int_eq(v, UNTOUCHED);
}
END_TEST

START_TEST(url_must_be_http_with_a_host)
{
    const char *v = NULL, *err;

    ck_assert_ptr_null(ocspr_conf_parse_url(&v, ocspr_test_pool, "R", &no_limits,
                                            "http://ocsp.test:8080/x"));
    ck_assert_str_eq(v, "http://ocsp.test:8080/x");
    ck_assert_ptr_null(ocspr_conf_parse_url(&v, ocspr_test_pool, "R", &no_limits, "HTTP://h"));
    v = NULL;
    err = ocspr_conf_parse_url(&v, ocspr_test_pool, "R", &no_limits, "https://ocsp.test/");
    ck_assert_ptr_nonnull(strstr(err, "R: 'https://ocsp.test/' uses https; OCSP is fetched "
                                      "over plain http://"));
    err = ocspr_conf_parse_url(&v, ocspr_test_pool, "R", &no_limits, "ocsp.test");
    ck_assert_ptr_nonnull(strstr(err, "'ocsp.test' is not a URL"));
    ck_assert_ptr_nonnull(ocspr_conf_parse_url(&v, ocspr_test_pool, "R", &no_limits, "http:/x"));
    /* Only visible ASCII, as for the certificates' own URLs. */
    err = ocspr_conf_parse_url(&v, ocspr_test_pool, "R", &no_limits, "http://ocsp.test/a b");
    ck_assert_msg(err && strstr(err, "R: the URL") && strstr(err, "0x20"), "%s", err ? err : "");
    ck_assert_ptr_nonnull(ocspr_conf_parse_url(&v, ocspr_test_pool, "R", &no_limits, ""));
    ck_assert_ptr_null(v);
}
END_TEST

START_TEST(dir_must_not_be_empty)
{
    const char *v = NULL;

    ck_assert_ptr_null(ocspr_conf_parse_dir(&v, ocspr_test_pool, "S", &no_limits, "none"));
    ck_assert_str_eq(v, "none");
    v = NULL;
    ck_assert_ptr_nonnull(strstr(ocspr_conf_parse_dir(&v, ocspr_test_pool, "S", &no_limits, ""),
                                 "S: give a directory, or 'none'"));
    ck_assert_ptr_null(v);
}
END_TEST

START_TEST(cache_provider_is_the_part_before_the_colon)
{
    ck_assert_str_eq(ocspr_conf_cache_provider(ocspr_test_pool, "shmcb"), "shmcb");
    ck_assert_str_eq(ocspr_conf_cache_provider(ocspr_test_pool, "shmcb:/run/x(512000)"), "shmcb");
    ck_assert_str_eq(ocspr_conf_cache_provider(ocspr_test_pool, "memcache:h:11211"), "memcache");
    ck_assert_str_eq(ocspr_conf_cache_provider(ocspr_test_pool, ":x"), "");
}
END_TEST

START_TEST(store_dir_default_and_none)
{
    ck_assert_str_eq(ocspr_conf_store_dir_name(NULL), "ocsp-refresh");
    ck_assert_str_eq(ocspr_conf_store_dir_name("/var/lib/x"), "/var/lib/x");
    ck_assert_ptr_null(ocspr_conf_store_dir_name("none"));
    ck_assert_ptr_null(ocspr_conf_store_dir_name("None"));
}
END_TEST

START_TEST(defaults_are_documented_values)
{
    ck_assert_int_eq(ocspr_conf_defaults.enabled, 0);
    ck_assert_str_eq(ocspr_conf_defaults.cache_spec, "shmcb");
    ck_assert_int_eq(ocspr_conf_defaults.startup_timeout, apr_time_from_sec(5));
    ck_assert_int_eq(ocspr_conf_defaults.max_age, 0);
    ck_assert_int_eq(ocspr_conf_defaults.strict, 0);
    ck_assert_int_eq(ocspr_conf_defaults.diagnostics, 1);
    ck_assert_int_eq(ocspr_conf_defaults.status_actions, 0);
}
END_TEST

START_TEST(unset_values_keep_the_components_defaults)
{
    ocspr_policy_t pol, def_pol;
    ocspr_http_opts_t http, def_http;
    ocspr_validate_opts_t val;

    ocspr_policy_default(&def_pol);
    ocspr_http_opts_default(&def_http);
    ocspr_conf_apply_policy(&pol, OCSPR_CONF_UNSET, OCSPR_CONF_UNSET);
    ck_assert_int_eq(pol.window_percent, def_pol.window_percent);
    ck_assert_int_eq(pol.check_interval, def_pol.check_interval);
    ocspr_conf_apply_http(&http, OCSPR_CONF_UNSET, NULL);
    ck_assert_int_eq(http.total_timeout, def_http.total_timeout);
    ck_assert_int_eq(http.connect_timeout, def_http.connect_timeout);
    ck_assert_ptr_null(http.proxy_url);
    ocspr_conf_apply_validate(&val, OCSPR_CONF_UNSET);
    ck_assert_int_eq(val.max_age, 0);
    ck_assert_int_lt(val.clock_skew, 0);
}
END_TEST

START_TEST(set_values_win_and_connect_fits_the_timeout)
{
    ocspr_policy_t pol;
    ocspr_http_opts_t http;
    ocspr_validate_opts_t val;

    ocspr_conf_apply_policy(&pol, 80, apr_time_from_sec(7));
    ck_assert_int_eq(pol.window_percent, 80);
    ck_assert_int_eq(pol.check_interval, apr_time_from_sec(7));
    ocspr_conf_apply_http(&http, apr_time_from_sec(1), "http://proxy.test:3128");
    ck_assert_int_eq(http.total_timeout, apr_time_from_sec(1));
    ck_assert_int_le(http.connect_timeout, apr_time_from_sec(1));
    ck_assert_str_eq(http.proxy_url, "http://proxy.test:3128");
    ocspr_conf_apply_validate(&val, apr_time_from_sec(3600));
    ck_assert_int_eq(val.max_age, apr_time_from_sec(3600));
    /* "off" is stored as 0: no limit, not the default. */
    ocspr_conf_apply_validate(&val, 0);
    ck_assert_int_eq(val.max_age, 0);
}
END_TEST

Suite *ocspr_suite_conf(void)
{
    Suite *s = suite_create("conf");
    TCase *tc = tcase_create("conf");

    ocspr_tc_add_pool_fixture(tc);
    tcase_add_loop_test(tc, seconds_table, 0,
                        (int)(sizeof(seconds_rows) / sizeof(seconds_rows[0])));
    tcase_add_test(tc, percent_with_or_without_sign);
    tcase_add_test(tc, url_must_be_http_with_a_host);
    tcase_add_test(tc, dir_must_not_be_empty);
    tcase_add_test(tc, cache_provider_is_the_part_before_the_colon);
    tcase_add_test(tc, store_dir_default_and_none);
    tcase_add_test(tc, defaults_are_documented_values);
    tcase_add_test(tc, unset_values_keep_the_components_defaults);
    tcase_add_test(tc, set_values_win_and_connect_fits_the_timeout);
    suite_add_tcase(s, tc);
    return s;
}
