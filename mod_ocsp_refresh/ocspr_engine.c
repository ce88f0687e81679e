/* The refresh engine (contract in ocspr_engine.h): per-certificate state and
 * decisions, the serving cache, the store, and the engine's life. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "ocspr_engine_private.h"
#include "ocspr_store.h"
#include "ocspr_tags.h"

static const char *const source_names[] = { "none", "store", "network", "fleet" };

const char *ocspr_source_name(ocspr_source_t source)
{
    if ((int)source < 0 || (int)source >= (int)(sizeof(source_names) / sizeof(*source_names))) {
        return "unknown";
    }
    return source_names[source];
}

void ocspr_cert_state_init(ocspr_cert_state_t *st)
{
    memset(st, 0, sizeof(*st));
    st->revocation_reason = -1;
}

/* --- the clocks, the lock ------------------------------------------------ */

static apr_time_t real_wall_now(void *baton)
{
    return apr_time_now();
}

static apr_time_t real_mono_now(void *baton)
{
    return ocspr_monotonic_now();
}

apr_time_t ocspr_eng_wall_now(ocspr_engine_t *e)
{
    return e->ops.wall_now(e->ops.baton);
}

apr_time_t ocspr_eng_mono_now(ocspr_engine_t *e)
{
    return e->ops.mono_now(e->ops.baton);
}

/* Returns non-zero when the state may be touched. */
int ocspr_eng_state_lock(ocspr_engine_t *e, apr_pool_t *p)
{
    apr_status_t rv = e->ops.lock(e->ops.baton);

    if (rv != APR_SUCCESS) {
        ocspr_log(OCSPR_LOG_ERR, rv, OCSPR_T_LOCK, p, "cannot take the OCSP state lock; this "
                  "certificate's state is left as it was until the next pass");
        return 0;
    }
    return 1;
}

void ocspr_eng_state_unlock(ocspr_engine_t *e, apr_pool_t *p)
{
    apr_status_t rv = e->ops.unlock(e->ops.baton);

    if (rv != APR_SUCCESS) {
        ocspr_log(OCSPR_LOG_ERR, rv, OCSPR_T_LOCK, p, "cannot release the OCSP state lock");
    }
}

/* --- decisions ------------------------------------------------------------ */

int ocspr_eng_holds(const ocspr_cert_state_t *st)
{
    return st->cert_status != OCSPR_CERT_STATUS_NONE;
}

ocspr_engine_action_t ocspr_engine_decide(const ocspr_cert_state_t *st, apr_time_t now,
                                          apr_time_t mono)
{
    if (ocspr_eng_holds(st) && st->next_update <= now) {
        return OCSPR_ACTION_EXPIRED;
    }
    if (st->refresh_requested || st->next_attempt_mono <= mono) {
        return OCSPR_ACTION_FETCH;
    }
    return OCSPR_ACTION_IDLE;
}

/* The policy's view of the held response: only one still servable counts. */
static void policy_state(ocspr_policy_state_t *pst, const ocspr_cert_state_t *st, apr_time_t now)
{
    memset(pst, 0, sizeof(*pst));
    if (ocspr_eng_holds(st) && st->next_update > now) {
        pst->this_update = st->this_update;
        pst->next_update = st->next_update;
    }
    pst->consecutive_failures = st->consecutive_failures;
    pst->fetched = st->source == OCSPR_SOURCE_NETWORK ? st->obtained : 0;
}

/* The policy answers in wall-clock time (it reasons about thisUpdate and
 * nextUpdate); the schedule keeps the same delay on the monotonic clock. */
void ocspr_eng_schedule(ocspr_engine_t *e, ocspr_cert_state_t *st, apr_time_t now,
                        apr_time_t mono)
{
    ocspr_policy_state_t pst;
    apr_time_t next;

    policy_state(&pst, st, now);
    next = ocspr_policy_next_attempt(&e->cfg.policy, &pst, now, e->ops.random, e->ops.baton);
    st->next_attempt = next;
    st->next_attempt_mono = mono + (next > now ? next - now : 0);
}

void ocspr_eng_due_now(ocspr_cert_state_t *st, apr_time_t now, apr_time_t mono)
{
    st->next_attempt = now;
    st->next_attempt_mono = mono;
}

/* --- the serving cache ---------------------------------------------------- */

unsigned char *ocspr_eng_encode_record(apr_size_t *plen, const ocspr_engine_cert_t *c,
                                    const ocspr_response_info_t *info, apr_time_t obtained,
                                    const unsigned char *der, apr_size_t len, apr_pool_t *p)
{
    ocspr_record_t rec;
    unsigned char *buf;
    apr_size_t buflen;

    memset(&rec, 0, sizeof(rec));
    memcpy(rec.id, c->id, OCSPR_CERT_ID_LEN);
    rec.cert_status = info->cert_status;
    rec.fetched = obtained;
    rec.this_update = info->this_update;
    rec.next_update = info->next_update;
    rec.der = der;
    rec.der_len = len;
    buflen = ocspr_record_encoded_len(&rec);
    if (!buflen) {
        return NULL;
    }
    buf = apr_palloc(p, buflen);
    if (ocspr_record_encode(buf, buflen, plen, &rec) != APR_SUCCESS) {
        return NULL;
    }
    return buf;
}

/* Would a handshake get the response with this thisUpdate now? The same
 * lookup and checks as the handshake path. */
int ocspr_eng_is_served(ocspr_engine_t *e, const ocspr_engine_cert_t *c, apr_time_t this_update,
                     apr_time_t now, apr_pool_t *p)
{
    apr_size_t len = OCSPR_RECORD_MAX_LEN;
    unsigned char *buf = apr_palloc(p, len);
    ocspr_record_t rec;

    return e->ops.cache.get(e->ops.cache.baton, c, buf, &len, p) == APR_SUCCESS
           && ocspr_record_decode(&rec, buf, len, c->id) == APR_SUCCESS
           && rec.next_update > now && rec.this_update == this_update;
}

/* Put a response into the serving cache and check that it can be read back. */
int ocspr_eng_put_served(ocspr_engine_t *e, const ocspr_engine_cert_t *c,
                      const ocspr_response_info_t *info, apr_time_t obtained,
                      const unsigned char *der, apr_size_t len, apr_pool_t *p)
{
    apr_size_t reclen = 0;
    unsigned char *rec = ocspr_eng_encode_record(&reclen, c, info, obtained, der, len, p);
    apr_status_t rv;

    if (!rec) {
        ocspr_log(OCSPR_LOG_ERR, 0, OCSPR_T_CACHE_WRITE, p, "cannot encode the OCSP response "
                  "for %s as a cache record", c->label);
        return 0;
    }
    rv = e->ops.cache.put(e->ops.cache.baton, c, rec, reclen, info->next_update, p);
    if (rv != APR_SUCCESS) {
        ocspr_log(OCSPR_LOG_WARNING, rv, OCSPR_T_CACHE_WRITE, p, "could not put the OCSP "
                  "response for %s into the serving cache %s; it is not stapled until this "
                  "works", c->label, e->ops.cache.desc ? e->ops.cache.desc : "");
        return 0;
    }
    return ocspr_eng_is_served(e, c, info->this_update, obtained, p);
}

/* --- taking a response ---------------------------------------------------- */

static void log_taken(ocspr_engine_t *e, const ocspr_engine_cert_t *c,
                      const ocspr_response_info_t *info, ocspr_source_t source, int alert,
                      apr_time_t next_attempt, apr_pool_t *p)
{
    if (alert) {
        ocspr_log(OCSPR_LOG_ALERT, 0, OCSPR_T_REVOKED, p, "certificate %s (serial %s) is "
                  "REVOKED since %s, reason %s: clients that check the staple will refuse it; "
                  "replace the certificate", c->label, ocspr_cert_serial(c->cert, p),
                  ocspr_time_rfc3339(p, info->revoked_at),
                  ocspr_revocation_reason_name(info->revocation_reason));
        return;
    }
    ocspr_log(OCSPR_LOG_INFO, 0, OCSPR_T_FETCHED, p, "%s OCSP response for %s from %s, valid "
              "until %s, next refresh %s", ocspr_cert_status_name(info->cert_status), c->label,
              source == OCSPR_SOURCE_NETWORK ? c->url
              : source == OCSPR_SOURCE_STORE ? "the store" : "the fleet exchange",
              ocspr_time_rfc3339(p, info->next_update), ocspr_time_rfc3339(p, next_attempt));
}

/* A validated response: take it unless it is older than the held one (or
 * the state cannot be read), serve it and record it. Returns non-zero when
 * taken. A fetch's bookkeeping (outcome, backoff) is the caller's. */
int ocspr_eng_take_response(ocspr_engine_t *e, ocspr_engine_cert_t *c,
                         const ocspr_response_info_t *info, const unsigned char *der,
                         apr_size_t len, ocspr_source_t source, apr_pool_t *p)
{
    ocspr_cert_state_t *st = c->state;
    ocspr_policy_state_t held;
    apr_time_t now = ocspr_eng_wall_now(e), mono = ocspr_eng_mono_now(e), next_attempt;
    int served, alert = 0;

    if (!ocspr_eng_state_lock(e, p)) {
        return 0;
    }
    policy_state(&held, st, now);
    ocspr_eng_state_unlock(e, p);
    if (!ocspr_policy_should_replace(&held, info->this_update, info->next_update, now)) {
        return 0;
    }
    served = ocspr_eng_put_served(e, c, info, now, der, len, p);
    if (!ocspr_eng_state_lock(e, p)) {
        return 0;
    }
    st->cert_status = info->cert_status;
    st->this_update = info->this_update;
    st->next_update = info->next_update;
    st->produced_at = info->produced_at;
    st->revoked_at = info->revoked_at;
    st->revocation_reason = info->revocation_reason;
    st->obtained = now;
    st->response_len = (apr_uint32_t)len;
    st->source = source;
    st->served = served;
    if (info->cert_status == OCSPR_CERT_STATUS_REVOKED) {
        alert = !st->revoked_logged;
        st->revoked_logged = 1;
    }
    else {
        st->revoked_logged = 0;
    }
    /* A new valid response, from wherever: its own refresh point rules
     * the schedule, not the backoff of earlier failures. */
    st->consecutive_failures = 0;
    ocspr_eng_schedule(e, st, now, mono);
    next_attempt = st->next_attempt;
    ocspr_eng_state_unlock(e, p);
    log_taken(e, c, info, source, alert, next_attempt, p);
    if (source != OCSPR_SOURCE_STORE && e->ops.store.save) {
        /* What the fleet gave is as good as a fetch after a restart too. */
        apr_status_t rv = e->ops.store.save(e->ops.store.baton, c, der, len, p);

        if (rv != APR_SUCCESS) {
            ocspr_log(OCSPR_LOG_WARNING, rv, OCSPR_T_STORE_WRITE, p, "could not save the OCSP "
                      "response for %s in the store; it will not survive a restart", c->label);
        }
    }
    return 1;
}

void ocspr_eng_validate_opts(ocspr_validate_opts_t *vo, ocspr_engine_t *e)
{
    *vo = e->cfg.validate;
    vo->now = ocspr_eng_wall_now(e);
}

/* --- the store ------------------------------------------------------------- */

int ocspr_engine_load_store(ocspr_engine_t *e, apr_pool_t *p)
{
    apr_pool_t *iter;
    int i, loaded = 0;

    if (!e->ops.store.load) {
        return 0;
    }
    apr_pool_create(&iter, p);
    for (i = 0; i < e->ncerts && !ocspr_engine_stopping(e); i++) {
        ocspr_engine_cert_t *c = e->certs[i];
        ocspr_response_info_t info;
        ocspr_validate_opts_t vo;
        unsigned char *der;
        apr_size_t len;
        apr_status_t rv = e->ops.store.load(e->ops.store.baton, c, &der, &len, iter);

        const char *path = e->ops.store.path ? e->ops.store.path(e->ops.store.baton, c, iter)
                                             : c->id_hex;

        if (rv != APR_SUCCESS) {
            if (rv == OCSPR_EINVALID) {
                ocspr_log(OCSPR_LOG_WARNING, 0, OCSPR_T_STORE_SKIPPED, iter, "store file %s "
                          "for %s ignored: not a plain file (a symbolic link is never "
                          "followed), empty, or over %" APR_SIZE_T_FMT " bytes", path, c->label,
                          OCSPR_RESPONSE_MAX_SIZE);
            }
            else if (!APR_STATUS_IS_ENOENT(rv)) {
                ocspr_log(OCSPR_LOG_WARNING, rv, OCSPR_T_STORE_SKIPPED, iter, "store file %s "
                          "for %s ignored: cannot be read", path, c->label);
            }
        }
        else {
            ocspr_eng_validate_opts(&vo, e);
            if (ocspr_response_validate(&info, iter, der, len, c->cert, c->issuer, &vo)
                != APR_SUCCESS) {
                /* Expiry during downtime is normal; anything else means
                 * the file is damaged or not ours. */
                ocspr_log(info.reject == OCSPR_REJECT_EXPIRED ? OCSPR_LOG_INFO
                                                              : OCSPR_LOG_WARNING,
                          0, OCSPR_T_STORE_SKIPPED, iter, "store file %s for %s ignored (%s): "
                          "%s", path, c->label, ocspr_reject_name(info.reject),
                          info.reason ? info.reason : "");
            }
            else {
                loaded += ocspr_eng_take_response(e, c, &info, der, len, OCSPR_SOURCE_STORE, iter);
            }
        }
        apr_pool_clear(iter);
    }
    apr_pool_destroy(iter);
    return loaded;
}

const char *ocspr_engine_responder(const ocspr_cert_t *cert, const char *override,
                                   const char **why, apr_pool_t *p)
{
    apr_array_header_t *urls;
    const char *url = override, *refusal = NULL;

    if (!url) {
        urls = ocspr_cert_ocsp_urls(cert, p);
        url = urls->nelts ? APR_ARRAY_IDX(urls, 0, const char *) : NULL;
        refusal = url ? NULL : ocspr_cert_ocsp_url_refusal(cert, p);
    }
    if (refusal) {
        *why = apr_psprintf(p, "the certificate's %s; set OCSPRefreshResponder to the CA's "
                            "http:// responder if it has one", refusal);
        return NULL;
    }
    if (!url) {
        *why = "the certificate names no OCSP responder (no AIA OCSP URL) and no "
               "OCSPRefreshResponder is set";
        return NULL;
    }
    if (strncasecmp(url, "http://", 7)) {
        *why = apr_psprintf(p, "the OCSP responder URL %s is not http:// (OCSP is fetched "
                            "over plain HTTP; set OCSPRefreshResponder to an http:// URL)",
                            url);
        return NULL;
    }
    *why = NULL;
    return url;
}

/* --- life ------------------------------------------------------------------- */

/* "host:port" of a responder URL, the unit of the concurrency bound: one
 * responder however its URL spells it (case, the default port). */
static const char *responder_key(const char *url, apr_pool_t *p)
{
    const char *start = url, *end, *colon;
    char *key, *c;

    if (!strncasecmp(start, "http://", 7)) {
        start += 7;
    }
    end = start + strcspn(start, "/?#");
    key = apr_pstrmemdup(p, start, (apr_size_t)(end - start));
    for (c = key; *c; c++) {
        *c = (char)apr_tolower(*c);
    }
    colon = strrchr(key, ':');
    if (!colon || strchr(colon, ']')) {
        return apr_pstrcat(p, key, ":80", NULL);
    }
    return key;
}

static void index_responders(ocspr_engine_t *e)
{
    int i, r;

    e->responder_of = apr_pcalloc(e->pool, sizeof(int) * (apr_size_t)(e->ncerts + 1));
    e->responders = apr_pcalloc(e->pool, sizeof(char *) * (apr_size_t)(e->ncerts + 1));
    for (i = 0; i < e->ncerts; i++) {
        const char *key = responder_key(e->certs[i]->url ? e->certs[i]->url : "", e->pool);

        for (r = 0; r < e->nresponders && strcmp(e->responders[r], key); r++) {
        }
        if (r == e->nresponders) {
            e->responders[e->nresponders++] = key;
        }
        e->responder_of[i] = r;
    }
}

static apr_status_t close_pipes(void *data)
{
    ocspr_engine_t *e = data;

    close(e->stop_pipe[0]);
    close(e->stop_pipe[1]);
    close(e->wake_pipe[0]);
    close(e->wake_pipe[1]);
    return APR_SUCCESS;
}

apr_status_t ocspr_engine_create(ocspr_engine_t **pe, apr_pool_t *p,
                                 const ocspr_engine_config_t *cfg,
                                 const ocspr_engine_ops_t *ops,
                                 ocspr_engine_cert_t *const *certs, int ncerts)
{
    ocspr_engine_t *e = apr_pcalloc(p, sizeof(*e));

    e->pool = p;
    e->cfg = *cfg;
    e->ops = *ops;
    if (!e->ops.transport.fetch) {
        e->ops.transport = ocspr_http_default_transport;
    }
    e->ops.wall_now = e->ops.wall_now ? e->ops.wall_now : real_wall_now;
    e->ops.mono_now = e->ops.mono_now ? e->ops.mono_now : real_mono_now;
    e->ops.random = e->ops.random ? e->ops.random : ocspr_random_default;
    e->shared = cfg->shared ? cfg->shared : apr_pcalloc(p, sizeof(*e->shared));
    e->certs = certs;
    e->ncerts = ncerts;
    index_responders(e);
    if (pipe2(e->stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    if (pipe2(e->wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        apr_status_t rv = APR_FROM_OS_ERROR(errno);

        close(e->stop_pipe[0]);
        close(e->stop_pipe[1]);
        return rv;
    }
    apr_pool_cleanup_register(p, e, close_pipes, apr_pool_cleanup_null);
    *pe = e;
    return APR_SUCCESS;
}

void ocspr_engine_stop(ocspr_engine_t *e)
{
    static const char byte = 's';

    if (apr_atomic_cas32(&e->stopping, 1, 0) == 0) {
        /* Never drained: every poll on it sees the stop from now on. */
        if (write(e->stop_pipe[1], &byte, 1) < 0) {
            /* A full pipe is already readable. */
        }
    }
}

int ocspr_engine_stopping(ocspr_engine_t *e)
{
    return apr_atomic_read32(&e->stopping) != 0;
}

void ocspr_engine_wake(ocspr_engine_t *e)
{
    static const char byte = 'w';

    if (write(e->wake_pipe[1], &byte, 1) < 0) {
        /* A full pipe is already readable. */
    }
}

int ocspr_engine_wait(ocspr_engine_t *e, apr_interval_time_t timeout)
{
    struct pollfd fds[2];
    char drain[64];
    /* Real time, whatever clock the operations give: this is a sleep. */
    apr_time_t until = ocspr_monotonic_now() + timeout;
    apr_interval_time_t left;

    fds[0].fd = e->stop_pipe[0];
    fds[0].events = POLLIN;
    fds[1].fd = e->wake_pipe[0];
    fds[1].events = POLLIN;
    while (!ocspr_engine_stopping(e) && (left = until - ocspr_monotonic_now()) > 0) {
        int ms = (int)((left + 999) / 1000);

        if (poll(fds, 2, ms) > 0 && (fds[1].revents & POLLIN)) {
            while (read(e->wake_pipe[0], drain, sizeof(drain)) > 0) {
            }
            break;
        }
    }
    return ocspr_engine_stopping(e);
}

apr_interval_time_t ocspr_engine_sleep_time(ocspr_engine_t *e, const ocspr_pass_result_t *res)
{
    return ocspr_policy_sleep(&e->cfg.policy, res->next_due_mono, ocspr_eng_mono_now(e));
}

void ocspr_engine_request_refresh(ocspr_engine_t *e, ocspr_engine_cert_t *c)
{
    apr_pool_t *p;

    apr_pool_create(&p, NULL);
    if (ocspr_eng_state_lock(e, p)) {
        c->state->refresh_requested = 1;
        ocspr_eng_state_unlock(e, p);
    }
    apr_pool_destroy(p);
    /* The leader may be another process: it polls the counter. */
    apr_atomic_inc32(&e->shared->wakeups);
    ocspr_engine_wake(e);
}

void ocspr_engine_snapshot(ocspr_engine_t *e, ocspr_cert_state_t *states,
                           ocspr_engine_shared_t *shared, apr_pool_t *p)
{
    int i;

    if (!ocspr_eng_state_lock(e, p)) {
        memset(states, 0, sizeof(*states) * (apr_size_t)e->ncerts);
        memset(shared, 0, sizeof(*shared));
        return;
    }
    for (i = 0; i < e->ncerts; i++) {
        states[i] = *e->certs[i]->state;
    }
    *shared = *e->shared;
    ocspr_eng_state_unlock(e, p);
}

/* --- the store in files ---------------------------------------------------- */

static apr_status_t dir_load(void *baton, const ocspr_engine_cert_t *c, unsigned char **der,
                             apr_size_t *len, apr_pool_t *p)
{
    return ocspr_store_load(der, len, baton, c->id, OCSPR_RESPONSE_MAX_SIZE, p);
}

static apr_status_t dir_save(void *baton, const ocspr_engine_cert_t *c,
                             const unsigned char *der, apr_size_t len, apr_pool_t *p)
{
    return ocspr_store_save(baton, c->id, der, len, p, NULL, NULL);
}

static const char *dir_path(void *baton, const ocspr_engine_cert_t *c, apr_pool_t *p)
{
    return ocspr_store_path(p, baton, c->id);
}

void ocspr_engine_store_dir(ocspr_engine_store_t *store, const char *dir)
{
    store->baton = (void *)dir;
    store->load = dir_load;
    store->save = dir_save;
    store->path = dir_path;
}
