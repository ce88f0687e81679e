/* The maintenance thread: one per child. The child holding the leader lock
 * refreshes; the others only retry the lock, so that when the leader exits
 * or is killed another child takes over within one check interval. */
#include <unistd.h>
#include <apr_atomic.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include "ap_mpm.h"

#include "mod_ocsp_refresh_module.h"

typedef struct {
    ocspr_module_t *e;
    server_rec *s;
    apr_thread_t *thread;
    apr_thread_mutex_t *mutex;
    apr_thread_cond_t *cond;
    int stop;                           /* under mutex */
    int leader;                         /* maintenance thread only */
} maint_t;

static int mpm_stopping(void)
{
    int state;

    return ap_mpm_query(AP_MPMQ_MPM_STATE, &state) == APR_SUCCESS && state == AP_MPMQ_STOPPING;
}

static void try_lead(maint_t *m)
{
    ocspr_module_t *e = m->e;

    if (apr_global_mutex_trylock(e->leader_mutex) != APR_SUCCESS) {
        return;
    }
    m->leader = 1;
    ocspr_state_lock(e);
    e->shared->leader_pid = getpid();
    e->shared->leader_since = apr_time_now();
    ocspr_state_unlock(e);
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, m->s, OCSPR_T_LEADER ": child %" APR_PID_T_FMT
                 " now refreshes OCSP responses for %d certificates", getpid(), e->stapled);
}

static void resign(maint_t *m)
{
    ocspr_module_t *e = m->e;

    ocspr_state_lock(e);
    if (e->shared->leader_pid == getpid()) {
        e->shared->leader_pid = 0;
    }
    ocspr_state_unlock(e);
    apr_global_mutex_unlock(e->leader_mutex);
    m->leader = 0;
}

/* A leader checks the shared wake-up counter this often while it sleeps,
 * so that a "refresh now" from any child's status page is acted on at once
 * without cross-process signalling. */
#define WAKEUP_POLL apr_time_from_sec(1)

/* Sleep up to `timeout`, less when a wake-up is requested; returns non-zero
 * when asked to stop. */
static int wait_or_stop(maint_t *m, apr_interval_time_t timeout)
{
    apr_uint32_t seen = apr_atomic_read32(&m->e->shared->wakeups);
    apr_time_t until = apr_time_now() + timeout;
    apr_interval_time_t slice;
    int stop;

    apr_thread_mutex_lock(m->mutex);
    while (!m->stop) {
        slice = until - apr_time_now();
        if (slice <= 0 || (m->leader && apr_atomic_read32(&m->e->shared->wakeups) != seen)) {
            break;
        }
        apr_thread_cond_timedwait(m->cond, m->mutex,
                                  m->leader && slice > WAKEUP_POLL ? WAKEUP_POLL : slice);
    }
    stop = m->stop;
    apr_thread_mutex_unlock(m->mutex);
    return stop;
}

static void *APR_THREAD_FUNC maint_main(apr_thread_t *thread, void *data)
{
    maint_t *m = data;
    ocspr_module_t *e = m->e;
    apr_pool_t *p;
    apr_interval_time_t sleep;
    apr_time_t earliest;

    /* Weeks of passes must not grow memory: a private allocator, cleared
     * after every pass. */
    if (ocspr_private_pool_create(&p) != APR_SUCCESS) {
        apr_thread_exit(thread, APR_ENOMEM);
        return NULL;
    }
    do {
        sleep = e->policy.check_interval;
        if (mpm_stopping()) {
            break;
        }
        if (!m->leader) {
            try_lead(m);
        }
        if (m->leader) {
            earliest = ocspr_module_refresh_due(e, p);
            sleep = ocspr_policy_sleep(&e->policy, earliest, apr_time_now());
            ocspr_state_lock(e);
            e->shared->last_tick = apr_time_now();
            ocspr_state_unlock(e);
        }
        apr_pool_clear(p);
    } while (!wait_or_stop(m, sleep));

    if (m->leader) {
        resign(m);
    }
    apr_pool_destroy(p);
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

static apr_status_t maint_stop(void *data)
{
    maint_t *m = data;
    apr_status_t trv;

    apr_thread_mutex_lock(m->mutex);
    m->stop = 1;
    apr_thread_cond_signal(m->cond);
    apr_thread_mutex_unlock(m->mutex);
    apr_thread_join(&trv, m->thread);
    return APR_SUCCESS;
}

void ocspr_maint_start(ocspr_module_t *e, apr_pool_t *pchild, server_rec *s)
{
    maint_t *m = apr_pcalloc(pchild, sizeof(*m));
    apr_status_t rv;

    m->e = e;
    m->s = s;
    rv = apr_thread_mutex_create(&m->mutex, APR_THREAD_MUTEX_DEFAULT, pchild);
    if (rv == APR_SUCCESS) {
        rv = apr_thread_cond_create(&m->cond, pchild);
    }
    if (rv == APR_SUCCESS) {
        rv = ocspr_thread_create(&m->thread, maint_main, m, pchild);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, OCSPR_T_THREAD ": cannot start the OCSP "
                     "maintenance thread in child %" APR_PID_T_FMT "; responses are refreshed "
                     "by the other children", getpid());
        return;
    }
    /* A pre-cleanup: the thread must be joined before pchild's subpools,
     * its own pool among them, are destroyed. */
    apr_pool_pre_cleanup_register(pchild, m, maint_stop);
}
