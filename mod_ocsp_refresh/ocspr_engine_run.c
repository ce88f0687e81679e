/* The refresh engine's life in a process (contract in ocspr_engine.h): who
 * leads, the passes, the sleeps between them, "refresh now" from another
 * process, and the way out. */
#include <unistd.h>

#include <apr_atomic.h>

#include "ocspr_engine_private.h"
#include "ocspr_tags.h"

static void try_lead(ocspr_engine_t *e, apr_pool_t *p)
{
    if (e->ops.leader_trylock && e->ops.leader_trylock(e->ops.baton) != APR_SUCCESS) {
        return;
    }
    e->leader = 1;
    if (ocspr_eng_state_lock(e, p)) {
        e->shared->leader_pid = (long)getpid();
        e->shared->leader_since = ocspr_eng_wall_now(e);
        ocspr_eng_state_unlock(e, p);
    }
    ocspr_log(OCSPR_LOG_NOTICE, 0, OCSPR_T_LEADER, p, "child %ld now refreshes OCSP responses "
              "for %d certificates", (long)getpid(), e->ncerts);
}

static void resign(ocspr_engine_t *e, apr_pool_t *p)
{
    apr_status_t rv;

    if (ocspr_eng_state_lock(e, p)) {
        if (e->shared->leader_pid == (long)getpid()) {
            e->shared->leader_pid = 0;
        }
        ocspr_eng_state_unlock(e, p);
    }
    if (e->ops.leader_unlock && (rv = e->ops.leader_unlock(e->ops.baton)) != APR_SUCCESS) {
        ocspr_log(OCSPR_LOG_ERR, rv, OCSPR_T_LOCK, p, "cannot release the OCSP leader lock; "
                  "another child takes over when this one exits");
    }
    e->leader = 0;
}

static int server_stopping(ocspr_engine_t *e)
{
    if (e->ops.server_stopping && e->ops.server_stopping(e->ops.baton)) {
        ocspr_engine_stop(e);
    }
    return ocspr_engine_stopping(e);
}

/* Sleep up to timeout in slices of OCSPR_ENGINE_WAKEUP_POLL, ending early
 * for a "refresh now" from any process (a leader only: the others have
 * nothing to do): the shared counter moved from seen, its value before the
 * pass. Returns non-zero when the engine stopped. */
static int sleep_or_stop(ocspr_engine_t *e, apr_interval_time_t timeout, apr_uint32_t seen)
{
    apr_time_t until = ocspr_monotonic_now() + timeout;
    apr_interval_time_t left;

    while ((left = until - ocspr_monotonic_now()) > 0) {
        if (e->leader && apr_atomic_read32(&e->shared->wakeups) != seen) {
            break;
        }
        if (ocspr_engine_wait(e, left > OCSPR_ENGINE_WAKEUP_POLL ? OCSPR_ENGINE_WAKEUP_POLL
                                                                   : left)
            || server_stopping(e)) {
            return 1;
        }
    }
    return server_stopping(e);
}

static apr_interval_time_t lead_one_pass(ocspr_engine_t *e, apr_pool_t *p)
{
    ocspr_pass_result_t res;
    apr_interval_time_t sleep;

    ocspr_engine_pass(e, OCSPR_PASS_MAINTENANCE, 0, &res, p);
    sleep = ocspr_engine_sleep_time(e, &res);
    if (ocspr_eng_state_lock(e, p)) {
        e->shared->last_pass = ocspr_eng_wall_now(e);
        ocspr_eng_state_unlock(e, p);
    }
    ocspr_log(OCSPR_LOG_DEBUG, 0, NULL, p, "OCSP pass: %d due, %d fetched, %d adopted, %d failed, "
              "%d cut off, %d healed, %d served, %d unservable; next in %" APR_TIME_T_FMT " ms",
              res.due, res.fetched, res.adopted, res.failed, res.cut_off, res.healed, res.served,
              res.unservable, apr_time_as_msec(sleep));
    return sleep;
}

void ocspr_engine_run(ocspr_engine_t *e, apr_pool_t *pool)
{
    apr_interval_time_t sleep;
    apr_uint32_t seen;
    apr_pool_t *p;

    if (apr_pool_create(&p, pool) != APR_SUCCESS) {
        return;
    }
    while (!server_stopping(e)) {
        sleep = e->cfg.policy.check_interval;
        /* Before the pass: a request made during it, or after it read the
         * states, still ends the sleep that follows. */
        seen = apr_atomic_read32(&e->shared->wakeups);
        if (!e->leader) {
            try_lead(e, p);
        }
        if (e->leader) {
            sleep = lead_one_pass(e, p);
        }
        apr_pool_clear(p);
        if (sleep_or_stop(e, sleep, seen)) {
            break;
        }
    }
    if (e->leader) {
        resign(e, p);
    }
    apr_pool_destroy(p);
}
