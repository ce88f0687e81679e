/* Startup: prepare the store as root, then fill the serving cache in a
 * short-lived helper process that runs as the server's user. The root
 * parent never parses a byte from the network or the store, never writes
 * the store, and never waits longer than OCSPRefreshStartupTimeout: the
 * helper is killed at the deadline, whatever it is stuck in (name
 * resolution included). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <apr_strings.h>
#include <unistd.h>

#include "ap_mpm.h"
#include "mpm_common.h"
#include "unixd.h"

#include "mod_ocsp_refresh_module.h"
#include "ocspr_store.h"

/* How often the parent looks whether the helper is done. */
#define HELPER_POLL apr_time_from_msec(10)
/* On a restart the helper only loads the store: it gets this long, not the
 * network's budget, before the parent goes on without it. */
#define RESTART_LOAD_LIMIT apr_time_from_sec(10)

/* The store directory, created for and handed to the server's user without
 * a chown by path; memory only when that cannot be done safely. */
static void setup_store(ocspr_module_t *m, apr_pool_t *ptemp)
{
    const char *dir = ocspr_conf_store_dir(m->s, m->pool), *problem = NULL;
    uid_t uid = geteuid() == 0 ? ap_unixd_config.user_id : geteuid();
    gid_t gid = geteuid() == 0 ? ap_unixd_config.group_id : getegid();
    apr_status_t rv;

    m->store_dir = NULL;
    if (!dir) {
        return;
    }
    rv = ocspr_store_dir_prepare(dir, uid, gid, &problem, ptemp);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, m->s, OCSPR_T_STORE_UNUSABLE ": store "
                     "directory %s %s; keeping responses in memory only (they are fetched "
                     "again after a restart). Fix the directory or set OCSPRefreshStore",
                     dir, problem ? problem : "cannot be used");
        return;
    }
    m->store_dir = dir;
    ocspr_engine_store_dir(&m->engine_ops.store, dir);
}

/* Is this the first real start of the parent (not a restart)? The process
 * pool outlives restarts, so it remembers. */
static int first_start(server_rec *s)
{
    static const char key[] = "mod_ocsp_refresh.started";
    void *seen = NULL;

    apr_pool_userdata_get(&seen, key, s->process->pool);
    if (seen) {
        return 0;
    }
    apr_pool_userdata_set((void *)1, key, apr_pool_cleanup_null, s->process->pool);
    return 1;
}

/* The helper process: the server's user, this generation's caches and
 * state, one pass. Never returns. */
static void run_helper(ocspr_module_t *m, int fetch, apr_interval_time_t limit)
{
    apr_pool_t *p;
    ocspr_pass_result_t res;
    apr_time_t start = ocspr_monotonic_now();
    int loaded;

    apr_pool_create(&p, m->pool);
    if (ap_run_drop_privileges(p, m->s) != OK
        || ocspr_module_process_attach(m, p, m->s) != APR_SUCCESS) {
        _exit(1);
    }
    if (m->store_dir) {
        ocspr_registry_sweep_store(m->reg, m->store_dir, p);
    }
    loaded = ocspr_engine_load_store(m->engine, p);
    memset(&res, 0, sizeof(res));
    if (fetch) {
        /* A test-only hook: stand for a helper stuck where no deadline of
         * ours reaches (name resolution), to show the parent's holds. */
        if (getenv("OCSPR_TEST_HELPER_HANG")) {
            for (;;) {
                pause();
            }
        }
        ocspr_engine_pass(m->engine, OCSPR_PASS_STARTUP, limit ? start + limit : 0, &res, p);
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, m->s, OCSPR_T_PREFETCH ": startup: %d of %d "
                 "responses loaded from the store; %s in %" APR_TIME_T_FMT " ms",
                 loaded, m->reg->stapled,
                 fetch ? apr_psprintf(p, "%d fetched, %d adopted from the fleet, %d failed, "
                                      "%d left to the maintenance thread", res.fetched,
                                      res.adopted, res.failed, res.cut_off)
                       : (const char *)"restart: nothing fetched before the children start (the leader "
                         "fetches what is due at once)",
                 apr_time_as_msec(ocspr_monotonic_now() - start));
    _exit(0);
}

/* Wait for the helper until `limit`, then kill it. Returns non-zero when it
 * finished by itself. */
static int wait_helper(pid_t pid, apr_interval_time_t limit)
{
    apr_time_t until = ocspr_monotonic_now() + limit;
    int status;
    pid_t got;

    do {
        got = waitpid(pid, &status, WNOHANG);
        if (got == pid || (got < 0 && errno != EINTR)) {
            return got == pid;
        }
        apr_sleep(HELPER_POLL);
    } while (ocspr_monotonic_now() < until);
    kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return 0;
}

void ocspr_module_startup(ocspr_module_t *m, apr_pool_t *pconf, apr_pool_t *ptemp)
{
    int fetch = first_start(m->s);
    apr_interval_time_t limit = fetch ? ocspr_conf_startup_timeout(ocspr_srv_conf(m->s)) : RESTART_LOAD_LIMIT;
    pid_t pid;

    setup_store(m, ptemp);
    pid = fork();
    if (pid < 0) {
        ap_log_error(APLOG_MARK, APLOG_ERR, APR_FROM_OS_ERROR(errno), m->s, OCSPR_T_THREAD
                     ": cannot start the OCSP startup helper process; the maintenance thread "
                     "fetches every response once the children run");
        return;
    }
    if (pid == 0) {
        run_helper(m, fetch, limit);
    }
    if (!wait_helper(pid, limit ? limit + apr_time_from_msec(200) : apr_time_from_sec(3600))) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, m->s, OCSPR_T_PREFETCH_LATE ": the OCSP "
                     "startup helper did not finish within %" APR_TIME_T_FMT " ms and was "
                     "stopped; the maintenance thread fetches what is missing at once",
                     apr_time_as_msec(limit));
    }
}
