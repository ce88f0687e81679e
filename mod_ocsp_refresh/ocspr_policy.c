/* Refresh policy: when to fetch, when to retry, what to keep and serve.
 * Pure arithmetic on apr_time_t (signed 64-bit microseconds): every sum and
 * difference saturates instead of overflowing, because settings and times
 * may be nonsense and a wrapped time would schedule a fetch decades early
 * or never. */
#include <openssl/rand.h>

#include "ocspr_policy.h"

#define TIME_MAX APR_INT64_MAX

void ocspr_policy_default(ocspr_policy_t *pol)
{
    pol->window_percent = 50;
    pol->jitter_percent = 10;
    pol->check_interval = apr_time_from_sec(60);
    pol->backoff_min = apr_time_from_sec(60);
    pol->backoff_max = apr_time_from_sec(3600);
    pol->min_retry = apr_time_from_sec(5);
}

uint32_t ocspr_random_default(void *baton)
{
    unsigned char bytes[4];

    (void)baton;
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
        /* Jitter only spreads load; a fixed value is a safe degradation. */
        return UINT32_MAX / 2;
    }
    return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8
           | (uint32_t)bytes[3];
}

static int clamp_int(int value, int lo, int hi)
{
    return value < lo ? lo : value > hi ? hi : value;
}

static apr_interval_time_t at_least(apr_interval_time_t value, apr_interval_time_t floor)
{
    return value < floor ? floor : value;
}

/* t + d for d >= 0, saturating. */
static apr_time_t add_saturating(apr_time_t t, apr_interval_time_t d)
{
    return t > TIME_MAX - d ? TIME_MAX : t + d;
}

/* to - from for to > from, saturating (from may be negative). */
static apr_interval_time_t time_between(apr_time_t from, apr_time_t to)
{
    if (from < 0 && to > TIME_MAX + from) {
        return TIME_MAX;
    }
    return to - from;
}

/* pct% of value (value >= 0, 0 <= pct <= 100) without overflowing. */
static apr_interval_time_t percent_of(apr_interval_time_t value, int pct)
{
    return value / 100 * pct + value % 100 * pct / 100;
}

/* A value in [0, max], r/UINT32_MAX of max; split so that no product
 * exceeds 64 bits. */
static apr_interval_time_t random_up_to(apr_interval_time_t max, ocspr_random_fn *rnd,
                                        void *baton)
{
    uint64_t m = (uint64_t)max;
    uint64_t r = rnd ? rnd(baton) : 0;

    return (apr_interval_time_t)(m / UINT32_MAX * r + m % UINT32_MAX * r / UINT32_MAX);
}

/* The settings with every value brought into its documented range. */
static void effective_policy(ocspr_policy_t *eff, const ocspr_policy_t *pol)
{
    eff->window_percent = clamp_int(pol->window_percent, 1, 99);
    eff->jitter_percent = clamp_int(pol->jitter_percent, 0, 50);
    eff->min_retry = at_least(pol->min_retry, OCSPR_POLICY_MIN_RETRY_FLOOR);
    eff->backoff_min = at_least(pol->backoff_min, eff->min_retry);
    eff->backoff_max = at_least(pol->backoff_max, eff->backoff_min);
    eff->check_interval = at_least(pol->check_interval, eff->min_retry);
}

static int holds_response(const ocspr_policy_state_t *st)
{
    return st != NULL && st->this_update > 0 && st->next_update > st->this_update;
}

/* The regular refresh of a held response. */
static apr_time_t refresh_due(const ocspr_policy_t *eff, const ocspr_policy_state_t *st,
                              apr_time_t now, ocspr_random_fn *rnd, void *baton)
{
    apr_interval_time_t period = st->next_update - st->this_update;
    apr_interval_time_t latest_offset = period - period / 4;
    apr_interval_time_t offset;

    offset = add_saturating(percent_of(period, eff->window_percent),
                            random_up_to(percent_of(period, eff->jitter_percent), rnd, baton));
    if (offset > latest_offset) {
        offset = latest_offset;
    }
    return st->this_update + offset > now ? st->this_update + offset : now;
}

/* A responder may hand out a response that is already past our refresh
 * point (CAs pre-generate them). Fetching again at once would only get the
 * same one, so wait a quarter of what is left (at least backoff_min, at
 * most half of what is left), leaving several tries before nextUpdate. */
static apr_time_t fresh_enough(const ocspr_policy_t *eff, const ocspr_policy_state_t *st,
                               apr_time_t due)
{
    apr_interval_time_t left, wait;

    if (!st->fetched || due >= add_saturating(st->fetched, eff->min_retry)) {
        return due;
    }
    left = st->next_update > st->fetched ? time_between(st->fetched, st->next_update) : 0;
    wait = left / 4 > eff->backoff_min ? left / 4 : eff->backoff_min;
    if (wait > left / 2) {
        wait = left / 2;
    }
    return add_saturating(st->fetched, at_least(wait, eff->min_retry));
}

/* backoff_min * 2^(failures-1), capped, plus jitter. Doubling stops at the
 * cap, so the loop is short and 2^failures is never computed. */
static apr_interval_time_t backoff_delay(const ocspr_policy_t *eff, int failures,
                                         ocspr_random_fn *rnd, void *baton)
{
    apr_interval_time_t delay = eff->backoff_min;
    int i;

    for (i = 1; i < failures && delay < eff->backoff_max; i++) {
        delay = delay > eff->backoff_max / 2 ? eff->backoff_max : delay * 2;
    }
    return add_saturating(delay, random_up_to(percent_of(delay, eff->jitter_percent), rnd, baton));
}

apr_time_t ocspr_policy_next_attempt(const ocspr_policy_t *pol, const ocspr_policy_state_t *st,
                                     apr_time_t now, ocspr_random_fn *rnd, void *rnd_baton)
{
    ocspr_policy_t eff;
    apr_interval_time_t delay;

    effective_policy(&eff, pol);
    if (st->consecutive_failures <= 0) {
        return holds_response(st) ? fresh_enough(&eff, st, refresh_due(&eff, st, now, rnd,
                                                                       rnd_baton))
                                  : now;
    }
    delay = backoff_delay(&eff, st->consecutive_failures, rnd, rnd_baton);
    if (holds_response(st) && now < st->next_update) {
        apr_interval_time_t quarter_left = time_between(now, st->next_update) / 4;

        if (delay > quarter_left) {
            delay = quarter_left;
        }
    }
    return add_saturating(now, at_least(delay, eff.min_retry));
}

int ocspr_policy_should_replace(const ocspr_policy_state_t *held, apr_time_t new_this_update,
                                apr_time_t new_next_update, apr_time_t now)
{
    if (new_next_update <= new_this_update) {
        return 0;
    }
    return !ocspr_policy_is_servable(held, now) || new_this_update >= held->this_update;
}

int ocspr_policy_is_servable(const ocspr_policy_state_t *held, apr_time_t now)
{
    return holds_response(held) && now < held->next_update;
}

apr_interval_time_t ocspr_policy_sleep(const ocspr_policy_t *pol, apr_time_t earliest_due,
                                       apr_time_t now)
{
    ocspr_policy_t eff;
    apr_interval_time_t wait;

    effective_policy(&eff, pol);
    if (earliest_due == 0) {
        return eff.check_interval;
    }
    wait = earliest_due > now ? time_between(now, earliest_due) : 0;
    if (wait > eff.check_interval) {
        return eff.check_interval;
    }
    return at_least(wait, eff.min_retry);
}
