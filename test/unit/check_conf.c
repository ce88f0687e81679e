/* Tests for ocspr_conf.c: each kind of directive value against its limits,
 * with the error an admin reads; defaults and the options built from set
 * and unset values. And for ocspr_conf_record.c: a server's record made
 * unset, merged, and read with the defaults applied. */
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

/* ---- the configuration record (ocspr_conf_record.c) ---------------------- */

/* A record with every field set, to values that differ with `k`. */
static void set_every_field(ocspr_conf_t *conf, int k)
{
    conf->enabled = k % 2;
    conf->responder = k % 2 ? "http://responder-1.test/" : "http://responder-2.test/";
    conf->cache_spec = k % 2 ? "memcache:cache-1.test:11211" : "redis:cache-2.test:6379";
    conf->store_dir = k % 2 ? "store-1" : "/var/lib/store-2";
    conf->window_percent = 10 + k;
    conf->check_interval = apr_time_from_sec(20 + k);
    conf->timeout = apr_time_from_sec(3 + k);
    conf->startup_timeout = apr_time_from_sec(30 + k);
    conf->max_age = apr_time_from_sec(3600 + k);
    conf->proxy = k % 2 ? "http://proxy-1.test:3128" : "http://proxy-2.test:8080";
    conf->strict = k % 2;
    conf->diagnostics = (k + 1) % 2;
    conf->status_actions = k % 2;
}

static void assert_records_equal(const ocspr_conf_t *got, const ocspr_conf_t *want)
{
    ck_assert_int_eq(got->enabled, want->enabled);
    ck_assert_ptr_eq(got->responder, want->responder);
    ck_assert_ptr_eq(got->cache_spec, want->cache_spec);
    ck_assert_ptr_eq(got->store_dir, want->store_dir);
    ck_assert_int_eq(got->window_percent, want->window_percent);
    ck_assert_int_eq(got->check_interval, want->check_interval);
    ck_assert_int_eq(got->timeout, want->timeout);
    ck_assert_int_eq(got->startup_timeout, want->startup_timeout);
    ck_assert_int_eq(got->max_age, want->max_age);
    ck_assert_ptr_eq(got->proxy, want->proxy);
    ck_assert_int_eq(got->strict, want->strict);
    ck_assert_int_eq(got->diagnostics, want->diagnostics);
    ck_assert_int_eq(got->status_actions, want->status_actions);
}

/* Made in memory that held other bytes, so that a field create forgets
 * cannot pass for unset by luck. */
START_TEST(create_leaves_every_field_unset)
{
    apr_pool_t *p;
    void *dirty;
    ocspr_conf_t *conf;

    ck_assert_int_eq(apr_pool_create(&p, ocspr_test_pool), APR_SUCCESS);
    dirty = apr_palloc(p, sizeof(*conf));
    memset(dirty, 0x5a, sizeof(*conf));
    apr_pool_clear(p);
    conf = ocspr_conf_create(p);
    ck_assert_ptr_eq(conf, dirty);
    ck_assert_int_eq(conf->enabled, OCSPR_CONF_UNSET);
    ck_assert_ptr_null(conf->responder);
    ck_assert_ptr_null(conf->cache_spec);
    ck_assert_ptr_null(conf->store_dir);
    ck_assert_int_eq(conf->window_percent, OCSPR_CONF_UNSET);
    ck_assert_int_eq(conf->check_interval, OCSPR_CONF_UNSET);
    ck_assert_int_eq(conf->timeout, OCSPR_CONF_UNSET);
    ck_assert_int_eq(conf->startup_timeout, OCSPR_CONF_UNSET);
    ck_assert_int_eq(conf->max_age, OCSPR_CONF_UNSET);
    ck_assert_ptr_null(conf->proxy);
    ck_assert_int_eq(conf->strict, OCSPR_CONF_UNSET);
    ck_assert_int_eq(conf->diagnostics, OCSPR_CONF_UNSET);
    ck_assert_int_eq(conf->status_actions, OCSPR_CONF_UNSET);
}
END_TEST

START_TEST(merge_takes_add_where_set_and_base_elsewhere)
{
    apr_pool_t *p = ocspr_test_pool;
    ocspr_conf_t *base = ocspr_conf_create(p), *add = ocspr_conf_create(p);
    ocspr_conf_t base_before, want, *merged;

    set_every_field(base, 1);
    base_before = *base;

    /* A vhost that says nothing inherits everything. */
    merged = ocspr_conf_merge(p, base, add);
    ck_assert_ptr_ne(merged, base);
    assert_records_equal(merged, base);

    /* A vhost that says everything keeps all of it. */
    set_every_field(add, 2);
    assert_records_equal(ocspr_conf_merge(p, base, add), add);

    /* Some of each: a number and a pointer from add, the rest from base. */
    add = ocspr_conf_create(p);
    add->window_percent = 75;
    add->proxy = "http://vhost-proxy.test:3128";
    want = *base;
    want.window_percent = 75;
    want.proxy = add->proxy;
    assert_records_equal(ocspr_conf_merge(p, base, add), &want);

    /* 0 is a value (OCSPRefreshMaxAge off, OCSPRefresh Off), not "unset". */
    add = ocspr_conf_create(p);
    add->max_age = 0;
    add->enabled = 0;
    ck_assert_int_eq(base->enabled, 1);
    merged = ocspr_conf_merge(p, base, add);
    ck_assert_int_eq(merged->max_age, 0);
    ck_assert_int_eq(merged->enabled, 0);
    ck_assert_int_eq(merged->timeout, base->timeout);

    /* Neither input is changed. */
    assert_records_equal(base, &base_before);
    ck_assert_int_eq(add->window_percent, OCSPR_CONF_UNSET);
    ck_assert_ptr_null(add->proxy);
}
END_TEST

START_TEST(readers_give_defaults_where_unset)
{
    ocspr_conf_t *conf = ocspr_conf_create(ocspr_test_pool);

    ck_assert_int_eq(ocspr_conf_enabled(conf), ocspr_conf_defaults.enabled);
    ck_assert_int_eq(ocspr_conf_strict(conf), ocspr_conf_defaults.strict);
    ck_assert_int_eq(ocspr_conf_diagnostics(conf), ocspr_conf_defaults.diagnostics);
    ck_assert_int_eq(ocspr_conf_status_actions(conf), ocspr_conf_defaults.status_actions);
    ck_assert_str_eq(ocspr_conf_cache_spec(conf), ocspr_conf_defaults.cache_spec);
    ck_assert_int_eq(ocspr_conf_startup_timeout(conf), ocspr_conf_defaults.startup_timeout);

    /* Set, each to what the default is not. */
    conf->enabled = !ocspr_conf_defaults.enabled;
    conf->strict = !ocspr_conf_defaults.strict;
    conf->diagnostics = !ocspr_conf_defaults.diagnostics;
    conf->status_actions = !ocspr_conf_defaults.status_actions;
    conf->cache_spec = "memcache:cache.test:11211";
    conf->startup_timeout = apr_time_from_sec(17);
    ck_assert_int_eq(ocspr_conf_enabled(conf), !ocspr_conf_defaults.enabled);
    ck_assert_int_eq(ocspr_conf_strict(conf), !ocspr_conf_defaults.strict);
    ck_assert_int_eq(ocspr_conf_diagnostics(conf), !ocspr_conf_defaults.diagnostics);
    ck_assert_int_eq(ocspr_conf_status_actions(conf), !ocspr_conf_defaults.status_actions);
    ck_assert_str_eq(ocspr_conf_cache_spec(conf), "memcache:cache.test:11211");
    ck_assert_int_eq(ocspr_conf_startup_timeout(conf), apr_time_from_sec(17));
    /* OCSPRefreshStartupTimeout 0: no limit, not the default. */
    conf->startup_timeout = 0;
    ck_assert_int_eq(ocspr_conf_startup_timeout(conf), 0);
}
END_TEST

static void assert_engine_config(const ocspr_conf_t *conf)
{
    ocspr_engine_config_t cfg;
    ocspr_policy_t pol;
    ocspr_http_opts_t http;
    ocspr_validate_opts_t val;

    memset(&cfg, 0xa5, sizeof(cfg));
    ocspr_conf_engine(&cfg, conf);
    ocspr_conf_apply_policy(&pol, conf->window_percent, conf->check_interval);
    ocspr_conf_apply_http(&http, conf->timeout, conf->proxy);
    ocspr_conf_apply_validate(&val, conf->max_age);

    ck_assert_int_eq(cfg.policy.window_percent, pol.window_percent);
    ck_assert_int_eq(cfg.policy.jitter_percent, pol.jitter_percent);
    ck_assert_int_eq(cfg.policy.check_interval, pol.check_interval);
    ck_assert_int_eq(cfg.policy.backoff_min, pol.backoff_min);
    ck_assert_int_eq(cfg.policy.backoff_max, pol.backoff_max);
    ck_assert_int_eq(cfg.policy.min_retry, pol.min_retry);
    ck_assert_int_eq(cfg.http.connect_timeout, http.connect_timeout);
    ck_assert_int_eq(cfg.http.total_timeout, http.total_timeout);
    ck_assert_uint_eq(cfg.http.max_body, http.max_body);
    ck_assert_uint_eq(cfg.http.max_headers, http.max_headers);
    ck_assert_ptr_eq(cfg.http.proxy_url, http.proxy_url);
    ck_assert_int_eq(cfg.http.use_get, http.use_get);
    ck_assert_ptr_eq(cfg.http.user_agent, http.user_agent);
    ck_assert_int_eq(cfg.http.cancel_fd, http.cancel_fd);
    ck_assert_ptr_eq(cfg.http.session, http.session);
    ck_assert_uint_eq(cfg.validate.max_size, val.max_size);
    ck_assert_int_eq(cfg.validate.clock_skew, val.clock_skew);
    ck_assert_int_eq(cfg.validate.now, val.now);
    ck_assert_int_eq(cfg.validate.max_age, val.max_age);
    /* The rest is the glue's: the engine's own bounds, no shared header yet. */
    ck_assert_int_eq(cfg.max_inflight, 0);
    ck_assert_int_eq(cfg.max_per_responder, 0);
    ck_assert_ptr_null(cfg.shared);
}

START_TEST(engine_config_is_what_the_apply_functions_make)
{
    ocspr_conf_t *conf = ocspr_conf_create(ocspr_test_pool);
    ocspr_engine_config_t cfg;
    ocspr_policy_t def_pol;

    assert_engine_config(conf);
    ocspr_policy_default(&def_pol);
    ocspr_conf_engine(&cfg, conf);
    ck_assert_int_eq(cfg.policy.check_interval, def_pol.check_interval);
    ck_assert_ptr_null(cfg.http.proxy_url);

    set_every_field(conf, 3);
    assert_engine_config(conf);
    ocspr_conf_engine(&cfg, conf);
    ck_assert_int_eq(cfg.policy.window_percent, 13);
    ck_assert_int_eq(cfg.policy.check_interval, apr_time_from_sec(23));
    ck_assert_int_eq(cfg.http.total_timeout, apr_time_from_sec(6));
    ck_assert_str_eq(cfg.http.proxy_url, "http://proxy-1.test:3128");
    ck_assert_int_eq(cfg.validate.max_age, apr_time_from_sec(3603));
}
END_TEST

Suite *ocspr_suite_conf(void)
{
    Suite *s = suite_create("conf");
    TCase *tc = tcase_create("conf");
    TCase *record = tcase_create("record");

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

    ocspr_tc_add_pool_fixture(record);
    tcase_add_test(record, create_leaves_every_field_unset);
    tcase_add_test(record, merge_takes_add_where_set_and_base_elsewhere);
    tcase_add_test(record, readers_give_defaults_where_unset);
    tcase_add_test(record, engine_config_is_what_the_apply_functions_make);
    suite_add_tcase(s, record);
    return s;
}
