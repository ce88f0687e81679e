/* Tests for ocspr_policy.c: tables of (times, outcome, random value) ->
 * expected time, with the default policy unless a row names another. */
#include <limits.h>
#include "check_support.h"
#include "ocspr_policy.h"

#define SEC(s)        apr_time_from_sec(s)
#define T0            SEC(1700000000)          /* an arbitrary thisUpdate */
#define AT(s)         (T0 + SEC(s))
#define DAYS(d)       ((d) * 86400)
#define NONE          0
#define R_MAX         UINT32_MAX
#define TIME_MAX      APR_INT64_MAX

static uint32_t fixed_random(void *baton)
{
    return *(const uint32_t *)baton;
}

static apr_time_t next_attempt(const ocspr_policy_t *pol, apr_time_t this_update,
                               apr_time_t next_update, int failures, apr_time_t now, uint32_t r)
{
    ocspr_policy_state_t st = { this_update, next_update, failures, 0 };

    return ocspr_policy_next_attempt(pol, &st, now, fixed_random, &r);
}

static ocspr_policy_t default_policy(void)
{
    ocspr_policy_t pol;

    ocspr_policy_default(&pol);
    return pol;
}

START_TEST(defaults_are_documented_values)
{
    ocspr_policy_t pol = default_policy();

    ck_assert_int_eq(pol.window_percent, 50);
    ck_assert_int_eq(pol.jitter_percent, 10);
    ck_assert_int_eq(pol.check_interval, SEC(60));
    ck_assert_int_eq(pol.backoff_min, SEC(60));
    ck_assert_int_eq(pol.backoff_max, SEC(3600));
    ck_assert_int_eq(pol.min_retry, SEC(5));
}
END_TEST

/* Policies other rows use. */
static const ocspr_policy_t late_window = {
    99, 50, SEC(60), SEC(60), SEC(3600), SEC(5)
};
static const ocspr_policy_t no_jitter = {
    50, 0, SEC(60), SEC(60), SEC(3600), SEC(5)
};
static const ocspr_policy_t nonsense = {   /* every field out of range */
    -7, 400, -SEC(1), 0, -SEC(100), -SEC(3)
};

typedef struct {
    const char *what;
    const ocspr_policy_t *pol;  /* NULL: defaults */
    apr_time_t this_update, next_update;
    int failures;
    apr_time_t now;
    uint32_t r;
    apr_time_t expected;
} attempt_row_t;

static const attempt_row_t attempt_rows[] = {
    { "nothing held: fetch now", NULL, NONE, NONE, 0, AT(100), R_MAX, AT(100) },
    { "7-day response, no jitter: at 3.5 days", NULL, AT(0), AT(DAYS(7)), 0, AT(10), 0,
      AT(DAYS(7) / 2) },
    { "7-day response, max jitter: 3.5 days + 10% of 7 days", NULL, AT(0), AT(DAYS(7)), 0,
      AT(10), R_MAX, AT(DAYS(7) / 2 + DAYS(7) / 10) },
    { "2-minute response, no jitter: at 1 minute", NULL, AT(0), AT(120), 0, AT(1), 0, AT(60) },
    { "2-minute response, max jitter: 72 s, well before expiry", NULL, AT(0), AT(120), 0, AT(1),
      R_MAX, AT(72) },
    { "window 99% + jitter capped at nextUpdate - period/4", &late_window, AT(0), AT(DAYS(4)),
      0, AT(0), 0, AT(DAYS(3)) },
    { "window already passed: now", NULL, AT(0), AT(DAYS(7)), 0, AT(DAYS(6)), 0, AT(DAYS(6)) },
    { "held expired, no failure: now", NULL, AT(0), AT(3600), 0, AT(4000), R_MAX, AT(4000) },
    { "nextUpdate before thisUpdate = nothing held: now", NULL, AT(100), AT(50), 0, AT(10), 0,
      AT(10) },
    { "thisUpdate unknown = nothing held: now", NULL, NONE, AT(50), 0, AT(10), 0, AT(10) },
    { "negative failure count = no failure", NULL, NONE, NONE, -3, AT(10), 0, AT(10) },
    { "1st failure, nothing held: backoff_min", NULL, NONE, NONE, 1, AT(0), 0, AT(60) },
    { "1st failure, max jitter: + 10%", NULL, NONE, NONE, 1, AT(0), R_MAX, AT(66) },
    { "3rd failure: 4 x backoff_min", NULL, NONE, NONE, 3, AT(0), 0, AT(240) },
    { "INT_MAX failures: backoff_max, no overflow", NULL, NONE, NONE, INT_MAX, AT(0), 0,
      AT(3600) },
    { "INT_MAX failures, max jitter: backoff_max + 10%", NULL, NONE, NONE, INT_MAX, AT(0),
      R_MAX, AT(3960) },
    { "failure, held 5 min from expiry: a quarter of what is left", NULL, AT(0), AT(3600), 3,
      AT(3300), 0, AT(3300 + 75) },
    { "failure, held 5 min from expiry, max jitter: still <= 75 s", NULL, AT(0), AT(3600), 2,
      AT(3300), R_MAX, AT(3300 + 75) },
    { "failure, held long-lived: backoff unaffected by the quarter", NULL, AT(0), AT(DAYS(7)),
      2, AT(DAYS(4)), 0, AT(DAYS(4) + 120) },
    { "failure, held 10 s from expiry: min_retry wins over the quarter", NULL, AT(0), AT(3600),
      1, AT(3590), 0, AT(3595) },
    { "failure, held already expired: plain backoff", NULL, AT(0), AT(3600), 2, AT(4000),
      R_MAX, AT(4000 + 132) },
    { "failure, held expires exactly now: plain backoff", NULL, AT(0), AT(3600), 1, AT(3600), 0,
      AT(3600 + 60) },
    { "nonsense settings: clamped, never below 1 s", &nonsense, NONE, NONE, 1, AT(0), 0, AT(1) },
    { "nonsense settings, held: window clamped to 1%, jitter to 50%", &nonsense, AT(0), AT(100),
      0, AT(0), R_MAX, AT(51) },
    { "failure near the end of time: saturates", NULL, NONE, NONE, 5, TIME_MAX - SEC(1), R_MAX,
      TIME_MAX },
    { "huge period, max window and jitter: no overflow", &late_window, 1, TIME_MAX, 0, 0, R_MAX,
      1 + (TIME_MAX - 1) - (TIME_MAX - 1) / 4 },
};

START_TEST(next_attempt_table)
{
    const attempt_row_t *row = &attempt_rows[_i];
    ocspr_policy_t defaults = default_policy();
    apr_time_t got = next_attempt(row->pol ? row->pol : &defaults, row->this_update,
                                  row->next_update, row->failures, row->now, row->r);

    ck_assert_msg(got == row->expected, "%s: got now%+" APR_INT64_T_FMT " us, expected now%+"
                  APR_INT64_T_FMT " us", row->what, got - row->now, row->expected - row->now);
}
END_TEST

/* A response already past its refresh point when it arrives: the next
 * attempt waits a quarter of what is left, never a tight loop. */
START_TEST(stale_on_arrival_waits)
{
    ocspr_policy_t pol = default_policy();
    ocspr_policy_state_t week = { AT(0), AT(DAYS(7)), 0, AT(DAYS(4)) };
    ocspr_policy_state_t minute = { AT(0), AT(60), 0, AT(40) };
    ocspr_policy_state_t from_store = { AT(0), AT(DAYS(7)), 0, 0 };
    ocspr_policy_state_t fresh = { AT(0), AT(120), 0, AT(0) };

    ck_assert_int_eq(ocspr_policy_next_attempt(&pol, &week, AT(DAYS(4)), NULL, NULL),
                     AT(DAYS(4)) + SEC(DAYS(3)) / 4);
    /* 20 s left: a quarter is under backoff_min, so half of what is left. */
    ck_assert_int_eq(ocspr_policy_next_attempt(&pol, &minute, AT(40), NULL, NULL), AT(50));
    /* Loaded from the store, not fetched: try the network now. */
    ck_assert_int_eq(ocspr_policy_next_attempt(&pol, &from_store, AT(DAYS(4)), NULL, NULL),
                     AT(DAYS(4)));
    /* Fetched fresh: the window applies as usual. */
    ck_assert_int_eq(ocspr_policy_next_attempt(&pol, &fresh, AT(0), NULL, NULL), AT(60));
}
END_TEST

START_TEST(backoff_doubles_then_caps)
{
    ocspr_policy_t pol = default_policy();
    apr_interval_time_t expected = SEC(60);
    int failures;

    for (failures = 1; failures <= 40; failures++) {
        apr_time_t got = next_attempt(&pol, NONE, NONE, failures, AT(0), 0);

        ck_assert_msg(got - AT(0) == expected, "failure %d: %" APR_INT64_T_FMT " s", failures,
                      apr_time_sec(got - AT(0)));
        expected = expected * 2 > SEC(3600) ? SEC(3600) : expected * 2;
    }
}
END_TEST

/* The jitter is monotonic in the random value and stays in [0, max]. */
START_TEST(jitter_spans_its_bounds)
{
    static const uint32_t rs[] = { 0, 1, 1000, UINT32_MAX / 4, UINT32_MAX / 2, UINT32_MAX - 1,
                                   UINT32_MAX };
    ocspr_policy_t pol = default_policy();
    apr_time_t prev_refresh = 0, prev_retry = 0;
    apr_interval_time_t half_off;
    apr_size_t i;

    for (i = 0; i < sizeof(rs) / sizeof(rs[0]); i++) {
        apr_time_t refresh = next_attempt(&pol, AT(0), AT(DAYS(7)), 0, AT(0), rs[i]);
        apr_time_t retry = next_attempt(&pol, NONE, NONE, 4, AT(0), rs[i]);

        ck_assert_int_ge(refresh, AT(DAYS(7) / 2));
        ck_assert_int_le(refresh, AT(DAYS(7) / 2 + DAYS(7) / 10));
        ck_assert_int_ge(retry, AT(480));
        ck_assert_int_le(retry, AT(528));
        ck_assert_int_ge(refresh, prev_refresh);
        ck_assert_int_ge(retry, prev_retry);
        prev_refresh = refresh;
        prev_retry = retry;
    }
    /* Half the range gives half the jitter, less a few microseconds of
     * rounding (UINT32_MAX is odd). */
    half_off = next_attempt(&pol, AT(0), AT(DAYS(7)), 0, AT(0), UINT32_MAX / 2)
               - AT(DAYS(7) / 2 + DAYS(7) / 20);
    ck_assert_int_le(half_off, 0);
    ck_assert_int_gt(half_off, -1000);
}
END_TEST

START_TEST(no_jitter_policy_ignores_random)
{
    ck_assert_int_eq(next_attempt(&no_jitter, AT(0), AT(DAYS(7)), 0, AT(0), R_MAX),
                     AT(DAYS(7) / 2));
    ck_assert_int_eq(next_attempt(&no_jitter, NONE, NONE, 2, AT(0), R_MAX), AT(120));
}
END_TEST

START_TEST(null_random_means_no_jitter)
{
    ocspr_policy_t pol = default_policy();
    ocspr_policy_state_t st = { AT(0), AT(DAYS(7)), 0, 0 };

    ck_assert_int_eq(ocspr_policy_next_attempt(&pol, &st, AT(0), NULL, NULL), AT(DAYS(7) / 2));
}
END_TEST

/* Retries after failures with a response held always fit before nextUpdate:
 * following the schedule from any starting point never overshoots. */
START_TEST(retries_fit_before_next_update)
{
    ocspr_policy_t pol = default_policy();
    apr_time_t now = AT(0);
    int failures, before_expiry = 0;

    for (failures = 1; failures <= 100; failures++) {
        apr_time_t next = next_attempt(&pol, AT(-600), AT(1800), failures, now, R_MAX);

        ck_assert_int_ge(next - now, SEC(5));
        if (next >= AT(1800)) {
            break;
        }
        before_expiry++;
        now = next;
    }
    ck_assert_int_ge(before_expiry, 5);
    /* Retries continue until the last min_retry before expiry. */
    ck_assert_int_ge(now, AT(1800 - 5));
}
END_TEST

typedef struct {
    const char *what;
    int held_present;           /* 0: pass NULL */
    apr_time_t held_this, held_next;
    apr_time_t new_this, new_next;
    apr_time_t now;
    int expected;
} replace_row_t;

static const replace_row_t replace_rows[] = {
    { "nothing held (NULL)", 0, NONE, NONE, AT(0), AT(100), AT(1), 1 },
    { "nothing held (zero state)", 1, NONE, NONE, AT(0), AT(100), AT(1), 1 },
    { "newer", 1, AT(0), AT(100), AT(50), AT(150), AT(60), 1 },
    { "older, held still valid", 1, AT(50), AT(150), AT(0), AT(100), AT(60), 0 },
    { "equal thisUpdate", 1, AT(50), AT(150), AT(50), AT(150), AT(60), 1 },
    { "older, but held expired", 1, AT(50), AT(150), AT(0), AT(200), AT(160), 1 },
    { "older, held expires exactly now", 1, AT(50), AT(150), AT(0), AT(200), AT(150), 1 },
    { "new one has nextUpdate <= thisUpdate", 1, NONE, NONE, AT(100), AT(100), AT(1), 0 },
};

START_TEST(should_replace_table)
{
    const replace_row_t *row = &replace_rows[_i];
    ocspr_policy_state_t held = { row->held_this, row->held_next, 0, 0 };

    ck_assert_msg(ocspr_policy_should_replace(row->held_present ? &held : NULL, row->new_this,
                                              row->new_next, row->now) == row->expected,
                  "%s", row->what);
}
END_TEST

START_TEST(servable_until_just_before_next_update)
{
    ocspr_policy_state_t held = { AT(0), AT(3600), 0, 0 };
    ocspr_policy_state_t nothing = { NONE, NONE, 0, 0 };
    ocspr_policy_state_t reversed = { AT(3600), AT(0), 0, 0 };

    ck_assert(ocspr_policy_is_servable(&held, AT(0)));
    ck_assert(ocspr_policy_is_servable(&held, AT(3600) - 1));
    ck_assert(!ocspr_policy_is_servable(&held, AT(3600)));
    ck_assert(!ocspr_policy_is_servable(&held, AT(3601)));
    ck_assert(!ocspr_policy_is_servable(&nothing, AT(0)));
    ck_assert(!ocspr_policy_is_servable(&reversed, AT(1)));
    ck_assert(!ocspr_policy_is_servable(NULL, AT(0)));
}
END_TEST

typedef struct {
    const char *what;
    const ocspr_policy_t *pol;
    apr_time_t earliest_due, now;
    apr_interval_time_t expected;
} sleep_row_t;

static const ocspr_policy_t short_interval = {   /* check_interval below min_retry */
    50, 10, SEC(2), SEC(60), SEC(3600), SEC(5)
};

static const sleep_row_t sleep_rows[] = {
    { "nothing due: check_interval", NULL, 0, AT(0), SEC(60) },
    { "due in 30 s", NULL, AT(30), AT(0), SEC(30) },
    { "due in 2 s: min_retry", NULL, AT(2), AT(0), SEC(5) },
    { "due now: min_retry", NULL, AT(0), AT(0), SEC(5) },
    { "overdue: min_retry", NULL, AT(-3600), AT(0), SEC(5) },
    { "due in a week: check_interval", NULL, AT(DAYS(7)), AT(0), SEC(60) },
    { "due at the end of time, now negative: no overflow", NULL, TIME_MAX, -TIME_MAX,
      SEC(60) },
    { "check_interval below min_retry: min_retry", &short_interval, 0, AT(0), SEC(5) },
    { "nonsense settings: never below 1 s", &nonsense, AT(0), AT(0), SEC(1) },
};

START_TEST(sleep_table)
{
    const sleep_row_t *row = &sleep_rows[_i];
    ocspr_policy_t defaults = default_policy();
    apr_interval_time_t got = ocspr_policy_sleep(row->pol ? row->pol : &defaults,
                                                 row->earliest_due, row->now);

    ck_assert_msg(got == row->expected, "%s: got %" APR_INT64_T_FMT " us", row->what, got);
}
END_TEST

START_TEST(default_random_varies)
{
    uint32_t first = ocspr_random_default(NULL);
    int i, differs = 0;

    /* Eight equal 32-bit draws from a working generator: p = 2^-224. */
    for (i = 0; i < 8; i++) {
        differs |= ocspr_random_default(NULL) != first;
    }
    ck_assert(differs);
}
END_TEST

#define ROWS(table) (int)(sizeof(table) / sizeof((table)[0]))

Suite *ocspr_suite_policy(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("policy");

    tcase_add_test(tc, defaults_are_documented_values);
    tcase_add_loop_test(tc, next_attempt_table, 0, ROWS(attempt_rows));
    tcase_add_test(tc, stale_on_arrival_waits);
    tcase_add_test(tc, backoff_doubles_then_caps);
    tcase_add_test(tc, jitter_spans_its_bounds);
    tcase_add_test(tc, no_jitter_policy_ignores_random);
    tcase_add_test(tc, null_random_means_no_jitter);
    tcase_add_test(tc, retries_fit_before_next_update);
    tcase_add_loop_test(tc, should_replace_table, 0, ROWS(replace_rows));
    tcase_add_test(tc, servable_until_just_before_next_update);
    tcase_add_loop_test(tc, sleep_table, 0, ROWS(sleep_rows));
    tcase_add_test(tc, default_random_varies);
    suite_add_tcase(s, tc);
    return s;
}
