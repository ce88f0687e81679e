/* The maintenance thread: one per child. The child holding the leader lock
 * runs the engine's passes; the others only retry the lock, so that when
 * the leader exits or is killed another child takes over within one check
 * interval. The thread ends only when its child stops (child_stopping, the
 * MPM's stopping state, or the child pool's pre-cleanup), and it uses only
 * pools on its own allocator. */
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <apr_atomic.h>
#include <apr_thread_proc.h>

#include "ap_mpm.h"

#include "mod_ocsp_refresh_module.h"

typedef struct {
    ocspr_module_t *m;
    server_rec *s;
    apr_thread_t *thread;
    apr_pool_t *pool;                   /* on its own allocator: the thread's */
    int leader;                         /* maintenance thread only */
} maint_t;

/* A leader checks the shared wake-up counter this often while it sleeps,
 * so that a "refresh now" from any child's status page is acted on within a
 * second without cross-process signalling. */
#define WAKEUP_POLL apr_time_from_sec(1)

static int mpm_stopping(void)
{
    int state;

    return ap_mpm_query(AP_MPMQ_MPM_STATE, &state) == APR_SUCCESS && state == AP_MPMQ_STOPPING;
}

static void try_lead(maint_t *mt)
{
    ocspr_module_t *m = mt->m;

    if (apr_global_mutex_trylock(m->leader_mutex) != APR_SUCCESS) {
        return;
    }
    mt->leader = 1;
    if (ocspr_state_lock(m) == APR_SUCCESS) {
        m->shared->leader_pid = getpid();
        m->shared->leader_since = apr_time_now();
        ocspr_state_unlock(m);
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, mt->s, OCSPR_T_LEADER ": child %" APR_PID_T_FMT
                 " now refreshes OCSP responses for %d certificates", getpid(), m->stapled);
}

static void resign(maint_t *mt)
{
    ocspr_module_t *m = mt->m;
    apr_status_t rv;

    if (ocspr_state_lock(m) == APR_SUCCESS) {
        if (m->shared->leader_pid == getpid()) {
            m->shared->leader_pid = 0;
        }
        ocspr_state_unlock(m);
    }
    rv = apr_global_mutex_unlock(m->leader_mutex);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, mt->s, OCSPR_T_LOCK ": cannot release the "
                     "OCSP leader lock; another child takes over when this one exits");
    }
    mt->leader = 0;
}

/* Sleep up to `timeout` in slices, ending early for a "refresh now" from
 * any process; returns non-zero when the engine was stopped. */
static int sleep_or_stop(maint_t *mt, apr_interval_time_t timeout)
{
    ocspr_module_t *m = mt->m;
    apr_uint32_t seen = apr_atomic_read32(&m->shared->wakeups);
    apr_time_t until = ocspr_monotonic_now() + timeout;
    apr_interval_time_t left;

    while ((left = until - ocspr_monotonic_now()) > 0) {
        if (ocspr_engine_wait(m->engine, left > WAKEUP_POLL ? WAKEUP_POLL : left)) {
            return 1;
        }
        if (mpm_stopping()) {
            ocspr_engine_stop(m->engine);
            return 1;
        }
        if (mt->leader && apr_atomic_read32(&m->shared->wakeups) != seen) {
            break;
        }
    }
    return ocspr_engine_stopping(m->engine);
}

static void *APR_THREAD_FUNC maint_main(apr_thread_t *thread, void *data)
{
    maint_t *mt = data;
    ocspr_module_t *m = mt->m;
    ocspr_pass_result_t res;
    apr_interval_time_t sleep;
    apr_pool_t *p = NULL;

    /* Weeks of passes must not grow memory: a pool cleared after every pass. */
    apr_pool_create(&p, mt->pool);
    do {
        sleep = m->engine_config.policy.check_interval;
        if (!p || mpm_stopping()) {
            continue;
        }
        if (!mt->leader) {
            try_lead(mt);
        }
        if (mt->leader) {
            ocspr_engine_pass(m->engine, OCSPR_PASS_MAINTENANCE, 0, &res, p);
            sleep = ocspr_engine_sleep_time(m->engine, &res);
            if (ocspr_state_lock(m) == APR_SUCCESS) {
                m->shared->last_tick = apr_time_now();
                ocspr_state_unlock(m);
            }
            ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, mt->s, "OCSP pass: %d due, %d fetched, "
                         "%d adopted, %d failed, %d cut off, %d healed, %d served, %d "
                         "unservable; next in %" APR_TIME_T_FMT " ms", res.due, res.fetched,
                         res.adopted, res.failed, res.cut_off, res.healed, res.served,
                         res.unservable, apr_time_as_msec(sleep));
        }
        apr_pool_clear(p);
    } while (!sleep_or_stop(mt, sleep));

    if (mt->leader) {
        resign(mt);
    }
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

/* The child is going away: stop the pass (in-flight fetches are abandoned)
 * and wait for the thread, which resigns. */
static apr_status_t maint_stop(void *data)
{
    maint_t *mt = data;
    apr_status_t trv;

    if (mt->thread) {
        ocspr_engine_stop(mt->m->engine);
        apr_thread_join(&trv, mt->thread);
        mt->thread = NULL;
        apr_pool_destroy(mt->pool);
    }
    return APR_SUCCESS;
}

void ocspr_maint_child_stopping(ocspr_module_t *m)
{
    /* Stop at once so the old generation never refreshes next to the new
     * one; the join happens in the child pool's pre-cleanup. */
    if (m && m->engine) {
        ocspr_engine_stop(m->engine);
    }
}

void ocspr_maint_start(ocspr_module_t *m, apr_pool_t *pchild, server_rec *s)
{
    maint_t *mt = apr_pcalloc(pchild, sizeof(*mt));
    apr_allocator_t *allocator;
    sigset_t all, old;
    apr_status_t rv;

    mt->m = m;
    mt->s = s;
    /* The thread's pool (APR destroys it when the thread exits) lives on its
     * own allocator: never one the child's other threads use unlocked. */
    rv = apr_allocator_create(&allocator);
    if (rv == APR_SUCCESS) {
        rv = apr_pool_create_unmanaged_ex(&mt->pool, NULL, allocator);
        if (rv == APR_SUCCESS) {
            apr_allocator_owner_set(allocator, mt->pool);
        }
        else {
            apr_allocator_destroy(allocator);
        }
    }
    if (rv == APR_SUCCESS) {
        /* Every signal blocked in the thread: httpd's handlers (prefork
         * exits from inside one) must run on its own threads. */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        rv = apr_thread_create(&mt->thread, NULL, maint_main, mt, mt->pool);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (rv != APR_SUCCESS) {
            apr_pool_destroy(mt->pool);
        }
    }
    if (rv != APR_SUCCESS) {
        mt->thread = NULL;
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, OCSPR_T_THREAD ": cannot start the OCSP "
                     "maintenance thread in child %" APR_PID_T_FMT "; responses are refreshed "
                     "by the other children", getpid());
        return;
    }
    /* A pre-cleanup: the thread must be joined before pchild's subpools
     * are destroyed. */
    apr_pool_pre_cleanup_register(pchild, mt, maint_stop);
}
