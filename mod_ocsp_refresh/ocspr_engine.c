/* The refresh engine (contract in ocspr_engine.h): per-certificate
 * decisions, and passes that run them with bounded concurrency. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>

#include "ocspr_engine.h"
#include "ocspr_tags.h"

struct ocspr_engine_t {
    apr_pool_t *pool;
    ocspr_engine_config_t cfg;
    ocspr_engine_ops_t ops;
    ocspr_engine_cert_t *const *certs;
    int ncerts;
    int *responder_of;                  /* cert index -> responder index */
    const char **responders;            /* "host:port" */
    int nresponders;
    int stop_pipe[2];                   /* readable once stopped: cancels fetches */
    int wake_pipe[2];                   /* readable when a wait should end */
    volatile apr_uint32_t stopping;
    int cache_small_logged;
    int fleet_probe;                    /* the next certificate looked up in the fleet */
    int fleet_offer_failures;           /* the pass's offers that failed in a row */
    int fleet_offer_skip;               /* passes left before offering again */
};

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

static apr_time_t wall_now(ocspr_engine_t *e)
{
    return e->ops.wall_now(e->ops.baton);
}

static apr_time_t mono_now(ocspr_engine_t *e)
{
    return e->ops.mono_now(e->ops.baton);
}

/* Returns non-zero when the state may be touched. */
static int state_lock(ocspr_engine_t *e, apr_pool_t *p)
{
    apr_status_t rv = e->ops.lock(e->ops.baton);

    if (rv != APR_SUCCESS) {
        ocspr_log(OCSPR_LOG_ERR, rv, OCSPR_T_LOCK, p, "cannot take the OCSP state lock; this "
                  "certificate's state is left as it was until the next pass");
        return 0;
    }
    return 1;
}

static void state_unlock(ocspr_engine_t *e, apr_pool_t *p)
{
    apr_status_t rv = e->ops.unlock(e->ops.baton);

    if (rv != APR_SUCCESS) {
        ocspr_log(OCSPR_LOG_ERR, rv, OCSPR_T_LOCK, p, "cannot release the OCSP state lock");
    }
}

/* --- decisions ------------------------------------------------------------ */

static int holds(const ocspr_cert_state_t *st)
{
    return st->cert_status != OCSPR_CERT_STATUS_NONE;
}

ocspr_engine_action_t ocspr_engine_decide(const ocspr_cert_state_t *st, apr_time_t now,
                                          apr_time_t mono)
{
    if (holds(st) && st->next_update <= now) {
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
    if (holds(st) && st->next_update > now) {
        pst->this_update = st->this_update;
        pst->next_update = st->next_update;
    }
    pst->consecutive_failures = st->consecutive_failures;
    pst->fetched = st->source == OCSPR_SOURCE_NETWORK ? st->obtained : 0;
}

/* The policy answers in wall-clock time (it reasons about thisUpdate and
 * nextUpdate); the schedule keeps the same delay on the monotonic clock. */
static void schedule(ocspr_engine_t *e, ocspr_cert_state_t *st, apr_time_t now, apr_time_t mono)
{
    ocspr_policy_state_t pst;
    apr_time_t next;

    policy_state(&pst, st, now);
    next = ocspr_policy_next_attempt(&e->cfg.policy, &pst, now, e->ops.random, e->ops.baton);
    st->next_attempt = next;
    st->next_attempt_mono = mono + (next > now ? next - now : 0);
}

static void due_now(ocspr_cert_state_t *st, apr_time_t now, apr_time_t mono)
{
    st->next_attempt = now;
    st->next_attempt_mono = mono;
}

/* --- the serving cache ---------------------------------------------------- */

static unsigned char *encode_record(apr_size_t *plen, const ocspr_engine_cert_t *c,
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
static int is_served(ocspr_engine_t *e, const ocspr_engine_cert_t *c, apr_time_t this_update,
                     apr_time_t now, apr_pool_t *p)
{
    apr_size_t len = OCSPR_RECORD_MAX_LEN;
    unsigned char *buf = apr_palloc(p, len);
    ocspr_record_t rec;

    return e->ops.cache_get(e->ops.baton, c, buf, &len, p) == APR_SUCCESS
           && ocspr_record_decode(&rec, buf, len, c->id) == APR_SUCCESS
           && rec.next_update > now && rec.this_update == this_update;
}

/* Put a response into the serving cache and check that it can be read back. */
static int put_served(ocspr_engine_t *e, const ocspr_engine_cert_t *c,
                      const ocspr_response_info_t *info, apr_time_t obtained,
                      const unsigned char *der, apr_size_t len, apr_pool_t *p)
{
    apr_size_t reclen = 0;
    unsigned char *rec = encode_record(&reclen, c, info, obtained, der, len, p);
    apr_status_t rv;

    if (!rec) {
        ocspr_log(OCSPR_LOG_ERR, 0, OCSPR_T_CACHE_WRITE, p, "cannot encode the OCSP response "
                  "for %s as a cache record", c->label);
        return 0;
    }
    rv = e->ops.cache_put(e->ops.baton, c, rec, reclen, info->next_update, p);
    if (rv != APR_SUCCESS) {
        ocspr_log(OCSPR_LOG_WARNING, rv, OCSPR_T_CACHE_WRITE, p, "could not put the OCSP "
                  "response for %s into the serving cache %s; it is not stapled until this "
                  "works", c->label, e->cfg.cache_desc ? e->cfg.cache_desc : "");
        return 0;
    }
    return is_served(e, c, info->this_update, obtained, p);
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
static int take_response(ocspr_engine_t *e, ocspr_engine_cert_t *c,
                         const ocspr_response_info_t *info, const unsigned char *der,
                         apr_size_t len, ocspr_source_t source, apr_pool_t *p)
{
    ocspr_cert_state_t *st = c->state;
    ocspr_policy_state_t held;
    apr_time_t now = wall_now(e), mono = mono_now(e), next_attempt;
    int served, alert = 0;

    if (!state_lock(e, p)) {
        return 0;
    }
    policy_state(&held, st, now);
    state_unlock(e, p);
    if (!ocspr_policy_should_replace(&held, info->this_update, info->next_update, now)) {
        return 0;
    }
    served = put_served(e, c, info, now, der, len, p);
    if (!state_lock(e, p)) {
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
    schedule(e, st, now, mono);
    next_attempt = st->next_attempt;
    state_unlock(e, p);
    log_taken(e, c, info, source, alert, next_attempt, p);
    if (source != OCSPR_SOURCE_STORE && e->ops.store_save) {
        /* What the fleet gave is as good as a fetch after a restart too. */
        apr_status_t rv = e->ops.store_save(e->ops.baton, c, der, len, p);

        if (rv != APR_SUCCESS) {
            ocspr_log(OCSPR_LOG_WARNING, rv, OCSPR_T_STORE_WRITE, p, "could not save the OCSP "
                      "response for %s in the store; it will not survive a restart", c->label);
        }
    }
    return 1;
}

/* --- the fleet exchange ---------------------------------------------------- */

static void validate_opts(ocspr_validate_opts_t *vo, ocspr_engine_t *e)
{
    *vo = e->cfg.validate;
    vo->now = wall_now(e);
}

static void fleet_result(ocspr_engine_t *e, apr_status_t rv, int is_read, apr_pool_t *p)
{
    ocspr_fleet_health_t *h = e->cfg.fleet_health;
    char err[120];

    if (!h || !state_lock(e, p)) {
        return;
    }
    if (rv == APR_SUCCESS || (is_read && APR_STATUS_IS_NOTFOUND(rv))) {
        h->last_ok = wall_now(e);
    }
    else {
        h->errors++;
        h->last_error_time = wall_now(e);
        /* apr_memcache says "not found" when no server answers at all. */
        apr_snprintf(h->last_error, sizeof(h->last_error), "%s %s: %s",
                     is_read ? "reading from" : "writing to",
                     e->cfg.fleet_desc ? e->cfg.fleet_desc : "the fleet exchange",
                     APR_STATUS_IS_NOTFOUND(rv) ? "no server of the exchange answers"
                                                : apr_strerror(rv, err, sizeof(err)));
    }
    state_unlock(e, p);
}

static apr_status_t fleet_get(ocspr_engine_t *e, const ocspr_engine_cert_t *c,
                              unsigned char *buf, apr_size_t *len, apr_pool_t *p)
{
    apr_status_t rv = e->ops.fleet_get(e->ops.baton, c, buf, len, p);

    fleet_result(e, rv, 1, p);
    return rv;
}

static apr_status_t fleet_put(ocspr_engine_t *e, const ocspr_engine_cert_t *c,
                              const unsigned char *rec, apr_size_t len, apr_time_t expiry,
                              apr_pool_t *p)
{
    apr_status_t rv = e->ops.fleet_put(e->ops.baton, c, rec, len, expiry, p);

    fleet_result(e, rv, 0, p);
    return rv;
}

/* A fleet record for c, decoded and validated like a fresh response.
 * Returns 1 valid, 0 absent or unreadable (the glue reports outages),
 * -1 refused (*why says why). */
static int fleet_read(ocspr_engine_t *e, const ocspr_engine_cert_t *c, ocspr_record_t *rec,
                      ocspr_response_info_t *info, const char **why, apr_pool_t *p)
{
    apr_size_t len = OCSPR_RECORD_MAX_LEN;
    unsigned char *buf = apr_palloc(p, len);
    ocspr_validate_opts_t vo;

    if (fleet_get(e, c, buf, &len, p) != APR_SUCCESS) {
        return 0;
    }
    if (ocspr_record_decode(rec, buf, len, c->id) != APR_SUCCESS) {
        *why = "not a record for this certificate (malformed, or another certificate's)";
        return -1;
    }
    validate_opts(&vo, e);
    if (ocspr_response_validate(info, p, rec->der, rec->der_len, c->cert, c->issuer,
                                &vo) != APR_SUCCESS) {
        *why = apr_psprintf(p, "the response in it fails validation (%s): %s",
                            ocspr_reject_name(info->reject), info->reason ? info->reason : "");
        return -1;
    }
    return 1;
}

static void fleet_refused(ocspr_engine_t *e, ocspr_engine_cert_t *c, const char *why,
                          apr_pool_t *p)
{
    ocspr_cert_state_t *st = c->state;
    apr_size_t kind;
    int repeated;

    if (!state_lock(e, p)) {
        return;
    }
    st->fleet_rejected++;
    /* The same kind of refusal (the words before the first detail, which
     * may carry times) is logged once. */
    kind = strcspn(why, ":(");
    repeated = !strncmp(st->fleet_reject_reason, why, kind);
    apr_cpystrn(st->fleet_reject_reason, why, sizeof(st->fleet_reject_reason));
    state_unlock(e, p);
    /* Once per certificate and reason: a forged record stays in the
     * exchange until it expires there, and is read at every due time. */
    ocspr_log(repeated ? OCSPR_LOG_DEBUG : OCSPR_LOG_WARNING, 0, OCSPR_T_FLEET_REJECTED, p,
              "refused the fleet's record for %s: %s; it is not stapled", c->label, why);
}

/* Adopt-before-fetch: a newer valid response in the fleet saves a fetch.
 * Returns non-zero when one was adopted. */
static int fleet_adopt(ocspr_engine_t *e, ocspr_engine_cert_t *c, apr_pool_t *p)
{
    ocspr_response_info_t info;
    ocspr_record_t rec;
    const char *why = NULL;
    apr_time_t held_this = 0;
    int found;

    if (!e->ops.fleet_get) {
        return 0;
    }
    found = fleet_read(e, c, &rec, &info, &why, p);
    if (found < 0) {
        fleet_refused(e, c, why, p);
        return 0;
    }
    if (!found || !state_lock(e, p)) {
        return 0;
    }
    if (holds(c->state) && c->state->next_update > wall_now(e)) {
        held_this = c->state->this_update;
    }
    state_unlock(e, p);
    if (held_this && info.this_update < held_this) {
        fleet_refused(e, c, apr_psprintf(p, "older than the response held here (thisUpdate "
                                         "%s before %s): a replay, or a host that lags",
                                         ocspr_time_rfc3339(p, info.this_update),
                                         ocspr_time_rfc3339(p, held_this)), p);
        return 0;
    }
    if (held_this && info.this_update == held_this) {
        return 0;
    }
    if (!take_response(e, c, &info, rec.der, rec.der_len, OCSPR_SOURCE_FLEET, p)) {
        return 0;
    }
    if (state_lock(e, p)) {
        c->state->fleet_adopted++;
        state_unlock(e, p);
    }
    return 1;
}

/* Publish-after-fetch, never over a newer valid response. Returns the
 * write's result (APR_SUCCESS when nothing needed writing). */
static apr_status_t fleet_publish(ocspr_engine_t *e, ocspr_engine_cert_t *c,
                                  const ocspr_response_info_t *info, const unsigned char *der,
                                  apr_size_t len, apr_pool_t *p)
{
    ocspr_response_info_t theirs;
    ocspr_record_t rec;
    const char *why = NULL;
    unsigned char *buf;
    apr_size_t reclen = 0;
    apr_status_t rv;

    if (!e->ops.fleet_put) {
        return APR_SUCCESS;
    }
    if (e->ops.fleet_get && fleet_read(e, c, &rec, &theirs, &why, p) > 0
        && theirs.this_update >= info->this_update) {
        return APR_SUCCESS;
    }
    buf = encode_record(&reclen, c, info, wall_now(e), der, len, p);
    if (!buf) {
        return APR_EINVAL;
    }
    rv = fleet_put(e, c, buf, reclen, info->next_update, p);
    if (rv == APR_SUCCESS && state_lock(e, p)) {
        c->state->fleet_published++;
        state_unlock(e, p);
    }
    return rv;
}

/* The pass's look at the fleet for one certificate: adopt what is newer
 * there, else offer what this host serves (a restarted, emptied exchange
 * fills again; an unreachable one shows in its health). */
static int fleet_probe(ocspr_engine_t *e, ocspr_engine_cert_t *c, apr_pool_t *p)
{
    apr_size_t len = OCSPR_RECORD_MAX_LEN;
    unsigned char *buf;
    ocspr_response_info_t info;
    ocspr_record_t rec;

    if (fleet_adopt(e, c, p)) {
        return 1;
    }
    if (e->fleet_offer_skip > 0) {
        /* The exchange refused the last offers: every refused write is an
         * error line of the socache provider, so offer less often (a fetch
         * still publishes at once). */
        e->fleet_offer_skip--;
        return 0;
    }
    buf = apr_palloc(p, len);
    if (e->ops.cache_get(e->ops.baton, c, buf, &len, p) == APR_SUCCESS
        && ocspr_record_decode(&rec, buf, len, c->id) == APR_SUCCESS
        && rec.next_update > wall_now(e)) {
        memset(&info, 0, sizeof(info));
        info.cert_status = rec.cert_status;
        info.this_update = rec.this_update;
        info.next_update = rec.next_update;
        if (fleet_publish(e, c, &info, rec.der, rec.der_len, p) == APR_SUCCESS) {
            e->fleet_offer_failures = 0;
        }
        else {
            e->fleet_offer_failures++;
            e->fleet_offer_skip = (1 << (e->fleet_offer_failures < 5 ? e->fleet_offer_failures
                                                                     : 5)) - 1;
        }
    }
    return 0;
}

/* --- one certificate's attempt -------------------------------------------- */

typedef enum { DONE_KEPT, DONE_ADOPTED, DONE_FETCHED, DONE_FAILED, DONE_CUT_OFF } done_t;

static void record_failure(ocspr_engine_t *e, ocspr_engine_cert_t *c,
                           const ocspr_fetch_result_t *res, apr_time_t started, int cut_off,
                           apr_pool_t *p)
{
    ocspr_cert_state_t *st = c->state;
    apr_time_t now = wall_now(e), mono = mono_now(e), valid_until = 0, next_attempt;
    int failures;

    if (!state_lock(e, p)) {
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
        due_now(st, now, mono);
    }
    else {
        st->consecutive_failures++;
        schedule(e, st, now, mono);
    }
    next_attempt = st->next_attempt;
    failures = st->consecutive_failures;
    if (holds(st) && st->next_update > now) {
        valid_until = st->next_update;
    }
    state_unlock(e, p);

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

    if (!take_response(e, c, &res->info, res->der, res->der_len, OCSPR_SOURCE_NETWORK, p)
        && state_lock(e, p)) {
        /* Valid but older than what we hold (a lagging responder node):
         * keep ours; the responder is fine, so no backoff. */
        st->consecutive_failures = 0;
        schedule(e, st, wall_now(e), mono_now(e));
        state_unlock(e, p);
    }
    fleet_publish(e, c, &res->info, res->der, res->der_len, p);
    if (state_lock(e, p)) {
        st->last_attempt = started;
        st->last_outcome = OCSPR_OUTCOME_OK;
        apr_cpystrn(st->last_reason, res->reason, sizeof(st->last_reason));
        st->last_latency = res->latency;
        st->outcomes[OCSPR_OUTCOME_OK]++;
        state_unlock(e, p);
    }
}

/* Fetch c, finishing by deadline_mono (0: none). */
static done_t fetch_one(ocspr_engine_t *e, ocspr_engine_cert_t *c, apr_time_t deadline_mono,
                        ocspr_http_session_t *session, apr_pool_t *p)
{
    ocspr_http_opts_t opts = e->cfg.http;
    ocspr_validate_opts_t vo;
    ocspr_fetch_result_t res;
    apr_time_t started = wall_now(e), mono = mono_now(e);
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
    validate_opts(&vo, e);
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
    if (state_lock(e, p)) {
        c->state->refresh_requested = 0;
        state_unlock(e, p);
    }
    if (fleet_adopt(e, c, p)) {
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
           || (ps->deadline_mono && mono_now(ps->e) >= ps->deadline_mono);
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
    apr_time_t now = wall_now(e), mono = mono_now(e);
    int i, expired = 0;

    ps->todo = apr_pcalloc(p, sizeof(*ps->todo) * (apr_size_t)(e->ncerts + 1));
    for (i = 0; i < e->ncerts; i++) {
        ocspr_engine_cert_t *c = e->certs[i];
        ocspr_engine_action_t action;

        if (!state_lock(e, p)) {
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
        state_unlock(e, p);
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
        apr_time_t now = wall_now(e), this_update;
        int held, served, was_served;

        if (!state_lock(e, iter)) {
            continue;
        }
        held = holds(c->state) && c->state->next_update > now;
        this_update = c->state->this_update;
        was_served = c->state->served;
        needed += held ? OCSPR_RECORD_HDR_LEN + c->state->response_len + OCSPR_RECORD_KEY_LEN
                       : 0;
        state_unlock(e, iter);
        if (!held) {
            continue;
        }
        served = is_served(e, c, this_update, now, iter);
        if (!served && e->ops.store_load) {
            unsigned char *der;
            apr_size_t len;
            ocspr_response_info_t info;
            ocspr_validate_opts_t vo;

            validate_opts(&vo, e);
            if (e->ops.store_load(e->ops.baton, c, &der, &len, iter) == APR_SUCCESS
                && ocspr_response_validate(&info, iter, der, len, c->cert, c->issuer,
                                           &vo) == APR_SUCCESS
                && info.this_update == this_update) {
                served = put_served(e, c, &info, now, der, len, iter);
                res->healed += served;
            }
        }
        res->unservable += !served;
        if (state_lock(e, iter)) {
            c->state->served = served;
            if (!served && was_served) {
                /* Evicted, and the store cannot put it back: fetch it
                 * again, once. A response that never stayed in the cache
                 * is not refetched in a loop: the cache is too small and
                 * says so. */
                due_now(c->state, now, mono_now(e));
            }
            state_unlock(e, iter);
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
                  res->unservable + res->served, e->cfg.cache_desc ? e->cfg.cache_desc : "",
                  needed, needed * 2);
    }
}

static apr_time_t earliest_due(ocspr_engine_t *e, apr_pool_t *p)
{
    apr_time_t earliest = 0, mono = mono_now(e);
    int i;

    if (!state_lock(e, p)) {
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
    state_unlock(e, p);
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
        if (e->ops.fleet_get && e->ncerts) {
            res->adopted += fleet_probe(e, e->certs[e->fleet_probe++ % e->ncerts], p);
        }
        check_serving(e, res, p);
    }
    res->next_due_mono = earliest_due(e, p);
}

/* --- the store ------------------------------------------------------------- */

int ocspr_engine_load_store(ocspr_engine_t *e, apr_pool_t *p)
{
    apr_pool_t *iter;
    int i, loaded = 0;

    if (!e->ops.store_load) {
        return 0;
    }
    apr_pool_create(&iter, p);
    for (i = 0; i < e->ncerts && !ocspr_engine_stopping(e); i++) {
        ocspr_engine_cert_t *c = e->certs[i];
        ocspr_response_info_t info;
        ocspr_validate_opts_t vo;
        unsigned char *der;
        apr_size_t len;
        apr_status_t rv = e->ops.store_load(e->ops.baton, c, &der, &len, iter);

        const char *path = e->ops.store_path ? e->ops.store_path(e->ops.baton, c, iter)
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
            validate_opts(&vo, e);
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
                loaded += take_response(e, c, &info, der, len, OCSPR_SOURCE_STORE, iter);
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
    return ocspr_policy_sleep(&e->cfg.policy, res->next_due_mono, mono_now(e));
}

void ocspr_engine_request_refresh(ocspr_engine_t *e, ocspr_engine_cert_t *c)
{
    apr_pool_t *p;

    apr_pool_create(&p, NULL);
    if (state_lock(e, p)) {
        c->state->refresh_requested = 1;
        state_unlock(e, p);
    }
    apr_pool_destroy(p);
    ocspr_engine_wake(e);
}
