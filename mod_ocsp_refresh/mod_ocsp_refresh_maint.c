/* The maintenance thread: one per child, running the engine's loop (the
 * child holding the leader lock refreshes; the others retry the lock, so
 * that another child takes over when the leader dies). The thread ends only
 * when its child stops (child_stopping, the MPM's stopping state, or the
 * child pool's pre-cleanup), and it uses only pools on its own allocator. */
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <apr_thread_proc.h>

#include "mod_ocsp_refresh_module.h"

typedef struct {
    ocspr_module_t *m;
    apr_thread_t *thread;
    apr_pool_t *pool;                   /* on its own allocator: the thread's */
} maint_t;

static void *APR_THREAD_FUNC maint_main(apr_thread_t *thread, void *data)
{
    maint_t *mt = data;

    ocspr_engine_run(mt->m->engine, mt->pool);
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
