/* Refresh policy: pure functions of times, outcomes and settings. No clock,
 * no I/O: callers pass `now` and a random source so tests can tabulate. */
#ifndef OCSPR_POLICY_H
#define OCSPR_POLICY_H

#include "ocspr.h"
#include <stdint.h>

typedef struct {
    int window_percent;               /* refresh once this % of [thisUpdate, nextUpdate] elapsed (1..99) */
    int jitter_percent;               /* spread up to this % of the validity period, later only (0..50) */
    apr_interval_time_t check_interval;   /* the maintenance tick: the longest sleep */
    apr_interval_time_t backoff_min;      /* first retry delay after a failure */
    apr_interval_time_t backoff_max;      /* cap of the doubling */
    apr_interval_time_t min_retry;        /* never retry sooner than this */
} ocspr_policy_t;

/* Defaults: window 50, jitter 10, interval 60 s, backoff 1 min..1 h, min retry 5 s. */
void ocspr_policy_default(ocspr_policy_t *pol);

/* Uniform random value in [0, UINT32_MAX]; tests pass a fixed sequence. */
typedef uint32_t ocspr_random_fn(void *baton);
/* A real source (OpenSSL RAND_bytes). */
uint32_t ocspr_random_default(void *baton);

/* What we know about one certificate. Times are 0 when unknown. */
typedef struct {
    apr_time_t this_update;           /* of the held (valid) response */
    apr_time_t next_update;
    int consecutive_failures;         /* since the last success */
} ocspr_policy_state_t;

/* When to attempt the next fetch, given the state after the last attempt.
 * - nothing held, no failure: now.
 * - held and no failure: thisUpdate + window% of the period + jitter; never
 *   later than leaves room for retries before nextUpdate (not past
 *   nextUpdate - period/4 unless that is in the past: then now).
 * - failures: now + backoff_min * 2^(failures-1) capped at backoff_max, plus
 *   jitter of up to jitter_percent of that delay; when a response is held the
 *   delay is also capped so that several retries fit before nextUpdate
 *   (at most a quarter of the time left), never below min_retry. */
apr_time_t ocspr_policy_next_attempt(const ocspr_policy_t *pol, const ocspr_policy_state_t *st,
                                     apr_time_t now, ocspr_random_fn *rnd, void *rnd_baton);

/* Should a newly validated response (new_this, new_next) replace the held
 * one? Yes when nothing is held, the held one has expired at `now`, or the new
 * one is not older (thisUpdate >= held thisUpdate). An invalid response never
 * reaches this question. */
int ocspr_policy_should_replace(const ocspr_policy_state_t *held, apr_time_t new_this_update,
                                apr_time_t new_next_update, apr_time_t now);

/* May the held response be stapled at `now`? (held and now < nextUpdate) */
int ocspr_policy_is_servable(const ocspr_policy_state_t *held, apr_time_t now);

/* How long the maintenance thread sleeps: until the earliest due time, but
 * at least min_retry... at most check_interval. earliest_due 0: check_interval. */
apr_interval_time_t ocspr_policy_sleep(const ocspr_policy_t *pol, apr_time_t earliest_due,
                                       apr_time_t now);

#endif /* OCSPR_POLICY_H */
