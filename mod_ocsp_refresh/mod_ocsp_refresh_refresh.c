/* Obtaining responses: from the store at startup, from responders at
 * startup (prefetch) and in the leader's maintenance passes. */
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <apr_atomic.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include "unixd.h"

#include "mod_ocsp_refresh_module.h"
#include "ocspr_fetch.h"
#include "ocspr_store.h"

#define PREFETCH_MAX_THREADS 8

/* The policy's view of the held response: only one still servable counts. */
static void policy_state(ocspr_policy_state_t *pst, const ocspr_cert_state_t *st, apr_time_t now)
{
    memset(pst, 0, sizeof(*pst));
    if (st->cert_status != OCSPR_CERT_STATUS_NONE && st->next_update > now) {
        pst->this_update = st->this_update;
        pst->next_update = st->next_update;
    }
    pst->consecutive_failures = st->consecutive_failures;
    pst->fetched = st->source == OCSPR_SOURCE_NETWORK ? st->obtained : 0;
}

static void schedule(ocspr_module_t *e, ocspr_cert_state_t *st, apr_time_t now)
{
    ocspr_policy_state_t pst;

    policy_state(&pst, st, now);
    st->next_attempt = ocspr_policy_next_attempt(&e->policy, &pst, now, ocspr_random_default,
                                                 NULL);
}

static void log_obtained(ocspr_module_t *e, const ocspr_entry_t *entry,
                         const ocspr_response_info_t *info, int was_revoked,
                         ocspr_source_t source, apr_time_t next_attempt, apr_pool_t *p)
{
    const char *subject = ocspr_cert_subject(entry->cert, p);

    if (info->cert_status == OCSPR_CERT_STATUS_REVOKED) {
        if (!was_revoked) {
            ap_log_error(APLOG_MARK, APLOG_ALERT, 0, e->s, OCSPR_T_REVOKED ": certificate %s "
                         "(serial %s, vhosts %s) is REVOKED since %s, reason %s: clients that "
                         "check the staple will refuse it; replace the certificate",
                         subject, ocspr_cert_serial(entry->cert, p), ocspr_entry_vhosts(p, entry),
                         ocspr_time_rfc3339(p, info->revoked_at),
                         ocspr_revocation_reason_name(info->revocation_reason));
        }
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, e->s, OCSPR_T_FETCHED ": %s OCSP response for %s "
                 "(vhosts %s) from %s, valid until %s, next refresh %s",
                 ocspr_cert_status_name(info->cert_status), subject, ocspr_entry_vhosts(p, entry),
                 source == OCSPR_SOURCE_STORE ? "the store" : entry->url,
                 ocspr_time_rfc3339(p, info->next_update), ocspr_time_rfc3339(p, next_attempt));
}

/* Save a response; files the parent writes as root are handed to the
 * server's user, whose children read and replace them later. */
static apr_status_t store_save(ocspr_module_t *e, const ocspr_entry_t *entry,
                               const unsigned char *der, apr_size_t len, apr_pool_t *p)
{
    apr_status_t rv = ocspr_store_save(e->store_dir, entry->id, der, len, p, NULL, NULL);
    const char *path;

    if (rv == APR_SUCCESS && geteuid() == 0) {
        path = apr_pstrcat(p, e->store_dir, "/", entry->id_hex, OCSPR_STORE_SUFFIX, NULL);
        if (chown(path, ap_unixd_config.user_id, ap_unixd_config.group_id) != 0) {
            rv = APR_FROM_OS_ERROR(errno);
        }
    }
    return rv;
}

/* A validated response: keep it when it is not older than the held one,
 * put it in the cache (and the store when it came from the network), and
 * schedule the next refresh. */
static void apply_response(ocspr_module_t *e, const ocspr_entry_t *entry,
                           const ocspr_fetch_result_t *res, ocspr_source_t source,
                           apr_time_t now, apr_pool_t *p)
{
    ocspr_cert_state_t *st = ocspr_state(e, entry);
    ocspr_policy_state_t held;
    apr_time_t next_attempt;
    int replace, was_revoked;
    apr_status_t rv;

    ocspr_state_lock(e);
    policy_state(&held, st, now);
    was_revoked = st->cert_status == OCSPR_CERT_STATUS_REVOKED;
    ocspr_state_unlock(e);

    replace = ocspr_policy_should_replace(&held, res->info.this_update, res->info.next_update,
                                          now);
    if (replace) {
        ocspr_cache_put(e, entry, &res->info, now, res->der, res->der_len, p);
        if (source == OCSPR_SOURCE_NETWORK && e->store_dir) {
            rv = store_save(e, entry, res->der, res->der_len, p);
            if (rv != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_WARNING, rv, e->s, OCSPR_T_STORE_WRITE ": could "
                             "not save the OCSP response for %s in %s; it will not survive a "
                             "restart", ocspr_cert_subject(entry->cert, p), e->store_dir);
            }
        }
    }

    ocspr_state_lock(e);
    if (replace) {
        st->cert_status = res->info.cert_status;
        st->this_update = res->info.this_update;
        st->next_update = res->info.next_update;
        st->produced_at = res->info.produced_at;
        st->revoked_at = res->info.revoked_at;
        st->revocation_reason = res->info.revocation_reason;
        st->obtained = now;
        st->source = source;
    }
    if (source == OCSPR_SOURCE_NETWORK) {
        st->last_attempt = now;
        st->last_outcome = OCSPR_OUTCOME_OK;
        apr_cpystrn(st->last_reason, res->reason, sizeof(st->last_reason));
        st->last_latency = res->latency;
        st->consecutive_failures = 0;
        st->outcomes[OCSPR_OUTCOME_OK]++;
        st->refresh_requested = 0;
    }
    schedule(e, st, now);
    next_attempt = st->next_attempt;
    ocspr_state_unlock(e);

    if (replace) {
        log_obtained(e, entry, &res->info, was_revoked, source, next_attempt, p);
    }
}

/* A failed attempt. One that `cut_short` (the startup deadline ended it,
 * not the responder) says nothing about the responder: it is not counted as
 * a failure and the leader tries again at once. */
static void apply_failure(ocspr_module_t *e, const ocspr_entry_t *entry,
                          const ocspr_fetch_result_t *res, int cut_short, apr_time_t now,
                          apr_pool_t *p)
{
    ocspr_cert_state_t *st = ocspr_state(e, entry);
    apr_time_t next_attempt, valid_until = 0;
    int failures;

    ocspr_state_lock(e);
    st->last_attempt = now;
    st->last_outcome = res->outcome;
    apr_cpystrn(st->last_reason, res->reason, sizeof(st->last_reason));
    st->last_latency = res->latency;
    st->outcomes[res->outcome]++;
    st->refresh_requested = 0;
    if (cut_short) {
        st->next_attempt = now;
    }
    else {
        st->consecutive_failures++;
        schedule(e, st, now);
    }
    next_attempt = st->next_attempt;
    failures = st->consecutive_failures;
    if (st->cert_status != OCSPR_CERT_STATUS_NONE && st->next_update > now) {
        valid_until = st->next_update;
    }
    ocspr_state_unlock(e);

    if (cut_short) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, e->s, "OCSP fetch for %s from %s not finished "
                     "when OCSPRefreshStartupTimeout ended it; the maintenance thread "
                     "continues it", ocspr_cert_subject(entry->cert, p), entry->url);
        return;
    }
    /* Browsers refuse a Must-Staple site without a staple: that is an error
     * as soon as the staple is at risk, not a warning. */
    ap_log_error(APLOG_MARK, entry->must_staple ? APLOG_ERR : APLOG_WARNING, 0, e->s,
                 OCSPR_T_FETCH_FAILED ": OCSP fetch for %s%s (vhosts %s) from %s failed "
                 "(%s, attempt %d): %s; %s; next attempt %s",
                 ocspr_cert_subject(entry->cert, p), entry->must_staple ? " [Must-Staple]" : "",
                 ocspr_entry_vhosts(p, entry), entry->url, ocspr_outcome_name(res->outcome), failures,
                 res->reason,
                 valid_until ? apr_psprintf(p, "still stapling the response valid until %s",
                                            ocspr_time_rfc3339(p, valid_until))
                             : "nothing to staple until a fetch succeeds",
                 ocspr_time_rfc3339(p, next_attempt));
}

/* One attempt against the responder, finishing by `deadline` (0: none). */
static void refresh_entry(ocspr_module_t *e, const ocspr_entry_t *entry, apr_time_t deadline,
                          apr_pool_t *p)
{
    ocspr_http_opts_t opts = e->http_opts;
    ocspr_fetch_result_t res;
    apr_time_t now = apr_time_now();
    int shortened = 0;

    if (deadline && deadline - now < opts.total_timeout) {
        shortened = 1;
        opts.total_timeout = deadline > now ? deadline - now : 1;
        if (opts.connect_timeout > opts.total_timeout) {
            opts.connect_timeout = opts.total_timeout;
        }
    }
    if (ocspr_fetch_response(&res, p, entry->cert, entry->issuer, entry->url,
                             &ocspr_http_default_transport, &opts, NULL) == APR_SUCCESS) {
        apply_response(e, entry, &res, OCSPR_SOURCE_NETWORK, apr_time_now(), p);
    }
    else {
        apply_failure(e, entry, &res, shortened && res.outcome == OCSPR_OUTCOME_TIMEOUT,
                      apr_time_now(), p);
    }
}

/* --- the store ---------------------------------------------------------- */

/* Create the store and hand it to the server's user, who writes it from
 * the children. An existing directory is never chowned (the admin may have
 * pointed the directive at something shared): it must already be usable by
 * that user. Failing all that, run from memory. */
static void setup_store(ocspr_module_t *e, apr_pool_t *ptemp)
{
    const char *dir = ocspr_conf_store_dir(e->s, e->pool);
    const char *problem = NULL;
    apr_finfo_t finfo;
    apr_status_t rv;

    e->store_dir = NULL;
    if (!dir) {
        return;
    }
    rv = apr_stat(&finfo, dir, APR_FINFO_TYPE | APR_FINFO_OWNER, ptemp);
    if (APR_STATUS_IS_ENOENT(rv)) {
        rv = apr_dir_make_recursive(dir, APR_FPROT_UREAD | APR_FPROT_UWRITE
                                         | APR_FPROT_UEXECUTE, ptemp);
        if (rv == APR_SUCCESS && geteuid() == 0
            && chown(dir, ap_unixd_config.user_id, ap_unixd_config.group_id) != 0) {
            rv = APR_FROM_OS_ERROR(errno);
        }
        problem = rv == APR_SUCCESS ? NULL : "cannot be created and handed to the server's user";
    }
    else if (rv != APR_SUCCESS || finfo.filetype != APR_DIR) {
        problem = "is not a directory";
    }
    else if (geteuid() == 0 ? finfo.user != ap_unixd_config.user_id
                            : access(dir, W_OK | X_OK) != 0) {
        problem = "exists but is not writable by the server's user (it is only created and "
                  "chowned when it does not exist yet)";
        rv = APR_EACCES;
    }
    if (problem) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, e->s, OCSPR_T_STORE_UNUSABLE ": store "
                     "directory %s %s; keeping responses in memory only (they are fetched "
                     "again after a restart). Fix the directory or set OCSPRefreshStore",
                     dir, problem);
        return;
    }
    e->store_dir = dir;
}

typedef struct {
    ocspr_module_t *e;
    apr_pool_t *p;
    int loaded;
} store_scan_t;

static apr_status_t store_entry(void *baton, const unsigned char id[OCSPR_CERT_ID_LEN],
                                const unsigned char *der, apr_size_t len, const char *path)
{
    store_scan_t *scan = baton;
    ocspr_entry_t *entry = ocspr_module_entry(scan->e, (const char *)id, OCSPR_CERT_ID_LEN);
    ocspr_fetch_result_t res;

    if (!entry || !entry->url) {
        /* A certificate no longer configured (renewed, vhost removed). */
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, scan->e->s, "store file %s belongs to no "
                     "certificate stapled now; ignored", path);
        return APR_SUCCESS;
    }
    memset(&res, 0, sizeof(res));
    if (ocspr_response_validate(&res.info, scan->p, der, len, entry->cert, entry->issuer,
                                NULL) != APR_SUCCESS) {
        /* Expiry during downtime is normal; anything else means the file is
         * damaged or not ours. */
        ap_log_error(APLOG_MARK, res.info.reject == OCSPR_REJECT_EXPIRED ? APLOG_INFO
                                                                         : APLOG_WARNING,
                     0, scan->e->s, OCSPR_T_STORE_SKIPPED ": store file %s for %s ignored "
                     "(%s): %s", path, ocspr_cert_subject(entry->cert, scan->p),
                     ocspr_reject_name(res.info.reject), res.info.reason);
        return APR_SUCCESS;
    }
    res.outcome = OCSPR_OUTCOME_OK;
    res.reason = "loaded from the store";
    res.der = der;
    res.der_len = len;
    apply_response(scan->e, entry, &res, OCSPR_SOURCE_STORE, apr_time_now(), scan->p);
    scan->loaded++;
    return APR_SUCCESS;
}

static void store_skip(void *baton, const char *path, apr_status_t rv, const char *reason)
{
    store_scan_t *scan = baton;

    ap_log_error(APLOG_MARK, APLOG_WARNING, rv, scan->e->s, OCSPR_T_STORE_SKIPPED ": store "
                 "file %s ignored: %s", path, reason);
}

void ocspr_module_load_store(ocspr_module_t *e, apr_pool_t *ptemp)
{
    store_scan_t scan = { e, ptemp, 0 };
    apr_status_t rv;

    setup_store(e, ptemp);
    if (!e->store_dir) {
        return;
    }
    rv = ocspr_store_scan(e->store_dir, OCSPR_RESPONSE_MAX_SIZE, ptemp, store_entry, store_skip, &scan);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, e->s, OCSPR_T_STORE_UNUSABLE ": cannot "
                     "read store directory %s; keeping responses in memory only", e->store_dir);
        e->store_dir = NULL;
    }
}

apr_status_t ocspr_private_pool_create(apr_pool_t **pp)
{
    apr_allocator_t *allocator;
    apr_status_t rv = apr_allocator_create(&allocator);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = apr_pool_create_unmanaged_ex(pp, NULL, allocator);
    if (rv != APR_SUCCESS) {
        apr_allocator_destroy(allocator);
        return rv;
    }
    apr_allocator_owner_set(allocator, *pp);
    return APR_SUCCESS;
}

apr_status_t ocspr_thread_create(apr_thread_t **pthread, apr_thread_start_t func, void *data,
                                 apr_pool_t *p)
{
    sigset_t all, old;
    apr_status_t rv;

    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    rv = apr_thread_create(pthread, NULL, func, data, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rv;
}

/* --- startup prefetch ---------------------------------------------------- */

typedef struct {
    ocspr_module_t *e;
    apr_array_header_t *todo;           /* ocspr_entry_t* */
    volatile apr_uint32_t next;
    volatile apr_uint32_t done;
    apr_time_t deadline;                /* 0: none */
} prefetch_t;

static void *APR_THREAD_FUNC prefetch_worker(apr_thread_t *thread, void *data)
{
    prefetch_t *pf = data;
    apr_pool_t *iter;
    apr_uint32_t i;

    if (ocspr_private_pool_create(&iter) != APR_SUCCESS) {
        apr_thread_exit(thread, APR_ENOMEM);
        return NULL;
    }
    while ((i = apr_atomic_inc32(&pf->next)) < (apr_uint32_t)pf->todo->nelts) {
        if (pf->deadline && apr_time_now() >= pf->deadline) {
            break;
        }
        refresh_entry(pf->e, APR_ARRAY_IDX(pf->todo, i, ocspr_entry_t *), pf->deadline, iter);
        apr_atomic_inc32(&pf->done);
        apr_pool_clear(iter);
    }
    apr_pool_destroy(iter);
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

static int must_staple_first(const void *a, const void *b)
{
    const ocspr_entry_t *x = *(ocspr_entry_t *const *)a, *y = *(ocspr_entry_t *const *)b;

    return y->must_staple - x->must_staple;
}

void ocspr_module_prefetch(ocspr_module_t *e, apr_pool_t *ptemp)
{
    apr_interval_time_t limit = ocspr_conf_startup_timeout(e->s);
    apr_thread_t *threads[PREFETCH_MAX_THREADS];
    apr_time_t start = apr_time_now();
    prefetch_t pf;
    int i, nthreads, held = 0;
    apr_status_t rv, trv;

    memset(&pf, 0, sizeof(pf));
    pf.e = e;
    pf.todo = apr_array_make(ptemp, e->entries->nelts, sizeof(ocspr_entry_t *));
    pf.deadline = limit ? start + limit : 0;
    for (i = 0; i < e->entries->nelts; i++) {
        ocspr_entry_t *entry = APR_ARRAY_IDX(e->entries, i, ocspr_entry_t *);
        const ocspr_cert_state_t *st = ocspr_state(e, entry);

        if (!entry->url) {
            continue;
        }
        if (st->cert_status != OCSPR_CERT_STATUS_NONE && st->next_update > start) {
            held++;
            if (st->next_attempt > start) {
                continue;
            }
        }
        APR_ARRAY_PUSH(pf.todo, ocspr_entry_t *) = entry;
    }
    if (!pf.todo->nelts) {
        return;
    }
    qsort(pf.todo->elts, (size_t)pf.todo->nelts, sizeof(ocspr_entry_t *), must_staple_first);

    nthreads = pf.todo->nelts < PREFETCH_MAX_THREADS ? pf.todo->nelts : PREFETCH_MAX_THREADS;
    for (i = 0; i < nthreads; i++) {
        rv = ocspr_thread_create(&threads[i], prefetch_worker, &pf, ptemp);
        if (rv != APR_SUCCESS) {
            nthreads = i;
            break;
        }
    }
    if (nthreads == 0) {
        /* No thread could be started: fetch one after the other here. */
        for (i = 0; i < pf.todo->nelts; i++) {
            refresh_entry(e, APR_ARRAY_IDX(pf.todo, i, ocspr_entry_t *), pf.deadline, ptemp);
            pf.done++;
        }
    }
    for (i = 0; i < nthreads; i++) {
        apr_thread_join(&trv, threads[i]);
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, e->s, OCSPR_T_PREFETCH ": startup prefetch: %d "
                 "of %d certificates fetched or attempted in %" APR_TIME_T_FMT " ms (%d already "
                 "held from the store)", (int)pf.done, pf.todo->nelts,
                 apr_time_as_msec(apr_time_now() - start), held);
    if ((int)pf.done < pf.todo->nelts) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, e->s, OCSPR_T_PREFETCH_LATE ": "
                     "OCSPRefreshStartupTimeout (%" APR_TIME_T_FMT " s) passed with %d "
                     "certificates not yet attempted; the maintenance thread fetches them now",
                     apr_time_sec(limit), pf.todo->nelts - (int)pf.done);
    }
}

/* --- the leader's maintenance pass ---------------------------------------- */

/* Put the stored response back when the cache lost it (shmcb eviction, a
 * memcached restart). Returns 0 when the store cannot help. */
static int heal_from_store(ocspr_module_t *e, const ocspr_entry_t *entry, apr_pool_t *p)
{
    ocspr_response_info_t info;
    unsigned char *der;
    apr_size_t len;

    if (!e->store_dir
        || ocspr_store_load(&der, &len, e->store_dir, entry->id, OCSPR_RESPONSE_MAX_SIZE, p) != APR_SUCCESS
        || ocspr_response_validate(&info, p, der, len, entry->cert, entry->issuer,
                                   NULL) != APR_SUCCESS) {
        return 0;
    }
    return ocspr_cache_put(e, entry, &info, apr_time_now(), der, len, p) == APR_SUCCESS;
}

typedef enum { PASS_IDLE, PASS_FETCH, PASS_HEAL, PASS_EXPIRED } pass_action_t;

static pass_action_t pass_action(ocspr_module_t *e, const ocspr_entry_t *entry, apr_time_t now,
                                 apr_pool_t *p)
{
    ocspr_cert_state_t *st = ocspr_state(e, entry);
    pass_action_t action = PASS_IDLE;

    ocspr_state_lock(e);
    if (st->cert_status != OCSPR_CERT_STATUS_NONE && st->next_update <= now) {
        /* Never staple past nextUpdate: the record's cache expiry already
         * makes it unservable; forget it so every page says so. */
        st->cert_status = OCSPR_CERT_STATUS_NONE;
        /* The retries near nextUpdate come quickly (a quarter of the time
         * left) and would leave a long backoff behind: start it over, so a
         * responder that returns soon after is found within minutes. */
        st->consecutive_failures = 0;
        action = PASS_EXPIRED;
    }
    else if (st->refresh_requested || st->next_attempt <= now) {
        action = PASS_FETCH;
    }
    else if (st->cert_status != OCSPR_CERT_STATUS_NONE) {
        action = PASS_HEAL;
    }
    ocspr_state_unlock(e);
    if (action == PASS_HEAL && ocspr_cache_has(e, entry, p)) {
        action = PASS_IDLE;
    }
    return action;
}

apr_time_t ocspr_module_refresh_due(ocspr_module_t *e, apr_pool_t *p)
{
    apr_time_t earliest = 0, next;
    apr_pool_t *iter;
    int i;

    apr_pool_create(&iter, p);
    for (i = 0; i < e->entries->nelts; i++) {
        const ocspr_entry_t *entry = APR_ARRAY_IDX(e->entries, i, ocspr_entry_t *);
        apr_time_t now = apr_time_now();

        if (!entry->url) {
            continue;
        }
        switch (pass_action(e, entry, now, iter)) {
        case PASS_EXPIRED:
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, e->s, OCSPR_T_EXPIRED ": the OCSP response "
                         "for %s (vhosts %s) expired before a refresh succeeded; nothing is "
                         "stapled for it until the responder %s answers (last error: %s)",
                         ocspr_cert_subject(entry->cert, iter), ocspr_entry_vhosts(iter, entry),
                         entry->url, ocspr_state(e, entry)->last_reason);
            refresh_entry(e, entry, 0, iter);
            break;
        case PASS_FETCH:
            refresh_entry(e, entry, 0, iter);
            break;
        case PASS_HEAL:
            if (!heal_from_store(e, entry, iter)) {
                refresh_entry(e, entry, 0, iter);
            }
            break;
        case PASS_IDLE:
            break;
        }
        ocspr_state_lock(e);
        next = ocspr_state(e, entry)->next_attempt;
        ocspr_state_unlock(e);
        if (!earliest || next < earliest) {
            earliest = next;
        }
        apr_pool_clear(iter);
    }
    apr_pool_destroy(iter);
    return earliest;
}
