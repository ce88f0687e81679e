/* Refresh policy: pure functions of times, outcomes and settings. No clock,
 * no I/O: callers pass `now` and a random source so tests can tabulate.
 *
 * Every function tolerates nonsense input instead of trusting it: settings
 * out of range are clamped (see ocspr_policy_t), negative or huge times and
 * failure counts never overflow, and a state whose nextUpdate is not after
 * its thisUpdate counts as "nothing held". */
#ifndef OCSPR_POLICY_H
#define OCSPR_POLICY_H

#include "ocspr.h"
#include <stdint.h>

/* Values out of range are clamped when used, never rejected: */
typedef struct {
    int window_percent;               /* refresh once this % of [thisUpdate, nextUpdate] elapsed (1..99) */
    int jitter_percent;               /* spread up to this % of the validity period, later only (0..50) */
    apr_interval_time_t check_interval;   /* the maintenance tick: the longest sleep (>= min_retry) */
    apr_interval_time_t backoff_min;      /* first retry delay after a failure (>= min_retry) */
    apr_interval_time_t backoff_max;      /* cap of the doubling (>= backoff_min) */
    apr_interval_time_t min_retry;        /* never retry sooner than this (>= OCSPR_POLICY_MIN_RETRY_FLOOR) */
} ocspr_policy_t;

/* Whatever the settings say, never spin: no delay is shorter than this. */
#define OCSPR_POLICY_MIN_RETRY_FLOOR apr_time_from_sec(1)

/* Defaults: window 50, jitter 10, interval 60 s, backoff 1 min..1 h, min retry 5 s. */
void ocspr_policy_default(ocspr_policy_t *pol);

/* Uniform random value in [0, UINT32_MAX]; tests pass a fixed sequence. */
typedef uint32_t ocspr_random_fn(void *baton);
/* A real source (OpenSSL RAND_bytes; a fixed mid-range value if that fails).
 * The baton is unused. */
uint32_t ocspr_random_default(void *baton);

/* What we know about one certificate. Times are 0 when unknown. A response
 * is "held" when 0 < this_update < next_update. */
typedef struct {
    apr_time_t this_update;           /* of the held (valid) response */
    apr_time_t next_update;
    int consecutive_failures;         /* since the last success; <= 0: none */
    apr_time_t fetched;               /* when the held response came from the network; 0 when
                                       * it came from the store or nothing was fetched yet */
} ocspr_policy_state_t;

/* When to attempt the next fetch, given the state after the last attempt.
 * A jitter of r/UINT32_MAX of its maximum is added, r drawn once from rnd
 * (rnd NULL: no jitter), so r = 0 gives the earliest and r = UINT32_MAX the
 * latest time.
 * - nothing held, no failure: now.
 * - held and no failure: thisUpdate + window% of the period + jitter (up to
 *   jitter% of the period); never later than leaves room for retries before
 *   nextUpdate (not past nextUpdate - period/4); if that is in the past
 *   (e.g. the held response expired): now.
 * - failures: now + backoff_min * 2^(failures-1) capped at backoff_max, plus
 *   jitter of up to jitter_percent of that delay; when a response is held
 *   and not yet expired at `now`, the delay is also capped at a quarter of
 *   the time left, so that several retries fit before nextUpdate (an expired
 *   one gives no deadline: plain backoff). Never below min_retry: that floor
 *   wins over the quarter when little time is left. */
apr_time_t ocspr_policy_next_attempt(const ocspr_policy_t *pol, const ocspr_policy_state_t *st,
                                     apr_time_t now, ocspr_random_fn *rnd, void *rnd_baton);

/* Should a newly validated response (new_this, new_next) replace the held
 * one? Yes when nothing is held (held may be NULL), the held one has expired
 * at `now`, or the new one is not older (thisUpdate >= held thisUpdate).
 * An invalid response never reaches this question; as a guard, one with
 * new_next <= new_this is never taken. */
int ocspr_policy_should_replace(const ocspr_policy_state_t *held, apr_time_t new_this_update,
                                apr_time_t new_next_update, apr_time_t now);

/* May the held response be stapled at `now`? (held and now < nextUpdate:
 * at nextUpdate itself it is no longer servable.) */
int ocspr_policy_is_servable(const ocspr_policy_state_t *held, apr_time_t now);

/* How long the maintenance thread sleeps: until the earliest due time, but
 * at least min_retry and at most check_interval. earliest_due 0 (nothing
 * due): check_interval. */
apr_interval_time_t ocspr_policy_sleep(const ocspr_policy_t *pol, apr_time_t earliest_due,
                                       apr_time_t now);

#endif /* OCSPR_POLICY_H */
