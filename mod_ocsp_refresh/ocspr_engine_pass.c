/* The refresh engine's passes: what is due, fetched by worker threads under
 * a bound overall and per responder, each certificate's attempt recorded,
 * and the serving cache checked afterwards. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include "ocspr_engine_private.h"
#include "ocspr_tags.h"

/* --- one certificate's attempt -------------------------------------------- */

typedef enum { DONE_KEPT, DONE_ADOPTED, DONE_FETCHED, DONE_FAILED, DONE_CUT_OFF } done_t;

static void record_failure(ocspr_engine_t *e, ocspr_engine_cert_t *c,
                           const ocspr_fetch_result_t *res, apr_time_t started, int cut_off,
                           apr_pool_t *p)
{
    ocspr_cert_state_t *st = c->state;
    apr_time_t now = ocspr_eng_wall_now(e), mono = ocspr_eng_mono_now(e);
    apr_time_t valid_until = 0, next_attempt;
    int failures;

    if (!ocspr_eng_state_lock(e, p)) {
        return;
    }
    st->last_attempt = started;
    st->last_outcome = res->outcome;
    apr_cpystrn(st->last_reason, res->reason, sizeof(st->last_reason));
    st->last_latency = res->latency;
    st->outcomes[res->outcome]++;
    if (cut_off) {
        /* The deadline or a stop ended it, not the responder: say nothing
         * about the responder, and let the next leader try at once. */
        ocspr_eng_due_now(st, now, mono);
    }
    else {
        st->consecutive_failures++;
        ocspr_eng_schedule(e, st, now, mono);
    }
    next_attempt = st->next_attempt;
    failures = st->consecutive_failures;
    if (ocspr_eng_holds(st) && st->next_update > now) {
        valid_until = st->next_update;
    }
    ocspr_eng_state_unlock(e, p);

    if (cut_off) {
        ocspr_log(OCSPR_LOG_INFO, 0, NULL, p, "OCSP fetch for %s from %s cut off (%s); it is "
                  "due again at once", c->label, c->url, res->reason);
        return;
    }
    /* Browsers refuse a Must-Staple site without a staple: loud, per
     * certificate. Everything else is summarised per responder and pass. */
    ocspr_log(c->must_staple ? OCSPR_LOG_ERR : OCSPR_LOG_INFO, 0, OCSPR_T_FETCH_FAILED, p,
              "OCSP fetch for %s%s from %s failed (%s, attempt %d): %s; %s; next attempt %s",
              c->label, c->must_staple ? " [Must-Staple]" : "", c->url,
              ocspr_outcome_name(res->outcome), failures, res->reason,
              valid_until ? apr_psprintf(p, "still stapling the response valid until %s",
                                         ocspr_time_rfc3339(p, valid_until))
                          : "nothing to staple until a fetch succeeds",
              ocspr_time_rfc3339(p, next_attempt));
}

static void record_success(ocspr_engine_t *e, ocspr_engine_cert_t *c,
                           const ocspr_fetch_result_t *res, apr_time_t started, apr_pool_t *p)
{
    ocspr_cert_state_t *st = c->state;

    if (!ocspr_eng_take_response(e, c, &res->info, res->der, res->der_len, OCSPR_SOURCE_NETWORK, p)
        && ocspr_eng_state_lock(e, p)) {
        /* Valid but older than what we hold (a lagging responder node):
         * keep ours; the responder is fine, so no backoff. */
        st->consecutive_failures = 0;
        ocspr_eng_schedule(e, st, ocspr_eng_wall_now(e), ocspr_eng_mono_now(e));
        ocspr_eng_state_unlock(e, p);
    }
    ocspr_eng_fleet_publish(e, c, &res->info, res->der, res->der_len, p);
    if (ocspr_eng_state_lock(e, p)) {
        st->last_attempt = started;
        st->last_outcome = OCSPR_OUTCOME_OK;
        apr_cpystrn(st->last_reason, res->reason, sizeof(st->last_reason));
        st->last_latency = res->latency;
        st->outcomes[OCSPR_OUTCOME_OK]++;
        ocspr_eng_state_unlock(e, p);
    }
}

/* Fetch c, finishing by deadline_mono (0: none). */
static done_t fetch_one(ocspr_engine_t *e, ocspr_engine_cert_t *c, apr_time_t deadline_mono,
                        ocspr_http_session_t *session, apr_pool_t *p)
{
    ocspr_http_opts_t opts = e->cfg.http;
    ocspr_validate_opts_t vo;
    ocspr_fetch_result_t res;
    apr_time_t started = ocspr_eng_wall_now(e), mono = ocspr_eng_mono_now(e);
    int shortened = 0;

    opts.cancel_fd = e->stop_pipe[0];
    opts.session = session;
    if (deadline_mono && deadline_mono - mono < opts.total_timeout) {
        shortened = 1;
        opts.total_timeout = deadline_mono > mono ? deadline_mono - mono : 1;
        if (opts.connect_timeout > opts.total_timeout) {
            opts.connect_timeout = opts.total_timeout;
        }
    }
    ocspr_eng_validate_opts(&vo, e);
    if (ocspr_fetch_response(&res, p, c->cert, c->issuer, c->url, &e->ops.transport, &opts,
                             &vo) == APR_SUCCESS) {
        record_success(e, c, &res, started, p);
        return DONE_FETCHED;
    }
    if (res.outcome == OCSPR_OUTCOME_CANCELLED
        || (shortened && res.outcome == OCSPR_OUTCOME_TIMEOUT)) {
        record_failure(e, c, &res, started, 1, p);
        return DONE_CUT_OFF;
    }
    record_failure(e, c, &res, started, 0, p);
    return DONE_FAILED;
}

/* What a pass does with one due certificate. */
static done_t handle_due(ocspr_engine_t *e, ocspr_engine_cert_t *c, apr_time_t deadline_mono,
                         ocspr_http_session_t *session, apr_pool_t *p)
{
    /* Cleared when the attempt starts: a "refresh now" that arrives during
     * the fetch stays set and is served by the next pass. */
    if (ocspr_eng_state_lock(e, p)) {
        c->state->refresh_requested = 0;
        ocspr_eng_state_unlock(e, p);
    }
    if (ocspr_eng_fleet_adopt(e, c, p)) {
        return DONE_ADOPTED;
    }
    return fetch_one(e, c, deadline_mono, session, p);
}

/* --- a pass: workers under per-responder bounds ---------------------------- */

typedef struct {
    int attempts;
    int failures;
    apr_uint32_t by_outcome[OCSPR_OUTCOME_COUNT];
} responder_tally_t;

typedef struct {
    ocspr_engine_cert_t *cert;
    int responder;                      /* index into e->responders */
} due_t;

typedef struct {
    ocspr_engine_t *e;
    apr_time_t deadline_mono;
    due_t *todo;                        /* due certificates, Must-Staple first */
    int ntodo;
    int next_untaken;                   /* everything before it is taken */
    char *taken;
    int *inflight;                      /* per responder */
    int per_responder;
    responder_tally_t *tally;           /* per responder */
    ocspr_pass_result_t *res;
    apr_thread_mutex_t *mutex;
    apr_thread_cond_t *cond;
} pass_t;

static int pass_over(pass_t *ps)
{
    return ocspr_engine_stopping(ps->e)
           || (ps->deadline_mono && ocspr_eng_mono_now(ps->e) >= ps->deadline_mono);
}

/* The next certificate whose responder has room, or -1 when none is left;
 * -2 when the rest wait for a responder. Under ps->mutex. */
static int pick(pass_t *ps)
{
    int i, left = 0;

    while (ps->next_untaken < ps->ntodo && ps->taken[ps->next_untaken]) {
        ps->next_untaken++;
    }
    for (i = ps->next_untaken; i < ps->ntodo; i++) {
        if (ps->taken[i]) {
            continue;
        }
        left = 1;
        if (ps->inflight[ps->todo[i].responder] < ps->per_responder) {
            return i;
        }
    }
    return left ? -2 : -1;
}

static void count_done(pass_t *ps, int r, done_t done, ocspr_outcome_t outcome)
{
    switch (done) {
    case DONE_ADOPTED: ps->res->adopted++; break;
    case DONE_FETCHED: ps->res->fetched++; break;
    case DONE_FAILED: ps->res->failed++; break;
    case DONE_CUT_OFF: ps->res->cut_off++; break;
    case DONE_KEPT: break;
    }
    if (done == DONE_FETCHED || done == DONE_FAILED) {
        ps->tally[r].attempts++;
        if (done == DONE_FAILED) {
            ps->tally[r].failures++;
            ps->tally[r].by_outcome[outcome]++;
        }
    }
}

/* A pool on its own allocator: worker threads share nothing unlocked. */
static apr_status_t private_pool(apr_pool_t **pp)
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

static void *APR_THREAD_FUNC pass_worker(apr_thread_t *thread, void *data)
{
    pass_t *ps = data;
    ocspr_http_session_t *session = NULL;
    apr_pool_t *pool, *iter;
    int i, r;
    done_t done;
    ocspr_outcome_t outcome;

    if (private_pool(&pool) != APR_SUCCESS) {
        return NULL;
    }
    apr_pool_create(&iter, pool);
    ocspr_http_session_create(&session, pool);
    apr_thread_mutex_lock(ps->mutex);
    for (;;) {
        if (pass_over(ps) || (i = pick(ps)) == -1) {
            break;
        }
        if (i == -2) {
            /* Every certificate left waits for a busy responder: a fetch
             * in flight ends (done, failed, deadline or cancelled) and
             * signals. */
            apr_thread_cond_wait(ps->cond, ps->mutex);
            continue;
        }
        ps->taken[i] = 1;
        r = ps->todo[i].responder;
        ps->inflight[r]++;
        apr_thread_mutex_unlock(ps->mutex);

        done = handle_due(ps->e, ps->todo[i].cert, ps->deadline_mono, session, iter);
        outcome = (ocspr_outcome_t)ps->todo[i].cert->state->last_outcome;
        apr_pool_clear(iter);

        apr_thread_mutex_lock(ps->mutex);
        ps->inflight[r]--;
        count_done(ps, r, done, outcome);
        apr_thread_cond_broadcast(ps->cond);
    }
    apr_thread_cond_broadcast(ps->cond);
    apr_thread_mutex_unlock(ps->mutex);
    apr_pool_destroy(pool);
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

/* Threads with every signal blocked: a server's signal handlers must run on
 * its own threads (prefork exits from inside one), never on ours. */
static apr_status_t start_worker(apr_thread_t **t, pass_t *ps, apr_pool_t *p)
{
    sigset_t all, old;
    apr_status_t rv;

    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    rv = apr_thread_create(t, NULL, pass_worker, ps, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rv;
}

static void log_responder_summary(ocspr_engine_t *e, const pass_t *ps, apr_pool_t *p)
{
    int r, k;

    for (r = 0; r < e->nresponders; r++) {
        const responder_tally_t *t = &ps->tally[r];
        const char *detail = "";

        if (!t->failures) {
            continue;
        }
        for (k = 0; k < OCSPR_OUTCOME_COUNT; k++) {
            if (t->by_outcome[k]) {
                detail = apr_psprintf(p, "%s%s%s: %u", detail, *detail ? ", " : "",
                                      ocspr_outcome_name((ocspr_outcome_t)k), t->by_outcome[k]);
            }
        }
        ocspr_log(OCSPR_LOG_WARNING, 0, OCSPR_T_FETCH_FAILED, p, "responder %s: %d of %d OCSP "
                  "requests failed in this pass (%s); held responses keep being stapled until "
                  "their nextUpdate, details per certificate at LogLevel info",
                  e->responders[r], t->failures, t->attempts, detail);
    }
}

static int must_staple_first(const void *a, const void *b)
{
    const due_t *x = a, *y = b;

    return y->cert->must_staple - x->cert->must_staple;
}

/* The due certificates; an expired response is forgotten on the way. */
static void collect_due(pass_t *ps, apr_pool_t *p)
{
    ocspr_engine_t *e = ps->e;
    apr_time_t now = ocspr_eng_wall_now(e), mono = ocspr_eng_mono_now(e);
    int i, expired = 0;

    ps->todo = apr_pcalloc(p, sizeof(*ps->todo) * (apr_size_t)(e->ncerts + 1));
    for (i = 0; i < e->ncerts; i++) {
        ocspr_engine_cert_t *c = e->certs[i];
        ocspr_engine_action_t action;

        if (!ocspr_eng_state_lock(e, p)) {
            continue;
        }
        action = ocspr_engine_decide(c->state, now, mono);
        if (action == OCSPR_ACTION_EXPIRED) {
            /* Never staple past nextUpdate (the record's cache expiry
             * already stops it); forget it so every page says so, and
             * start the backoff over: the quick retries near nextUpdate
             * would leave a long one behind. */
            c->state->cert_status = OCSPR_CERT_STATUS_NONE;
            c->state->served = 0;
            c->state->consecutive_failures = 0;
            expired++;
        }
        ocspr_eng_state_unlock(e, p);
        if (action == OCSPR_ACTION_EXPIRED) {
            ocspr_log(c->must_staple ? OCSPR_LOG_ERR : OCSPR_LOG_INFO, 0, OCSPR_T_EXPIRED, p,
                      "the OCSP response for %s expired before a refresh succeeded; nothing "
                      "is stapled for it until %s answers", c->label, c->url);
        }
        if (action != OCSPR_ACTION_IDLE) {
            ps->todo[ps->ntodo].cert = c;
            ps->todo[ps->ntodo++].responder = e->responder_of[i];
        }
    }
    if (expired) {
        ocspr_log(OCSPR_LOG_ERR, 0, OCSPR_T_EXPIRED, p, "%d OCSP responses expired before a "
                  "refresh succeeded; nothing is stapled for them until their responders "
                  "answer (details at LogLevel info)", expired);
    }
    qsort(ps->todo, (size_t)ps->ntodo, sizeof(*ps->todo), must_staple_first);
}

static apr_status_t run_workers(pass_t *ps, apr_pool_t *p)
{
    ocspr_engine_t *e = ps->e;
    int n = e->cfg.max_inflight > 0 ? e->cfg.max_inflight : OCSPR_ENGINE_MAX_INFLIGHT;
    apr_thread_t **threads;
    apr_status_t rv, trv;
    int i, started = 0;

    ps->per_responder = e->cfg.max_per_responder > 0 ? e->cfg.max_per_responder
                                                     : OCSPR_ENGINE_MAX_PER_RESPONDER;
    ps->taken = apr_pcalloc(p, (apr_size_t)ps->ntodo + 1);
    ps->inflight = apr_pcalloc(p, sizeof(int) * (apr_size_t)(e->nresponders + 1));
    ps->tally = apr_pcalloc(p, sizeof(*ps->tally) * (apr_size_t)(e->nresponders + 1));
    rv = apr_thread_mutex_create(&ps->mutex, APR_THREAD_MUTEX_DEFAULT, p);
    if (rv == APR_SUCCESS) {
        rv = apr_thread_cond_create(&ps->cond, p);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    n = n < ps->ntodo ? n : ps->ntodo;
    threads = apr_pcalloc(p, sizeof(*threads) * (apr_size_t)(n + 1));
    for (i = 0; i < n; i++) {
        rv = start_worker(&threads[i], ps, p);
        if (rv != APR_SUCCESS) {
            break;
        }
        started++;
    }
    for (i = 0; i < started; i++) {
        apr_thread_join(&trv, threads[i]);
    }
    if (!started && n) {
        ocspr_log(OCSPR_LOG_ERR, rv, OCSPR_T_THREAD, p, "cannot start an OCSP fetch thread; "
                  "nothing was fetched in this pass");
    }
    return started || !n ? APR_SUCCESS : rv;
}

/* After a pass: every held response must be what a handshake gets. Put
 * back what the serving cache lost, from the store; say once when the
 * cache is too small to keep them all. */
static void check_serving(ocspr_engine_t *e, ocspr_pass_result_t *res, apr_pool_t *p)
{
    apr_pool_t *iter;
    apr_size_t needed = 0;
    int i;

    apr_pool_create(&iter, p);
    for (i = 0; i < e->ncerts; i++) {
        ocspr_engine_cert_t *c = e->certs[i];
        apr_time_t now = ocspr_eng_wall_now(e), this_update;
        int held, served, was_served;

        if (!ocspr_eng_state_lock(e, iter)) {
            continue;
        }
        held = ocspr_eng_holds(c->state) && c->state->next_update > now;
        this_update = c->state->this_update;
        was_served = c->state->served;
        needed += held ? OCSPR_RECORD_HDR_LEN + c->state->response_len + OCSPR_RECORD_KEY_LEN
                       : 0;
        ocspr_eng_state_unlock(e, iter);
        if (!held) {
            continue;
        }
        served = ocspr_eng_is_served(e, c, this_update, now, iter);
        if (!served && e->ops.store.load) {
            unsigned char *der;
            apr_size_t len;
            ocspr_response_info_t info;
            ocspr_validate_opts_t vo;

            ocspr_eng_validate_opts(&vo, e);
            if (e->ops.store.load(e->ops.store.baton, c, &der, &len, iter) == APR_SUCCESS
                && ocspr_response_validate(&info, iter, der, len, c->cert, c->issuer,
                                           &vo) == APR_SUCCESS
                && info.this_update == this_update) {
                served = ocspr_eng_put_served(e, c, &info, now, der, len, iter);
                res->healed += served;
            }
        }
        res->unservable += !served;
        if (ocspr_eng_state_lock(e, iter)) {
            c->state->served = served;
            if (!served && was_served) {
                /* Evicted, and the store cannot put it back: fetch it
                 * again, once. A response that never stayed in the cache
                 * is not refetched in a loop: the cache is too small and
                 * says so. */
                ocspr_eng_due_now(c->state, now, ocspr_eng_mono_now(e));
            }
            ocspr_eng_state_unlock(e, iter);
        }
        res->served += served;
        apr_pool_clear(iter);
    }
    apr_pool_destroy(iter);
    if (res->unservable && !e->cache_small_logged) {
        e->cache_small_logged = 1;
        ocspr_log(OCSPR_LOG_WARNING, 0, OCSPR_T_CACHE_SMALL, p, "%d of %d held OCSP responses "
                  "are missing from the serving cache %s: it is too small or shared; the held "
                  "responses need about %" APR_SIZE_T_FMT " bytes, so give it at least %"
                  APR_SIZE_T_FMT " (OCSPRefreshCache shmcb:PATH(SIZE)), or leave "
                  "OCSPRefreshCache unset to size it automatically", res->unservable,
                  res->unservable + res->served, e->ops.cache.desc ? e->ops.cache.desc : "",
                  needed, needed * 2);
    }
}

static apr_time_t earliest_due(ocspr_engine_t *e, apr_pool_t *p)
{
    apr_time_t earliest = 0, mono = ocspr_eng_mono_now(e);
    int i;

    if (!ocspr_eng_state_lock(e, p)) {
        return 0;
    }
    for (i = 0; i < e->ncerts; i++) {
        const ocspr_cert_state_t *st = e->certs[i]->state;
        apr_time_t next = st->refresh_requested || st->next_attempt_mono < mono
                              ? mono : st->next_attempt_mono;

        if (!i || next < earliest) {
            earliest = next;
        }
    }
    ocspr_eng_state_unlock(e, p);
    return earliest;
}

void ocspr_engine_pass(ocspr_engine_t *e, ocspr_pass_kind_t kind, apr_time_t deadline_mono,
                       ocspr_pass_result_t *res, apr_pool_t *p)
{
    ocspr_pass_result_t local;
    pass_t ps;

    if (!res) {
        res = &local;
    }
    memset(res, 0, sizeof(*res));
    memset(&ps, 0, sizeof(ps));
    ps.e = e;
    ps.deadline_mono = deadline_mono;
    ps.res = res;
    collect_due(&ps, p);
    res->due = ps.ntodo;
    if (ps.ntodo && !ocspr_engine_stopping(e)) {
        run_workers(&ps, p);
        log_responder_summary(e, &ps, p);
    }
    /* What no worker reached (deadline, stop) is cut off as well. */
    res->cut_off = ps.ntodo - res->fetched - res->adopted - res->failed;
    if (kind == OCSPR_PASS_MAINTENANCE && !ocspr_engine_stopping(e)) {
        /* One certificate a pass, in turn, is looked up in the fleet even
         * when nothing is due: the exchange's health stays current for the
         * status page, and a newer response or a forged record there is
         * found before the certificate's own due time. */
        if (e->ops.fleet.get && e->ncerts) {
            res->adopted += ocspr_eng_fleet_probe(e, e->certs[e->fleet_probe++ % e->ncerts], p);
        }
        check_serving(e, res, p);
    }
    res->next_due_mono = earliest_due(e, p);
}
