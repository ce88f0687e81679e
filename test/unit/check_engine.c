/* Tests for ocspr_engine.c: every rule of the refresh engine, through fake
 * operations and a fake clock, without a socket.
 *
 * The fakes: a serving cache, a store and a fleet exchange that are small
 * tables (the cache can evict and can drop puts, as a full shmcb does; the
 * fleet can hold forged bytes); a transport that answers prepared responses
 * signed by the test PKI, counts requests in flight per responder, can hold a
 * request until released and honours the cancel descriptor; a state lock that
 * counts, notices recursion and can fail; a wall and a monotonic clock that
 * step separately and never move unless a test moves them; for the runs, a
 * leader lock another process may hold and a server_stopping answer.
 *
 * Invariants checked after every scenario (world_check): every lock is
 * unlocked once, never taken twice by one thread, no transport, store or
 * fleet call runs under the state lock, every fetch gets a cancel descriptor
 * and asks about a certificate the engine was given. */
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <apr_portable.h>
#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>
#include <openssl/ocsp.h>
#include <openssl/rand.h>

#include "check_support.h"
#include "ocspr_engine.h"
#include "ocspr_tags.h"

#define SEC(s)          apr_time_from_sec(s)
#define MINUTES(m)      SEC((apr_int64_t)(m) * 60)
#define HOURS(h)        MINUTES((apr_int64_t)(h) * 60)
#define MAX_CERTS       24
#define MAX_CALLS       256
#define MAX_LOGS        512
/* The fake monotonic clock's origin: arbitrary, and not 0, which the
 * engine may take for "never". */
#define MONO_ORIGIN     SEC(500000)
/* What the fake lock returns when told to fail. */
#define LOCK_ERROR      APR_EBUSY
/* Real time bounds on waiting for the engine's threads. */
#define REAL_WAIT       SEC(5)
#define HOLD_MAX        SEC(20)

enum { RESPONDER_A, RESPONDER_B, RESPONDERS };
static const char *const responder_url[RESPONDERS] = {
    "http://ocsp-a.test/ocsp", "http://ocsp-b.test:8080/ocsp"
};
/* What the bound per responder counts: host:port, the default port explicit. */
static const char *const responder_host[RESPONDERS] = { "ocsp-a.test:80", "ocsp-b.test:8080" };

/* ---- the fake world ----------------------------------------------------- */

typedef struct {
    const unsigned char *der;
    apr_size_t len;
    apr_time_t this_update;
    apr_time_t next_update;
} resp_t;

typedef struct {
    unsigned char *data;
    apr_size_t len;
    apr_time_t expiry;                  /* 0: never */
    int present;
} slot_t;

/* How a responder treats each request before answering. */
typedef enum {
    HOLD_NONE,
    HOLD_UNTIL_RELEASED,                /* until world.released or cancelled */
    HOLD_THEN_TIMEOUT                   /* hold_for real time or until cancelled, then time out */
} hold_t;

typedef struct {
    hold_t hold;
    apr_interval_time_t hold_for;
    apr_interval_time_t mono_cost;      /* the request moves the monotonic clock this far */
    int calls;
    int inflight;
    int max_inflight;
} responder_t;

/* What the responder answers for one certificate. */
typedef struct {
    ocspr_outcome_t outcome;            /* OK: a 200 carrying body */
    int http_status;
    resp_t body;
} answer_t;

typedef struct world_t world_t;
typedef void during_fetch_fn(world_t *w, int cert, int call);

struct world_t {
    apr_pool_t *pool;                   /* the test's: main thread only */
    apr_pool_t *fake_pool;              /* the fakes' allocations: under mu only */
    apr_thread_mutex_t *mu;
    apr_thread_cond_t *changed;         /* broadcast on every fetch start and end */

    /* clocks */
    apr_time_t t0;                      /* the wall clock at the start, whole seconds */
    apr_time_t wall;
    apr_time_t mono;
    int mono_live;                      /* mono also follows real time (for real waits) */
    apr_time_t mono_live_since;

    /* the state lock */
    apr_thread_mutex_t *state_mu;
    int lock_held;
    apr_os_thread_t lock_owner;
    int lock_fail;
    int locks, lock_failures, unlocks, recursive_locks, bad_unlocks, io_under_lock;

    /* certificates */
    int n;
    ocspr_cert_t *issuer;
    ocspr_cert_t *leaf[MAX_CERTS];
    ocspr_engine_cert_t cert[MAX_CERTS];
    ocspr_engine_cert_t *cert_ptr[MAX_CERTS];
    ocspr_cert_state_t state[MAX_CERTS];
    int responder_of[MAX_CERTS];
    resp_t fresh[MAX_CERTS];            /* thisUpdate t0 - 1 min, nextUpdate t0 + 2 h */

    /* serving cache, store, fleet */
    slot_t cache[MAX_CERTS];
    int cache_drops_puts[MAX_CERTS];    /* put "succeeds", nothing is kept: a full shmcb */
    int cache_puts[MAX_CERTS];
    slot_t store[MAX_CERTS];
    int store_saves[MAX_CERTS];
    slot_t fleet[MAX_CERTS];
    int fleet_gets[MAX_CERTS];
    int fleet_puts[MAX_CERTS];
    int fleet_regressions;              /* puts older than what the fleet held */
    int fleet_down;                     /* answer like apr_memcache with no server left */
    ocspr_engine_shared_t shared;       /* the leader, the wake-ups, the fleet's health */

    /* the responders */
    responder_t responder[RESPONDERS];
    answer_t answer[MAX_CERTS];
    int fetches[MAX_CERTS];
    int calls;
    int order[MAX_CALLS];               /* certificate of each request, in order */
    int inflight;
    int max_inflight;
    int released;
    int cancelled;                      /* requests that ended on the cancel descriptor */
    int held_too_long;
    int no_cancel_fd;
    int unknown_requests;
    during_fetch_fn *during_fetch;

    /* log */
    ocspr_test_log_entry_t log[MAX_LOGS];
    int nlog;

    /* leadership and the server's end (set up by world_contends) */
    int leader_elsewhere;               /* another process holds the leader lock */
    int leader_held;
    int leader_trylocks, leader_unlocks, bad_leader_unlocks;
    int server_going;                   /* what server_stopping answers */
    int stopping_asks;
    /* another process's engine, which asks for a refresh of certificate 0
     * when the leader logs the end of its pass (once) */
    ocspr_engine_t *request_at_pass_log;
    int requested_at_pass_log;

    /* the engine */
    ocspr_engine_config_t cfg;
    ocspr_engine_ops_t ops;
    ocspr_engine_t *engine;
};

static int cert_index(const world_t *w, const ocspr_engine_cert_t *c)
{
    int i;

    for (i = 0; i < w->n; i++) {
        if (c == &w->cert[i]) {
            return i;
        }
    }
    return -1;
}

/* Called with mu held: an I/O operation must not run under the state lock. */
static void note_io(world_t *w)
{
    if (w->lock_held && apr_os_thread_equal(w->lock_owner, apr_os_thread_current())) {
        w->io_under_lock++;
    }
}

static void slot_set(world_t *w, slot_t *slot, const unsigned char *data, apr_size_t len,
                     apr_time_t expiry)
{
    slot->data = apr_pmemdup(w->fake_pool, data, len);
    slot->len = len;
    slot->expiry = expiry;
    slot->present = 1;
}

static apr_status_t slot_get(const slot_t *slot, apr_time_t now, unsigned char *buf,
                             apr_size_t *len)
{
    if (!slot->present || (slot->expiry && now >= slot->expiry)) {
        return APR_NOTFOUND;
    }
    if (*len < slot->len) {
        return APR_ENOSPC;
    }
    memcpy(buf, slot->data, slot->len);
    *len = slot->len;
    return APR_SUCCESS;
}

/* ---- fake operations ---------------------------------------------------- */

static apr_status_t fake_lock(void *baton)
{
    world_t *w = baton;

    apr_thread_mutex_lock(w->mu);
    if (w->lock_fail) {
        w->lock_failures++;
        apr_thread_mutex_unlock(w->mu);
        return LOCK_ERROR;
    }
    if (w->lock_held && apr_os_thread_equal(w->lock_owner, apr_os_thread_current())) {
        /* A cross-process mutex is not recursive: this would deadlock. */
        w->recursive_locks++;
        apr_thread_mutex_unlock(w->mu);
        return LOCK_ERROR;
    }
    apr_thread_mutex_unlock(w->mu);
    apr_thread_mutex_lock(w->state_mu);
    apr_thread_mutex_lock(w->mu);
    w->locks++;
    w->lock_held = 1;
    w->lock_owner = apr_os_thread_current();
    apr_thread_mutex_unlock(w->mu);
    return APR_SUCCESS;
}

static apr_status_t fake_unlock(void *baton)
{
    world_t *w = baton;

    apr_thread_mutex_lock(w->mu);
    if (!w->lock_held || !apr_os_thread_equal(w->lock_owner, apr_os_thread_current())) {
        w->bad_unlocks++;
        apr_thread_mutex_unlock(w->mu);
        return APR_EINVAL;
    }
    w->lock_held = 0;
    w->unlocks++;
    apr_thread_mutex_unlock(w->mu);
    apr_thread_mutex_unlock(w->state_mu);
    return APR_SUCCESS;
}

static apr_status_t fake_cache_put(void *baton, const ocspr_engine_cert_t *c,
                                   const unsigned char *rec, apr_size_t len, apr_time_t expiry,
                                   apr_pool_t *p)
{
    world_t *w = baton;
    int i = cert_index(w, c);

    (void)p;
    if (i < 0) {
        return APR_EINVAL;
    }
    apr_thread_mutex_lock(w->mu);
    w->cache_puts[i]++;
    if (!w->cache_drops_puts[i]) {
        slot_set(w, &w->cache[i], rec, len, expiry);
    }
    apr_thread_mutex_unlock(w->mu);
    return APR_SUCCESS;
}

static apr_status_t fake_cache_get(void *baton, const ocspr_engine_cert_t *c, unsigned char *buf,
                                   apr_size_t *len, apr_pool_t *p)
{
    world_t *w = baton;
    int i = cert_index(w, c);
    apr_status_t rv;

    (void)p;
    if (i < 0) {
        return APR_NOTFOUND;
    }
    apr_thread_mutex_lock(w->mu);
    rv = slot_get(&w->cache[i], w->wall, buf, len);
    apr_thread_mutex_unlock(w->mu);
    return rv;
}

static apr_status_t fake_store_load(void *baton, const ocspr_engine_cert_t *c, unsigned char **der,
                                    apr_size_t *len, apr_pool_t *p)
{
    world_t *w = baton;
    int i = cert_index(w, c);
    apr_status_t rv = APR_ENOENT;

    apr_thread_mutex_lock(w->mu);
    note_io(w);
    if (i >= 0 && w->store[i].present) {
        *der = apr_pmemdup(p, w->store[i].data, w->store[i].len);
        *len = w->store[i].len;
        rv = APR_SUCCESS;
    }
    apr_thread_mutex_unlock(w->mu);
    return rv;
}

static apr_status_t fake_store_save(void *baton, const ocspr_engine_cert_t *c,
                                    const unsigned char *der, apr_size_t len, apr_pool_t *p)
{
    world_t *w = baton;
    int i = cert_index(w, c);

    (void)p;
    if (i < 0) {
        return APR_EINVAL;
    }
    apr_thread_mutex_lock(w->mu);
    note_io(w);
    w->store_saves[i]++;
    slot_set(w, &w->store[i], der, len, 0);
    apr_thread_mutex_unlock(w->mu);
    return APR_SUCCESS;
}

static apr_status_t fake_fleet_get(void *baton, const ocspr_engine_cert_t *c, unsigned char *buf,
                                   apr_size_t *len, apr_pool_t *p)
{
    world_t *w = baton;
    int i = cert_index(w, c);
    apr_status_t rv;

    (void)p;
    if (i < 0) {
        return APR_NOTFOUND;
    }
    apr_thread_mutex_lock(w->mu);
    note_io(w);
    w->fleet_gets[i]++;
    rv = w->fleet_down ? APR_NOTFOUND : slot_get(&w->fleet[i], w->wall, buf, len);
    apr_thread_mutex_unlock(w->mu);
    return rv;
}

static apr_status_t fake_fleet_put(void *baton, const ocspr_engine_cert_t *c,
                                   const unsigned char *rec, apr_size_t len, apr_time_t expiry,
                                   apr_pool_t *p)
{
    world_t *w = baton;
    int i = cert_index(w, c);
    ocspr_record_t held, put;

    (void)p;
    if (i < 0) {
        return APR_EINVAL;
    }
    apr_thread_mutex_lock(w->mu);
    note_io(w);
    w->fleet_puts[i]++;
    if (w->fleet_down) {
        apr_thread_mutex_unlock(w->mu);
        return APR_NOTFOUND;
    }
    /* Headers of genuine records tell the truth: compare by them. */
    if (w->fleet[i].present
        && ocspr_record_decode(&held, w->fleet[i].data, w->fleet[i].len, c->id) == APR_SUCCESS
        && ocspr_record_decode(&put, rec, len, c->id) == APR_SUCCESS
        && put.this_update < held.this_update && w->wall < held.next_update) {
        w->fleet_regressions++;
    }
    slot_set(w, &w->fleet[i], rec, len, expiry);
    apr_thread_mutex_unlock(w->mu);
    return APR_SUCCESS;
}

static apr_time_t fake_wall_now(void *baton)
{
    world_t *w = baton;
    apr_time_t t;

    apr_thread_mutex_lock(w->mu);
    t = w->wall;
    apr_thread_mutex_unlock(w->mu);
    return t;
}

static apr_time_t fake_mono_now(void *baton)
{
    world_t *w = baton;
    apr_time_t t;

    apr_thread_mutex_lock(w->mu);
    t = w->mono + (w->mono_live ? apr_time_now() - w->mono_live_since : 0);
    apr_thread_mutex_unlock(w->mu);
    return t;
}

/* No jitter: every schedule is exact. */
static uint32_t fake_random(void *baton)
{
    (void)baton;
    return 0;
}

/* The leader lock, which one process of the host holds: a non-recursive
 * lock, so a second trylock by its holder fails like anyone else's. */
static apr_status_t fake_leader_trylock(void *baton)
{
    world_t *w = baton;
    apr_status_t rv = APR_EBUSY;

    apr_thread_mutex_lock(w->mu);
    w->leader_trylocks++;
    if (!w->leader_elsewhere && !w->leader_held) {
        w->leader_held = 1;
        rv = APR_SUCCESS;
    }
    apr_thread_mutex_unlock(w->mu);
    return rv;
}

static apr_status_t fake_leader_unlock(void *baton)
{
    world_t *w = baton;

    apr_thread_mutex_lock(w->mu);
    w->leader_unlocks++;
    w->bad_leader_unlocks += !w->leader_held;
    w->leader_held = 0;
    apr_thread_mutex_unlock(w->mu);
    return APR_SUCCESS;
}

static int fake_server_stopping(void *baton)
{
    world_t *w = baton;
    int going;

    apr_thread_mutex_lock(w->mu);
    w->stopping_asks++;
    going = w->server_going;
    apr_thread_mutex_unlock(w->mu);
    return going;
}

/* The certificate a request asks about (by serial), or -1. */
static int cert_of_request(const world_t *w, const unsigned char *req_der, apr_size_t len)
{
    const unsigned char *cursor = req_der;
    OCSP_REQUEST *req = d2i_OCSP_REQUEST(NULL, &cursor, (long)len);
    ASN1_INTEGER *serial = NULL;
    int i, found = -1;

    if (req != NULL && OCSP_request_onereq_count(req) == 1
        && OCSP_id_get0_info(NULL, NULL, NULL, &serial,
                             OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0)))) {
        for (i = 0; i < w->n && found < 0; i++) {
            if (ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(ocspr_cert_x509(w->leaf[i]))) == 0) {
                found = i;
            }
        }
    }
    OCSP_REQUEST_free(req);
    return found;
}

/* The responder a URL reaches: "http://HOST[:PORT]/..." by host:port. */
static int responder_of_url(const char *url)
{
    char host[128];
    size_t n;
    int r;

    if (url == NULL || strncmp(url, "http://", 7) != 0) {
        return -1;
    }
    n = strcspn(url + 7, "/?#");
    if (n == 0 || n + 4 >= sizeof(host)) {
        return -1;
    }
    memcpy(host, url + 7, n);
    host[n] = '\0';
    if (strchr(host, ':') == NULL) {
        strcat(host, ":80");
    }
    for (r = 0; r < RESPONDERS; r++) {
        if (strcmp(host, responder_host[r]) == 0) {
            return r;
        }
    }
    return -1;
}

static int cancel_readable(int fd, int timeout_ms)
{
    struct pollfd pfd = { fd, POLLIN, 0 };

    if (fd <= 0) {
        apr_sleep(apr_time_from_msec(timeout_ms));
        return 0;
    }
    return poll(&pfd, 1, timeout_ms) > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR)) != 0;
}

/* Hold a request as its responder says. Returns 1 when the engine cancelled it. */
static int hold_request(world_t *w, const responder_t *r, int cancel_fd)
{
    apr_time_t start = apr_time_now();
    apr_interval_time_t limit = r->hold == HOLD_UNTIL_RELEASED ? HOLD_MAX : r->hold_for;
    int released;

    if (r->hold == HOLD_NONE) {
        return 0;
    }
    for (;;) {
        apr_thread_mutex_lock(w->mu);
        released = w->released;
        apr_thread_mutex_unlock(w->mu);
        if (r->hold == HOLD_UNTIL_RELEASED && released) {
            return 0;
        }
        if (cancel_readable(cancel_fd, 10)) {
            return 1;
        }
        if (apr_time_now() - start >= limit) {
            if (r->hold == HOLD_UNTIL_RELEASED) {
                apr_thread_mutex_lock(w->mu);
                w->held_too_long++;
                apr_thread_mutex_unlock(w->mu);
            }
            return 0;
        }
    }
}

static apr_status_t fake_fetch(void *baton, ocspr_http_result_t *res, apr_pool_t *p,
                               const char *url, const unsigned char *req_der, apr_size_t req_len,
                               const ocspr_http_opts_t *opts)
{
    world_t *w = baton;
    int i = cert_of_request(w, req_der, req_len);
    int r = responder_of_url(url);
    int cancel_fd = opts != NULL ? opts->cancel_fd : -1;
    int call, cancelled;
    answer_t answer;

    (void)p;
    memset(res, 0, sizeof(*res));
    res->method = "POST";
    res->latency = apr_time_from_msec(3);
    apr_thread_mutex_lock(w->mu);
    note_io(w);
    if (i < 0 || r < 0 || r != w->responder_of[i]) {
        w->unknown_requests++;
        apr_thread_mutex_unlock(w->mu);
        res->outcome = OCSPR_OUTCOME_PROTOCOL;
        res->reason = "fake responder: a request for no certificate of this test";
        return OCSPR_EFETCH;
    }
    if (cancel_fd <= 0) {
        w->no_cancel_fd++;
    }
    call = w->calls++;
    if (call < MAX_CALLS) {
        w->order[call] = i;
    }
    w->fetches[i]++;
    w->responder[r].calls++;
    w->mono += w->responder[r].mono_cost;
    if (++w->responder[r].inflight > w->responder[r].max_inflight) {
        w->responder[r].max_inflight = w->responder[r].inflight;
    }
    if (++w->inflight > w->max_inflight) {
        w->max_inflight = w->inflight;
    }
    answer = w->answer[i];
    apr_thread_cond_broadcast(w->changed);
    apr_thread_mutex_unlock(w->mu);

    if (w->during_fetch != NULL) {
        w->during_fetch(w, i, call);
    }
    cancelled = hold_request(w, &w->responder[r], cancel_fd);

    apr_thread_mutex_lock(w->mu);
    w->responder[r].inflight--;
    w->inflight--;
    w->cancelled += cancelled;
    apr_thread_cond_broadcast(w->changed);
    apr_thread_mutex_unlock(w->mu);

    if (cancelled) {
        res->outcome = OCSPR_OUTCOME_CANCELLED;
        res->reason = "fake responder: cancelled";
        return OCSPR_EFETCH;
    }
    if (w->responder[r].hold == HOLD_THEN_TIMEOUT) {
        res->outcome = OCSPR_OUTCOME_TIMEOUT;
        res->reason = "fake responder: no answer within the total timeout";
        return OCSPR_EFETCH;
    }
    res->outcome = answer.outcome;
    res->http_status = answer.http_status;
    if (answer.outcome != OCSPR_OUTCOME_OK) {
        res->reason = apr_psprintf(p, "fake responder: %s", ocspr_outcome_name(answer.outcome));
        return OCSPR_EFETCH;
    }
    res->reason = "HTTP 200";
    res->content_type = "application/ocsp-response";
    res->body = answer.body.der;
    res->body_len = answer.body.len;
    return APR_SUCCESS;
}

static void fake_log(void *baton, const char *file, int line, ocspr_log_level_t level,
                     apr_status_t rv, const char *tag, const char *msg)
{
    world_t *w = baton;

    apr_thread_mutex_lock(w->mu);
    if (w->nlog < MAX_LOGS) {
        ocspr_test_log_entry_t *l = &w->log[w->nlog++];

        l->level = level;
        l->rv = rv;
        l->tag = tag != NULL ? apr_pstrdup(w->fake_pool, tag) : NULL;
        l->msg = apr_pstrdup(w->fake_pool, msg);
    }
    apr_thread_mutex_unlock(w->mu);
    if (w->request_at_pass_log && !w->requested_at_pass_log && !strncmp(msg, "OCSP pass:", 10)) {
        w->requested_at_pass_log = 1;
        ocspr_engine_request_refresh(w->request_at_pass_log, &w->cert[0]);
    }
}

static apr_status_t world_cleanup(void *data)
{
    (void)data;
    ocspr_log_set(NULL, NULL, OCSPR_LOG_WARNING);
    return APR_SUCCESS;
}

/* ---- building a world --------------------------------------------------- */

/* A response for certificate i, times relative to t0 (whole seconds). */
static resp_t response_at(world_t *w, int i, int cert_status, apr_interval_time_t this_off,
                          apr_interval_time_t next_off)
{
    resp_t r;
    unsigned char *der;

    r.this_update = w->t0 + this_off;
    r.next_update = w->t0 + next_off;
    ocspr_test_signed_response(&der, &r.len, w->pool, w->leaf[i], "ocsp", cert_status,
                               r.this_update, r.next_update);
    r.der = der;
    return r;
}

static resp_t good_at(world_t *w, int i, apr_interval_time_t this_off,
                      apr_interval_time_t next_off)
{
    return response_at(w, i, V_OCSP_CERTSTATUS_GOOD, this_off, next_off);
}

static void answer_with(world_t *w, int i, resp_t body)
{
    w->answer[i].outcome = OCSPR_OUTCOME_OK;
    w->answer[i].http_status = 200;
    w->answer[i].body = body;
}

static void answer_failure(world_t *w, int i, ocspr_outcome_t outcome)
{
    memset(&w->answer[i], 0, sizeof(w->answer[i]));
    w->answer[i].outcome = outcome;
    w->answer[i].http_status = outcome == OCSPR_OUTCOME_HTTP_STATUS ? 500 : 0;
}

enum { WITH_STORE = 1, WITH_FLEET = 2 };

/* layout: one character per certificate: 'A' or 'B' behind that responder,
 * 'M' a Must-Staple certificate behind A. Every responder answers each
 * certificate's fresh response, at once. The engine is not created yet:
 * tests adjust cfg first, then call world_start. */
static world_t *world_new(const char *layout, int flags)
{
    world_t *w = apr_pcalloc(ocspr_test_pool, sizeof(*w));
    int i;

    w->pool = ocspr_test_pool;
    ck_assert_int_eq(apr_pool_create(&w->fake_pool, w->pool), APR_SUCCESS);
    ck_assert_int_eq(apr_thread_mutex_create(&w->mu, APR_THREAD_MUTEX_DEFAULT, w->pool), APR_SUCCESS);
    ck_assert_int_eq(apr_thread_mutex_create(&w->state_mu, APR_THREAD_MUTEX_DEFAULT, w->pool),
                     APR_SUCCESS);
    ck_assert_int_eq(apr_thread_cond_create(&w->changed, w->pool), APR_SUCCESS);
    w->t0 = SEC(apr_time_sec(apr_time_now()));
    w->wall = w->t0;
    w->mono = MONO_ORIGIN;
    w->issuer = ocspr_test_cert(w->pool, "int");
    w->n = (int)strlen(layout);
    ck_assert_int_le(w->n, MAX_CERTS);
    for (i = 0; i < w->n; i++) {
        ocspr_engine_cert_t *c = &w->cert[i];
        int must_staple = layout[i] == 'M';

        w->leaf[i] = ocspr_test_make_leaf(w->pool, apr_psprintf(w->pool, "leaf-%d.test", i),
                                          4000 + i, must_staple);
        w->responder_of[i] = layout[i] == 'B' ? RESPONDER_B : RESPONDER_A;
        ck_assert_int_eq(ocspr_cert_id(c->id, w->leaf[i]), APR_SUCCESS);
        c->id_hex = ocspr_hex(w->pool, c->id, OCSPR_CERT_ID_LEN);
        c->cert = w->leaf[i];
        c->issuer = w->issuer;
        c->url = responder_url[w->responder_of[i]];
        c->label = apr_psprintf(w->pool, "CN=leaf-%d.test (vhosts leaf-%d.test:443)", i, i);
        c->must_staple = must_staple;
        c->state = &w->state[i];
        ocspr_cert_state_init(&w->state[i]);
        w->cert_ptr[i] = c;
        w->fresh[i] = good_at(w, i, -MINUTES(1), HOURS(2));
        answer_with(w, i, w->fresh[i]);
    }

    ocspr_policy_default(&w->cfg.policy);
    ocspr_http_opts_default(&w->cfg.http);
    w->cfg.validate.clock_skew = MINUTES(5);
    w->cfg.shared = &w->shared;

    w->ops.baton = w;
    w->ops.lock = fake_lock;
    w->ops.unlock = fake_unlock;
    w->ops.cache.baton = w;
    w->ops.cache.put = fake_cache_put;
    w->ops.cache.get = fake_cache_get;
    w->ops.cache.desc = "shmcb:/run/ocspr-test-cache(65536)";
    if (flags & WITH_STORE) {
        w->ops.store.baton = w;
        w->ops.store.load = fake_store_load;
        w->ops.store.save = fake_store_save;
    }
    if (flags & WITH_FLEET) {
        w->ops.fleet.baton = w;
        w->ops.fleet.get = fake_fleet_get;
        w->ops.fleet.put = fake_fleet_put;
        w->ops.fleet.desc = "fake:fleet";
    }
    w->ops.transport.fetch = fake_fetch;
    w->ops.transport.baton = w;
    w->ops.wall_now = fake_wall_now;
    w->ops.mono_now = fake_mono_now;
    w->ops.random = fake_random;

    ocspr_log_set(fake_log, w, OCSPR_LOG_DEBUG);
    apr_pool_cleanup_register(w->pool, w, world_cleanup, apr_pool_cleanup_null);
    return w;
}

static void world_start(world_t *w)
{
    ck_assert_int_eq(ocspr_engine_create(&w->engine, w->pool, &w->cfg, &w->ops, w->cert_ptr, w->n),
                     APR_SUCCESS);
    ck_assert_ptr_nonnull(w->engine);
}

static world_t *world_started(const char *layout, int flags)
{
    world_t *w = world_new(layout, flags);

    world_start(w);
    return w;
}

/* The invariants every scenario must keep (see the file comment). */
static void world_check(world_t *w)
{
    apr_thread_mutex_lock(w->mu);
    ck_assert_msg(!w->lock_held, "the state lock is still held after the engine returned");
    ck_assert_int_eq(w->locks, w->unlocks);
    ck_assert_int_eq(w->bad_unlocks, 0);
    ck_assert_msg(w->recursive_locks == 0, "the state lock was taken again by the thread "
                  "holding it (%d times): a cross-process mutex would deadlock", w->recursive_locks);
    ck_assert_msg(w->io_under_lock == 0, "%d transport/store/fleet calls ran under the state "
                  "lock", w->io_under_lock);
    ck_assert_msg(w->no_cancel_fd == 0, "%d fetches got no cancel descriptor", w->no_cancel_fd);
    ck_assert_int_eq(w->unknown_requests, 0);
    ck_assert_int_eq(w->held_too_long, 0);
    ck_assert_msg(w->inflight == 0, "%d requests still in flight after the engine returned: "
                  "its fetch threads outlive the pass", w->inflight);
    apr_thread_mutex_unlock(w->mu);
}

/* ---- clocks and passes -------------------------------------------------- */

static void advance(world_t *w, apr_interval_time_t d)
{
    apr_thread_mutex_lock(w->mu);
    w->wall += d;
    w->mono += d;
    apr_thread_mutex_unlock(w->mu);
}

static void step_wall(world_t *w, apr_interval_time_t d)
{
    apr_thread_mutex_lock(w->mu);
    w->wall += d;
    apr_thread_mutex_unlock(w->mu);
}

static apr_time_t mono_of(world_t *w)
{
    return fake_mono_now(w);
}

/* Move both clocks to certificate i's next attempt. */
static void advance_to_next_attempt(world_t *w, int i)
{
    apr_time_t at = w->state[i].next_attempt_mono;

    ck_assert_msg(at != 0, "certificate %d has no next attempt scheduled", i);
    if (at > mono_of(w)) {
        advance(w, at - mono_of(w));
    }
}

static ocspr_pass_result_t run_pass(world_t *w, ocspr_pass_kind_t kind, apr_time_t deadline_mono)
{
    ocspr_pass_result_t res;
    apr_pool_t *p;

    memset(&res, 0xa5, sizeof(res));
    ck_assert_int_eq(apr_pool_create(&p, w->pool), APR_SUCCESS);
    ocspr_engine_pass(w->engine, kind, deadline_mono, &res, p);
    apr_pool_destroy(p);
    world_check(w);
    return res;
}

static ocspr_pass_result_t maintenance(world_t *w)
{
    return run_pass(w, OCSPR_PASS_MAINTENANCE, 0);
}

/* A pass on its own thread, for tests that act while it runs. */
typedef struct {
    world_t *w;
    ocspr_pass_kind_t kind;
    apr_time_t deadline;
    apr_pool_t *p;
    apr_thread_t *thread;
    ocspr_pass_result_t res;
    int done;                           /* under w->mu */
} bg_pass_t;

static void *APR_THREAD_FUNC bg_pass_main(apr_thread_t *thread, void *data)
{
    bg_pass_t *bg = data;

    ocspr_engine_pass(bg->w->engine, bg->kind, bg->deadline, &bg->res, bg->p);
    apr_thread_mutex_lock(bg->w->mu);
    bg->done = 1;
    apr_thread_cond_broadcast(bg->w->changed);
    apr_thread_mutex_unlock(bg->w->mu);
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

static void bg_pass_start(bg_pass_t *bg, world_t *w, ocspr_pass_kind_t kind, apr_time_t deadline)
{
    memset(bg, 0, sizeof(*bg));
    bg->w = w;
    bg->kind = kind;
    bg->deadline = deadline;
    ck_assert_int_eq(apr_pool_create(&bg->p, w->pool), APR_SUCCESS);
    ck_assert_int_eq(apr_thread_create(&bg->thread, NULL, bg_pass_main, bg, w->pool), APR_SUCCESS);
}

typedef int world_pred_fn(world_t *w, const void *arg);

/* Wait (real time, at most `limit`) until pred holds; returns whether it did. */
static int wait_until(world_t *w, world_pred_fn *pred, const void *arg, apr_interval_time_t limit)
{
    apr_time_t end = apr_time_now() + limit;
    int ok;

    for (;;) {
        ok = pred(w, arg);
        if (ok || apr_time_now() >= end) {
            return ok;
        }
        apr_thread_mutex_lock(w->mu);
        apr_thread_cond_timedwait(w->changed, w->mu, apr_time_from_msec(20));
        apr_thread_mutex_unlock(w->mu);
    }
}

static int pass_done(world_t *w, const void *arg)
{
    const bg_pass_t *bg = arg;
    int done;

    apr_thread_mutex_lock(w->mu);
    done = bg->done;
    apr_thread_mutex_unlock(w->mu);
    return done;
}

static int inflight_is(world_t *w, const void *arg)
{
    int n;

    apr_thread_mutex_lock(w->mu);
    n = w->inflight;
    apr_thread_mutex_unlock(w->mu);
    return n >= *(const int *)arg;
}

static void release_all(world_t *w)
{
    apr_thread_mutex_lock(w->mu);
    w->released = 1;
    apr_thread_mutex_unlock(w->mu);
}

/* Join the pass. One that does not end within `limit` is released (so the
 * test fails with `why` instead of hanging, and no thread outlives it). */
static void bg_pass_join(bg_pass_t *bg, apr_interval_time_t limit, const char *why)
{
    apr_status_t trv;
    int ended = wait_until(bg->w, pass_done, bg, limit);

    if (!ended) {
        release_all(bg->w);
        ck_assert_msg(wait_until(bg->w, pass_done, bg, HOLD_MAX + SEC(5)),
                      "the pass never ended, even with every request released");
    }
    apr_thread_join(&trv, bg->thread);
    apr_pool_destroy(bg->p);
    ck_assert_msg(ended, "%s", why);
    world_check(bg->w);
}

/* While a pass runs: wait for pred, or release everything, join and fail. */
static void bg_expect(bg_pass_t *bg, world_pred_fn *pred, const void *arg, const char *why)
{
    if (!wait_until(bg->w, pred, arg, REAL_WAIT)) {
        release_all(bg->w);
        bg_pass_join(bg, HOLD_MAX + SEC(5), "the pass never ended");
        ck_abort_msg("%s", why);
    }
}

/* The state of certificate i, read under the real lock while a pass runs. */
static ocspr_cert_state_t state_of(world_t *w, int i)
{
    ocspr_cert_state_t st;

    apr_thread_mutex_lock(w->state_mu);
    st = w->state[i];
    apr_thread_mutex_unlock(w->state_mu);
    return st;
}

/* ---- assertions --------------------------------------------------------- */

/* The serving cache holds a record for certificate i whose DER is r's. */
static void assert_cached(world_t *w, int i, const resp_t *r)
{
    unsigned char buf[OCSPR_RECORD_HDR_LEN + 8192];
    apr_size_t len = sizeof(buf);
    ocspr_record_t rec;

    ck_assert_msg(fake_cache_get(w, &w->cert[i], buf, &len, NULL) == APR_SUCCESS,
                  "certificate %d: nothing retrievable in the serving cache", i);
    ck_assert_int_eq(ocspr_record_decode(&rec, buf, len, w->cert[i].id), APR_SUCCESS);
    ck_assert_msg(rec.der_len == r->len && memcmp(rec.der, r->der, r->len) == 0,
                  "certificate %d: the serving cache holds another response", i);
    ck_assert_int_eq(rec.this_update, r->this_update);
    ck_assert_int_eq(rec.next_update, r->next_update);
    ck_assert_int_eq(w->cache[i].expiry, r->next_update);
}

/* Certificate i holds r (status good), from source. */
static void assert_holds(world_t *w, int i, const resp_t *r, ocspr_source_t source)
{
    const ocspr_cert_state_t *st = &w->state[i];

    ck_assert_int_eq(st->cert_status, OCSPR_CERT_STATUS_GOOD);
    ck_assert_msg(st->this_update == r->this_update, "certificate %d holds the response of "
                  "thisUpdate %s, not %s", i, ocspr_time_rfc3339(w->pool, st->this_update),
                  ocspr_time_rfc3339(w->pool, r->this_update));
    ck_assert_int_eq(st->next_update, r->next_update);
    ck_assert_uint_eq(st->response_len, r->len);
    ck_assert_msg(st->source == (int)source, "certificate %d: source %s, expected %s", i,
                  ocspr_source_name(st->source), ocspr_source_name(source));
}

static void assert_slot_is(const slot_t *slot, const unsigned char *data, apr_size_t len,
                           const char *what)
{
    ck_assert_msg(slot->present && slot->len == len && memcmp(slot->data, data, len) == 0,
                  "%s changed", what);
}

static int logged_at_most(world_t *w, ocspr_log_level_t level, const char *part)
{
    int i, found = 0;

    apr_thread_mutex_lock(w->mu);
    for (i = 0; i < w->nlog && !found; i++) {
        found = w->log[i].level <= level && (part == NULL || strstr(w->log[i].msg, part) != NULL);
    }
    apr_thread_mutex_unlock(w->mu);
    return found;
}

/* An encoded record of r for certificate `cert`, with the header times given. */
static unsigned char *record_of(world_t *w, int cert, const resp_t *r, apr_time_t this_update,
                                apr_time_t next_update, apr_size_t *plen)
{
    ocspr_record_t rec;
    unsigned char *buf;

    memcpy(rec.id, w->cert[cert].id, OCSPR_CERT_ID_LEN);
    rec.cert_status = OCSPR_CERT_STATUS_GOOD;
    rec.fetched = w->t0;
    rec.this_update = this_update;
    rec.next_update = next_update;
    rec.der = r->der;
    rec.der_len = r->len;
    *plen = ocspr_record_encoded_len(&rec);
    ck_assert_uint_gt(*plen, 0);
    buf = apr_palloc(w->pool, *plen);
    ck_assert_int_eq(ocspr_record_encode(buf, *plen, NULL, &rec), APR_SUCCESS);
    return buf;
}

static void fleet_holds(world_t *w, int i, const unsigned char *rec, apr_size_t len)
{
    apr_thread_mutex_lock(w->mu);
    slot_set(w, &w->fleet[i], rec, len, 0);
    apr_thread_mutex_unlock(w->mu);
}

static void fleet_holds_response(world_t *w, int i, const resp_t *r)
{
    apr_size_t len;
    unsigned char *rec = record_of(w, i, r, r->this_update, r->next_update, &len);

    fleet_holds(w, i, rec, len);
}

/* ---- decisions ---------------------------------------------------------- */

static ocspr_cert_state_t held_state(apr_time_t this_update, apr_time_t next_update,
                                     apr_time_t next_attempt, apr_time_t next_attempt_mono)
{
    ocspr_cert_state_t st;

    ocspr_cert_state_init(&st);
    st.cert_status = OCSPR_CERT_STATUS_GOOD;
    st.this_update = this_update;
    st.next_update = next_update;
    st.response_len = 1500;
    st.source = OCSPR_SOURCE_NETWORK;
    st.next_attempt = next_attempt;
    st.next_attempt_mono = next_attempt_mono;
    return st;
}

#define WALL0 SEC(1800000000)

START_TEST(decide_nothing_known_is_due)
{
    ocspr_cert_state_t st;

    ocspr_cert_state_init(&st);
    ck_assert_int_eq(st.cert_status, OCSPR_CERT_STATUS_NONE);
    ck_assert_int_eq(st.source, OCSPR_SOURCE_NONE);
    ck_assert_int_eq(st.consecutive_failures, 0);
    ck_assert_int_eq(st.fleet_reject_reason[0], '\0');
    ck_assert_int_eq(ocspr_engine_decide(&st, WALL0, MONO_ORIGIN), OCSPR_ACTION_FETCH);
}
END_TEST

/* The schedule is the monotonic one; the wall-clock copy is for display. */
START_TEST(decide_schedule_runs_on_monotonic_clock)
{
    ocspr_cert_state_t st = held_state(WALL0 - HOURS(1), WALL0 + HOURS(3), WALL0 - HOURS(1),
                                       MONO_ORIGIN + MINUTES(10));

    ck_assert_int_eq(ocspr_engine_decide(&st, WALL0, MONO_ORIGIN), OCSPR_ACTION_IDLE);
    ck_assert_int_eq(ocspr_engine_decide(&st, WALL0, MONO_ORIGIN + MINUTES(10)), OCSPR_ACTION_FETCH);
    st.next_attempt = WALL0 + HOURS(2);
    st.next_attempt_mono = MONO_ORIGIN;
    ck_assert_int_eq(ocspr_engine_decide(&st, WALL0, MONO_ORIGIN + SEC(1)), OCSPR_ACTION_FETCH);
}
END_TEST

/* Expiry is a wall-clock fact: at nextUpdate the response is no longer
 * servable, whatever the schedule says. */
START_TEST(decide_expiry_is_wall_clock)
{
    ocspr_cert_state_t st = held_state(WALL0 - HOURS(1), WALL0 + HOURS(1), WALL0 + HOURS(5),
                                       MONO_ORIGIN + HOURS(5));

    ck_assert_int_eq(ocspr_engine_decide(&st, WALL0 + HOURS(1) - SEC(1), MONO_ORIGIN),
                     OCSPR_ACTION_IDLE);
    ck_assert_int_eq(ocspr_engine_decide(&st, WALL0 + HOURS(1), MONO_ORIGIN), OCSPR_ACTION_EXPIRED);
    ck_assert_int_eq(ocspr_engine_decide(&st, WALL0 + HOURS(9), MONO_ORIGIN), OCSPR_ACTION_EXPIRED);
    /* Nothing held: nothing to expire, only something to fetch. */
    st.cert_status = OCSPR_CERT_STATUS_NONE;
    st.next_attempt_mono = MONO_ORIGIN;
    ck_assert_int_eq(ocspr_engine_decide(&st, WALL0 + HOURS(9), MONO_ORIGIN), OCSPR_ACTION_FETCH);
}
END_TEST

START_TEST(decide_refresh_request_is_due)
{
    ocspr_cert_state_t st = held_state(WALL0 - HOURS(1), WALL0 + HOURS(3), WALL0 + HOURS(1),
                                       MONO_ORIGIN + HOURS(1));

    ck_assert_int_eq(ocspr_engine_decide(&st, WALL0, MONO_ORIGIN), OCSPR_ACTION_IDLE);
    st.refresh_requested = 1;
    ck_assert_int_eq(ocspr_engine_decide(&st, WALL0, MONO_ORIGIN), OCSPR_ACTION_FETCH);
}
END_TEST

START_TEST(source_names_are_stable)
{
    ck_assert_str_eq(ocspr_source_name(OCSPR_SOURCE_NONE), "none");
    ck_assert_str_eq(ocspr_source_name(OCSPR_SOURCE_STORE), "store");
    ck_assert_str_eq(ocspr_source_name(OCSPR_SOURCE_NETWORK), "network");
    ck_assert_str_eq(ocspr_source_name(OCSPR_SOURCE_FLEET), "fleet");
}
END_TEST

/* ---- obtaining, keeping, replacing -------------------------------------- */

START_TEST(first_pass_fetches_caches_and_stores)
{
    world_t *w = world_started("AB", WITH_STORE);
    ocspr_pass_result_t res = maintenance(w);
    int i;

    ck_assert_int_eq(res.due, 2);
    ck_assert_int_eq(res.fetched, 2);
    ck_assert_int_eq(res.failed, 0);
    ck_assert_int_eq(res.cut_off, 0);
    ck_assert_int_eq(res.served, 2);
    ck_assert_int_eq(res.unservable, 0);
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(w->fetches[i], 1);
        assert_holds(w, i, &w->fresh[i], OCSPR_SOURCE_NETWORK);
        assert_cached(w, i, &w->fresh[i]);
        assert_slot_is(&w->store[i], w->fresh[i].der, w->fresh[i].len, "the store");
        ck_assert_int_eq(w->state[i].served, 1);
        ck_assert_int_eq(w->state[i].last_outcome, OCSPR_OUTCOME_OK);
        ck_assert_int_eq(w->state[i].consecutive_failures, 0);
        ck_assert_int_eq(w->state[i].obtained, w->t0);
        ck_assert_int_eq(w->state[i].outcomes[OCSPR_OUTCOME_OK], 1);
        /* Refreshed at 50% of the validity period, on both clocks. */
        ck_assert_int_gt(w->state[i].next_attempt_mono, mono_of(w));
        ck_assert_int_lt(w->state[i].next_attempt_mono - mono_of(w),
                         w->fresh[i].next_update - w->t0);
        ck_assert_int_eq(w->state[i].next_attempt - w->t0,
                         w->state[i].next_attempt_mono - mono_of(w));
    }
    ck_assert_int_ne(res.next_due_mono, 0);
    ck_assert_int_eq(res.next_due_mono, w->state[0].next_attempt_mono);
    /* A second pass at the same time has nothing to do. */
    res = maintenance(w);
    ck_assert_int_eq(res.due, 0);
    ck_assert_int_eq(w->calls, 2);
    ck_assert_int_eq(res.served, 2);
}
END_TEST

/* A responder handing out an older (still valid) response than the one held
 * must not roll the staple, the cache or the store back. */
START_TEST(older_response_never_replaces_newer)
{
    world_t *w = world_started("A", WITH_STORE | WITH_FLEET);
    resp_t newer = good_at(w, 0, -MINUTES(10), HOURS(4));
    resp_t older = good_at(w, 0, -HOURS(1), HOURS(3));
    int puts;

    answer_with(w, 0, newer);
    maintenance(w);
    assert_holds(w, 0, &newer, OCSPR_SOURCE_NETWORK);
    puts = w->fleet_puts[0];

    answer_with(w, 0, older);
    ocspr_engine_request_refresh(w->engine, &w->cert[0]);
    maintenance(w);
    ck_assert_int_eq(w->fetches[0], 2);
    assert_holds(w, 0, &newer, OCSPR_SOURCE_NETWORK);
    assert_cached(w, 0, &newer);
    assert_slot_is(&w->store[0], newer.der, newer.len, "the store (the older response was saved)");
    ck_assert_msg(w->fleet_puts[0] == puts, "the older response was published to the fleet");
    ck_assert_int_eq(w->state[0].served, 1);
}
END_TEST

/* Every kind of failure: the good response stays held, in the cache and in
 * the store, until its nextUpdate; then it is forgotten. */
typedef struct {
    const char *name;
    ocspr_outcome_t transport;          /* what the transport reports */
    int body;                           /* with OK: 0 garbage, 1 another certificate's response,
                                         * 2 tryLater */
    ocspr_outcome_t expected;           /* the outcome recorded */
} failure_case_t;

static const failure_case_t failure_cases[] = {
    { "connection refused", OCSPR_OUTCOME_REFUSED, 0, OCSPR_OUTCOME_REFUSED },
    { "HTTP 500", OCSPR_OUTCOME_HTTP_STATUS, 0, OCSPR_OUTCOME_HTTP_STATUS },
    { "timeout", OCSPR_OUTCOME_TIMEOUT, 0, OCSPR_OUTCOME_TIMEOUT },
    { "garbage body", OCSPR_OUTCOME_OK, 0, OCSPR_OUTCOME_INVALID },
    { "another certificate's response", OCSPR_OUTCOME_OK, 1, OCSPR_OUTCOME_INVALID },
    { "tryLater", OCSPR_OUTCOME_OK, 2, OCSPR_OUTCOME_RESPONDER },
};

static void answer_failure_case(world_t *w, const failure_case_t *fc)
{
    static const unsigned char garbage[] = "<html><body>503 Service Unavailable</body></html>";
    static const unsigned char try_later[] = { 0x30, 0x03, 0x0a, 0x01, 0x03 };
    resp_t body;

    if (fc->transport != OCSPR_OUTCOME_OK) {
        answer_failure(w, 0, fc->transport);
        return;
    }
    memset(&body, 0, sizeof(body));
    if (fc->body == 0) {
        body.der = garbage;
        body.len = sizeof(garbage) - 1;
    }
    else if (fc->body == 1) {
        body = w->fresh[1];
    }
    else {
        body.der = try_later;
        body.len = sizeof(try_later);
    }
    answer_with(w, 0, body);
}

START_TEST(error_never_replaces_good_response)
{
    const failure_case_t *fc = &failure_cases[_i];
    world_t *w = world_started("AA", WITH_STORE);
    const resp_t good = w->fresh[0];
    ocspr_pass_result_t res;
    int puts, saves, passes;

    maintenance(w);
    puts = w->cache_puts[0];
    saves = w->store_saves[0];
    answer_failure_case(w, fc);
    advance_to_next_attempt(w, 0);
    res = maintenance(w);
    ck_assert_msg(res.failed == 1, "%s: %d failures counted", fc->name, res.failed);
    assert_holds(w, 0, &good, OCSPR_SOURCE_NETWORK);
    assert_cached(w, 0, &good);
    ck_assert_msg(w->cache_puts[0] == puts, "%s: the serving cache was written", fc->name);
    ck_assert_msg(w->store_saves[0] == saves, "%s: the store was written", fc->name);
    ck_assert_int_eq(w->state[0].served, 1);
    ck_assert_int_eq(w->state[0].consecutive_failures, 1);
    ck_assert_msg(w->state[0].last_outcome == (int)fc->expected, "%s: last outcome %s",
                  fc->name, ocspr_outcome_name(w->state[0].last_outcome));
    ck_assert_int_eq(w->state[0].outcomes[fc->expected], 1);
    ck_assert_msg(w->state[0].last_reason[0] != '\0', "%s: no reason recorded", fc->name);
    ck_assert_int_eq(w->state[0].last_attempt, w->wall);
    /* The retry comes after a backoff, before nextUpdate. */
    ck_assert_int_gt(w->state[0].next_attempt_mono, mono_of(w));
    ck_assert_int_lt(w->state[0].next_attempt_mono - mono_of(w), good.next_update - w->wall);

    /* Keep failing up to the last second of validity: still held and served. */
    for (passes = 0; passes < 60 && w->state[0].next_attempt_mono - mono_of(w)
                                        < good.next_update - w->wall; passes++) {
        advance_to_next_attempt(w, 0);
        maintenance(w);
        assert_holds(w, 0, &good, OCSPR_SOURCE_NETWORK);
    }
    ck_assert_int_lt(passes, 60);
    ck_assert_int_gt(w->state[0].consecutive_failures, 1);
    if (w->wall < good.next_update - SEC(1)) {
        advance(w, good.next_update - SEC(1) - w->wall);
    }
    maintenance(w);
    assert_holds(w, 0, &good, OCSPR_SOURCE_NETWORK);
    ck_assert_int_eq(w->state[0].served, 1);
    assert_slot_is(&w->store[0], good.der, good.len, "the store");
}
END_TEST

/* At nextUpdate (wall clock) the response is forgotten, the backoff starts
 * over (the retries near nextUpdate were quick ones and must not leave a
 * long backoff behind), and a fetch is tried in the same pass. */
START_TEST(expiry_forgets_response_and_restarts_backoff)
{
    world_t *w = world_started("A", 0);
    const resp_t good = w->fresh[0];
    int i, calls;

    maintenance(w);
    answer_failure(w, 0, OCSPR_OUTCOME_REFUSED);
    for (i = 0; i < 4; i++) {
        advance_to_next_attempt(w, 0);
        ck_assert_int_lt(w->wall, good.next_update);
        maintenance(w);
    }
    ck_assert_int_eq(w->state[0].consecutive_failures, 4);
    assert_holds(w, 0, &good, OCSPR_SOURCE_NETWORK);

    advance(w, good.next_update - w->wall);
    ck_assert_int_eq(ocspr_engine_decide(&w->state[0], w->wall, mono_of(w)), OCSPR_ACTION_EXPIRED);
    calls = w->calls;
    maintenance(w);
    ck_assert_int_eq(w->state[0].cert_status, OCSPR_CERT_STATUS_NONE);
    ck_assert_int_eq(w->state[0].served, 0);
    ck_assert_msg(w->calls == calls + 1, "expiry did not fetch in the same pass");
    ck_assert_msg(w->state[0].consecutive_failures == 1, "after expiry and one failure the "
                  "backoff counts %d failures", w->state[0].consecutive_failures);
    /* The first step of the backoff again (no jitter here): backoff_min. */
    ck_assert_int_le(w->state[0].next_attempt_mono - mono_of(w), w->cfg.policy.backoff_min);
    ck_assert_int_ge(w->state[0].next_attempt_mono - mono_of(w), w->cfg.policy.min_retry);

    /* The responder returns: the next attempt finds it. */
    answer_with(w, 0, good_at(w, 0, HOURS(2), HOURS(4)));
    advance_to_next_attempt(w, 0);
    maintenance(w);
    ck_assert_int_eq(w->state[0].cert_status, OCSPR_CERT_STATUS_GOOD);
    ck_assert_int_eq(w->state[0].consecutive_failures, 0);
    ck_assert_int_eq(w->state[0].served, 1);
}
END_TEST

/* A responder may hand out a response already past our refresh point (CAs
 * pre-generate them). Taking it must not make every pass fetch again. */
START_TEST(response_past_refresh_point_is_not_refetched_in_a_loop)
{
    world_t *w = world_started("A", 0);
    resp_t stale = good_at(w, 0, -MINUTES(50), MINUTES(10));
    int i;

    answer_with(w, 0, stale);
    maintenance(w);
    assert_holds(w, 0, &stale, OCSPR_SOURCE_NETWORK);
    for (i = 0; i < 5; i++) {
        maintenance(w);
        advance(w, SEC(20));
    }
    ck_assert_msg(w->fetches[0] == 1, "%d fetches in 6 passes over 100 s", w->fetches[0]);
    ck_assert_int_gt(w->state[0].next_attempt_mono, mono_of(w));
    /* It is refreshed again before it expires, not forgotten. */
    advance_to_next_attempt(w, 0);
    ck_assert_int_lt(w->wall, stale.next_update);
    maintenance(w);
    ck_assert_int_eq(w->fetches[0], 2);
}
END_TEST

/* ---- the startup pass --------------------------------------------------- */

/* The deadline passes while a fetch is in flight: that is the start's limit,
 * not the responder's failure, and the certificate is due at once for the
 * leader. The same timeout in a maintenance pass is a failure. */
START_TEST(startup_cut_off_is_not_a_failure)
{
    world_t *w = world_started("A", 0);
    apr_time_t deadline = mono_of(w) + SEC(5);
    ocspr_pass_result_t res;
    const ocspr_cert_state_t *st = &w->state[0];

    w->responder[RESPONDER_A].hold = HOLD_THEN_TIMEOUT;
    w->responder[RESPONDER_A].hold_for = apr_time_from_msec(1500);
    w->responder[RESPONDER_A].mono_cost = SEC(6);
    res = run_pass(w, OCSPR_PASS_STARTUP, deadline);
    ck_assert_int_eq(w->calls, 1);
    ck_assert_int_eq(res.due, 1);
    ck_assert_int_eq(res.cut_off, 1);
    ck_assert_int_eq(res.failed, 0);
    ck_assert_int_eq(st->consecutive_failures, 0);
    ck_assert_int_eq(st->cert_status, OCSPR_CERT_STATUS_NONE);
    ck_assert_int_le(st->next_attempt_mono, mono_of(w));
    ck_assert_int_eq(ocspr_engine_decide(st, w->wall, mono_of(w)), OCSPR_ACTION_FETCH);
    ck_assert_int_ne(res.next_due_mono, 0);
    ck_assert_int_le(res.next_due_mono, mono_of(w));
    ck_assert_msg(!logged_at_most(w, OCSPR_LOG_ERR, NULL), "a cut-off was logged as an error");

    /* The leader's pass: the same timeout is the responder's failure. */
    w->responder[RESPONDER_A].mono_cost = 0;
    w->responder[RESPONDER_A].hold_for = apr_time_from_msec(10);
    res = maintenance(w);
    ck_assert_int_eq(w->calls, 2);
    ck_assert_int_eq(res.failed, 1);
    ck_assert_int_eq(res.cut_off, 0);
    ck_assert_int_eq(st->consecutive_failures, 1);
    ck_assert_int_eq(st->last_outcome, OCSPR_OUTCOME_TIMEOUT);
    ck_assert_int_gt(st->next_attempt_mono, mono_of(w));
}
END_TEST

/* The deadline passes during the first of three fetches made one at a
 * time: the two never started are cut off too, and all three are due at
 * once for the leader. */
START_TEST(startup_deadline_cuts_off_what_never_started)
{
    world_t *w = world_new("AAA", 0);
    ocspr_pass_result_t res;
    int i;

    w->cfg.max_inflight = 1;
    w->responder[RESPONDER_A].hold = HOLD_THEN_TIMEOUT;
    w->responder[RESPONDER_A].hold_for = apr_time_from_msec(1500);
    w->responder[RESPONDER_A].mono_cost = SEC(6);
    world_start(w);
    res = run_pass(w, OCSPR_PASS_STARTUP, mono_of(w) + SEC(5));
    ck_assert_int_eq(w->calls, 1);
    ck_assert_int_eq(res.due, 3);
    ck_assert_int_eq(res.cut_off, 3);
    ck_assert_int_eq(res.failed, 0);
    for (i = 0; i < w->n; i++) {
        ck_assert_int_eq(w->state[i].consecutive_failures, 0);
        ck_assert_int_eq(ocspr_engine_decide(&w->state[i], w->wall, mono_of(w)), OCSPR_ACTION_FETCH);
    }
    ck_assert_int_ne(res.next_due_mono, 0);
    ck_assert_int_le(ocspr_engine_sleep_time(w->engine, &res), w->cfg.policy.min_retry);
}
END_TEST

/* A startup pass fetches only what is missing or due: a fresh stored
 * response is served without asking the responder. */
START_TEST(startup_pass_skips_fresh_stored_responses)
{
    world_t *w = world_new("AA", WITH_STORE);
    ocspr_pass_result_t res;

    slot_set(w, &w->store[0], w->fresh[0].der, w->fresh[0].len, 0);
    world_start(w);
    ck_assert_int_eq(ocspr_engine_load_store(w->engine, w->pool), 1);
    res = run_pass(w, OCSPR_PASS_STARTUP, mono_of(w) + SEC(5));
    ck_assert_int_eq(w->fetches[0], 0);
    ck_assert_int_eq(w->fetches[1], 1);
    ck_assert_int_eq(res.due, 1);
    assert_holds(w, 0, &w->fresh[0], OCSPR_SOURCE_STORE);
    assert_holds(w, 1, &w->fresh[1], OCSPR_SOURCE_NETWORK);
}
END_TEST

/* The store at a start: a valid file is taken and served, damaged or
 * foreign ones are logged and ignored, nothing reaches the network. */
START_TEST(load_store_validates_every_file)
{
    world_t *w = world_new("AAAAA", WITH_STORE);
    static const unsigned char random_bytes[] = "\x30\x82\x01\x00not an OCSP response at all";
    const resp_t expired = good_at(w, 3, -HOURS(3), -HOURS(1));

    slot_set(w, &w->store[0], w->fresh[0].der, w->fresh[0].len, 0);
    slot_set(w, &w->store[1], random_bytes, sizeof(random_bytes) - 1, 0);
    slot_set(w, &w->store[2], w->fresh[4].der, w->fresh[4].len, 0);    /* another certificate's */
    slot_set(w, &w->store[3], expired.der, expired.len, 0);
    world_start(w);
    ck_assert_int_eq(ocspr_engine_load_store(w->engine, w->pool), 1);
    world_check(w);
    ck_assert_int_eq(w->calls, 0);
    assert_holds(w, 0, &w->fresh[0], OCSPR_SOURCE_STORE);
    assert_cached(w, 0, &w->fresh[0]);
    ck_assert_int_eq(w->state[0].served, 1);
    ck_assert_int_eq(w->state[0].obtained, w->t0);
    ck_assert_int_eq(w->state[1].cert_status, OCSPR_CERT_STATUS_NONE);
    ck_assert_int_eq(w->state[2].cert_status, OCSPR_CERT_STATUS_NONE);
    ck_assert_int_eq(w->state[3].cert_status, OCSPR_CERT_STATUS_NONE);
    ck_assert_int_eq(w->state[4].cert_status, OCSPR_CERT_STATUS_NONE);
    ck_assert(!w->cache[1].present && !w->cache[2].present && !w->cache[3].present);
    ck_assert_msg(logged_at_most(w, OCSPR_LOG_WARNING, NULL), "damaged store files were not "
                  "logged as warnings");
}
END_TEST

/* A response that merely expired while the server was down is normal: INFO. */
START_TEST(load_store_expired_file_is_info)
{
    world_t *w = world_new("A", WITH_STORE);
    const resp_t expired = good_at(w, 0, -HOURS(3), -HOURS(1));

    slot_set(w, &w->store[0], expired.der, expired.len, 0);
    world_start(w);
    ck_assert_int_eq(ocspr_engine_load_store(w->engine, w->pool), 0);
    ck_assert_int_eq(w->state[0].cert_status, OCSPR_CERT_STATUS_NONE);
    ck_assert_msg(!logged_at_most(w, OCSPR_LOG_WARNING, NULL), "an expired store file was "
                  "logged at WARNING or above: %s", w->nlog ? w->log[0].msg : "");
    ck_assert_msg(logged_at_most(w, OCSPR_LOG_INFO, NULL), "an expired store file was not "
                  "logged at INFO");
}
END_TEST

/* ---- the schedule and the clocks ---------------------------------------- */

/* The wall clock steps back 4 minutes (an NTP correction): the refresh due
 * in 2 minutes still happens in 2 minutes. A step forward does not hurry it. */
START_TEST(wall_clock_steps_do_not_move_the_schedule)
{
    world_t *w = world_new("A", 0);
    resp_t first = good_at(w, 0, -MINUTES(1), MINUTES(5));
    resp_t second = good_at(w, 0, -SEC(30), MINUTES(10));
    apr_interval_time_t until_due;

    world_start(w);
    answer_with(w, 0, first);
    maintenance(w);
    until_due = w->state[0].next_attempt_mono - mono_of(w);
    ck_assert_int_gt(until_due, SEC(30));
    ck_assert_int_le(until_due, MINUTES(3));

    /* Forward by a whole refresh period: the schedule does not move. */
    step_wall(w, MINUTES(3));
    maintenance(w);
    ck_assert_msg(w->fetches[0] == 1, "a forward step of the wall clock hurried the refresh");
    step_wall(w, -MINUTES(3));

    /* Back 4 minutes, then the time until due passes. */
    answer_with(w, 0, second);
    step_wall(w, -MINUTES(4));
    advance(w, until_due - SEC(1));
    maintenance(w);
    ck_assert_int_eq(w->fetches[0], 1);
    advance(w, SEC(1));
    maintenance(w);
    ck_assert_msg(w->fetches[0] == 2, "the refresh stalled after the wall clock stepped back");
    assert_holds(w, 0, &second, OCSPR_SOURCE_NETWORK);
}
END_TEST

/* "Refresh now" between passes: the next pass fetches, once. */
START_TEST(refresh_request_is_served_once)
{
    world_t *w = world_started("AA", 0);

    maintenance(w);
    ocspr_engine_request_refresh(w->engine, &w->cert[1]);
    ck_assert_int_eq(w->state[1].refresh_requested, 1);
    maintenance(w);
    ck_assert_int_eq(w->fetches[0], 1);
    ck_assert_int_eq(w->fetches[1], 2);
    ck_assert_int_eq(w->state[1].refresh_requested, 0);
    maintenance(w);
    ck_assert_int_eq(w->fetches[1], 2);
}
END_TEST

static void request_refresh_of_cert1(world_t *w, int cert, int call)
{
    (void)call;
    if (cert == 0) {
        ocspr_engine_request_refresh(w->engine, &w->cert[1]);
    }
}

/* "Refresh now" for a certificate that is not due, arriving while the pass
 * is busy with another: not lost. It is fetched by this pass or the next
 * (whichever it reached), exactly once, and the leader does not sleep a
 * whole interval before that next pass. */
START_TEST(refresh_request_during_pass_is_not_lost)
{
    world_t *w = world_new("AA", 0);
    ocspr_pass_result_t res;
    apr_interval_time_t sleep;
    apr_time_t start;

    w->cfg.policy.check_interval = SEC(20);
    w->cfg.policy.min_retry = SEC(1);
    w->mono_live = 1;                   /* real waits below */
    w->mono_live_since = apr_time_now();
    world_start(w);
    maintenance(w);
    ocspr_engine_request_refresh(w->engine, &w->cert[0]);
    /* Take up the wake this request may have left, so that only one made
     * during the pass can end the wait below early. */
    ocspr_engine_wait(w->engine, apr_time_from_msec(50));
    w->during_fetch = request_refresh_of_cert1;
    res = maintenance(w);
    w->during_fetch = NULL;
    ck_assert_int_eq(w->fetches[0], 2);
    if (w->fetches[1] == 1) {
        ck_assert_msg(w->state[1].refresh_requested
                      && ocspr_engine_decide(&w->state[1], w->wall, mono_of(w)) == OCSPR_ACTION_FETCH,
                      "the request was dropped by the pass that was running");
        /* The leader's sleep after this pass ends at once or within a second. */
        sleep = ocspr_engine_sleep_time(w->engine, &res);
        start = apr_time_now();
        ck_assert_int_eq(ocspr_engine_wait(w->engine, sleep), 0);
        ck_assert_msg(apr_time_now() - start < apr_time_from_msec(1500), "the leader slept "
                      "%" APR_TIME_T_FMT " ms with a refresh request pending",
                      apr_time_as_msec(apr_time_now() - start));
        maintenance(w);
    }
    ck_assert_int_eq(w->fetches[1], 2);
    ck_assert_int_eq(w->state[1].refresh_requested, 0);
    maintenance(w);
    ck_assert_int_eq(w->fetches[1], 2);
}
END_TEST

static void request_refresh_of_same(world_t *w, int cert, int call)
{
    (void)call;
    ocspr_engine_request_refresh(w->engine, &w->cert[cert]);
}

/* A request that arrives while the certificate's own fetch is in flight:
 * that request was sent before the admin asked, so the next pass asks
 * again (the flag is cleared when a fetch starts, not when it ends). */
START_TEST(refresh_request_during_own_fetch_is_not_lost)
{
    world_t *w = world_started("A", 0);

    maintenance(w);
    ocspr_engine_request_refresh(w->engine, &w->cert[0]);
    w->during_fetch = request_refresh_of_same;
    maintenance(w);
    w->during_fetch = NULL;
    ck_assert_int_eq(w->fetches[0], 2);
    ck_assert_msg(w->state[0].refresh_requested, "a request made during the certificate's own "
                  "fetch was cleared when that fetch ended");
    maintenance(w);
    ck_assert_int_eq(w->fetches[0], 3);
    ck_assert_int_eq(w->state[0].refresh_requested, 0);
}
END_TEST

START_TEST(must_staple_certificates_go_first)
{
    world_t *w = world_new("AAAAMAM", 0);

    w->cfg.max_inflight = 1;
    world_start(w);
    maintenance(w);
    ck_assert_int_eq(w->calls, 7);
    ck_assert_msg((w->order[0] == 4 || w->order[0] == 6) && (w->order[1] == 4 || w->order[1] == 6),
                  "the first requests were for certificates %d and %d", w->order[0], w->order[1]);
}
END_TEST

/* ---- concurrency --------------------------------------------------------- */

/* Twenty certificates behind two responders, every request held: the pass
 * fills max_inflight and never exceeds max_per_responder. */
START_TEST(concurrency_is_bounded_per_responder_and_overall)
{
    world_t *w = world_new("AAAAAAAAAABBBBBBBBBB", 0);
    const int overall = 5;
    bg_pass_t bg;
    int i;

    w->cfg.max_inflight = overall;
    w->cfg.max_per_responder = 3;
    w->responder[RESPONDER_A].hold = HOLD_UNTIL_RELEASED;
    w->responder[RESPONDER_B].hold = HOLD_UNTIL_RELEASED;
    world_start(w);
    bg_pass_start(&bg, w, OCSPR_PASS_MAINTENANCE, 0);
    bg_expect(&bg, inflight_is, &overall, apr_psprintf(w->pool, "fewer than %d requests were in "
              "flight at once (max_inflight %d)", overall, overall));
    apr_sleep(apr_time_from_msec(200));
    apr_thread_mutex_lock(w->mu);
    ck_assert_int_eq(w->inflight, overall);
    ck_assert_int_le(w->responder[RESPONDER_A].inflight, 3);
    ck_assert_int_le(w->responder[RESPONDER_B].inflight, 3);
    apr_thread_mutex_unlock(w->mu);
    release_all(w);
    bg_pass_join(&bg, REAL_WAIT, "the pass did not end once its requests were released");
    ck_assert_int_eq(w->calls, 20);
    ck_assert_int_eq(w->max_inflight, overall);
    ck_assert_int_le(w->responder[RESPONDER_A].max_inflight, 3);
    ck_assert_int_le(w->responder[RESPONDER_B].max_inflight, 3);
    ck_assert_int_eq(bg.res.fetched, 20);
    for (i = 0; i < w->n; i++) {
        assert_holds(w, i, &w->fresh[i], OCSPR_SOURCE_NETWORK);
    }
}
END_TEST

/* "http://ocsp-a.test/" and "http://ocsp-a.test:80/" are one responder:
 * the bound per responder counts them together. */
START_TEST(responder_bound_treats_default_port_as_same_host)
{
    world_t *w = world_new("AAAA", 0);
    const int one = 1;
    bg_pass_t bg;

    w->cert[1].url = "http://ocsp-a.test:80/ocsp";
    w->cert[3].url = "http://ocsp-a.test:80/other/path";
    w->cfg.max_per_responder = 1;
    w->responder[RESPONDER_A].hold = HOLD_UNTIL_RELEASED;
    world_start(w);
    bg_pass_start(&bg, w, OCSPR_PASS_MAINTENANCE, 0);
    bg_expect(&bg, inflight_is, &one, "no request started");
    apr_sleep(apr_time_from_msec(300));
    release_all(w);
    bg_pass_join(&bg, REAL_WAIT, "the pass did not end once its requests were released");
    ck_assert_int_eq(w->calls, 4);
    ck_assert_msg(w->responder[RESPONDER_A].max_inflight == 1, "%d requests at once to one "
                  "responder (max_per_responder 1) reached through two spellings of its URL",
                  w->responder[RESPONDER_A].max_inflight);
}
END_TEST

static int responder_b_all_held(world_t *w, const void *arg)
{
    int i, held = 0;

    (void)arg;
    for (i = 0; i < w->n; i++) {
        held += w->responder_of[i] == RESPONDER_B
                && state_of(w, i).cert_status == OCSPR_CERT_STATUS_GOOD;
    }
    return held == 8;
}

/* Responder A hangs, B answers at once: B's certificates (listed after A's)
 * are all fresh while A's are still waiting. */
START_TEST(slow_responder_does_not_delay_another)
{
    world_t *w = world_new("AAAAAAAABBBBBBBB", 0);
    bg_pass_t bg;
    int i, a_held = 0;

    w->responder[RESPONDER_A].hold = HOLD_UNTIL_RELEASED;
    world_start(w);
    bg_pass_start(&bg, w, OCSPR_PASS_MAINTENANCE, 0);
    bg_expect(&bg, responder_b_all_held, NULL,
              "responder B's certificates waited behind responder A's");
    for (i = 0; i < 8; i++) {
        a_held += state_of(w, i).cert_status != OCSPR_CERT_STATUS_NONE;
    }
    apr_thread_mutex_lock(w->mu);
    ck_assert_int_eq(w->responder[RESPONDER_A].inflight, OCSPR_ENGINE_MAX_PER_RESPONDER);
    apr_thread_mutex_unlock(w->mu);
    ck_assert_int_eq(a_held, 0);
    release_all(w);
    bg_pass_join(&bg, REAL_WAIT, "the pass did not end once its requests were released");
    ck_assert_int_eq(w->responder[RESPONDER_A].max_inflight, OCSPR_ENGINE_MAX_PER_RESPONDER);
    for (i = 0; i < w->n; i++) {
        assert_holds(w, i, &w->fresh[i], OCSPR_SOURCE_NETWORK);
    }
}
END_TEST

/* A stop from another thread while requests hang: the pass ends within a
 * second, the requests in flight see the cancel descriptor, no new one
 * starts, and none of it counts as the responder's failure. */
START_TEST(stop_cancels_inflight_fetches_and_ends_the_pass)
{
    world_t *w = world_new("AAAAAA", 0);
    const int two = 2;
    bg_pass_t bg;
    apr_time_t start;
    int i;

    w->cfg.max_per_responder = 2;
    w->responder[RESPONDER_A].hold = HOLD_UNTIL_RELEASED;
    world_start(w);
    bg_pass_start(&bg, w, OCSPR_PASS_MAINTENANCE, 0);
    bg_expect(&bg, inflight_is, &two, "the two requests allowed never started");
    start = apr_time_now();
    ocspr_engine_stop(w->engine);
    bg_pass_join(&bg, SEC(2), "the pass did not end within 2 s of the stop");
    ck_assert_msg(apr_time_now() - start < apr_time_from_msec(1500), "the pass took %"
                  APR_TIME_T_FMT " ms to end after the stop",
                  apr_time_as_msec(apr_time_now() - start));
    ck_assert_int_eq(w->cancelled, 2);
    ck_assert_int_eq(w->calls, 2);
    ck_assert_int_eq(bg.res.failed, 0);
    ck_assert_int_ge(bg.res.cut_off, 2);
    for (i = 0; i < w->n; i++) {
        ck_assert_int_eq(w->state[i].consecutive_failures, 0);
        ck_assert_int_eq(w->state[i].cert_status, OCSPR_CERT_STATUS_NONE);
    }
    ck_assert(ocspr_engine_stopping(w->engine));
    /* Stopped for good: every wait ends at once, no pass fetches again. */
    start = apr_time_now();
    ck_assert_int_ne(ocspr_engine_wait(w->engine, SEC(10)), 0);
    ck_assert_int_lt(apr_time_now() - start, SEC(1));
    maintenance(w);
    ck_assert_int_eq(w->calls, 2);
}
END_TEST

static void stop_on_second_call(world_t *w, int cert, int call)
{
    (void)cert;
    if (call == 1) {
        ocspr_engine_stop(w->engine);
    }
}

/* One request at a time: a stop during the second ends the pass there. */
START_TEST(stop_ends_the_pass_between_certificates)
{
    world_t *w = world_new("AAAAA", 0);

    w->cfg.max_inflight = 1;
    world_start(w);
    w->during_fetch = stop_on_second_call;
    maintenance(w);
    ck_assert_msg(w->calls == 2, "%d requests were made, the stop came during the second",
                  w->calls);
}
END_TEST

static void *APR_THREAD_FUNC wake_later(apr_thread_t *thread, void *data)
{
    apr_sleep(apr_time_from_msec(300));
    ocspr_engine_wake(data);
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

/* A wake from another thread ends a wait early, without stopping anything. */
START_TEST(wake_ends_a_wait)
{
    world_t *w = world_started("A", 0);
    apr_thread_t *t;
    apr_status_t trv;
    apr_time_t start = apr_time_now();

    w->mono_live = 1;
    w->mono_live_since = start;
    ck_assert_int_eq(apr_thread_create(&t, NULL, wake_later, w->engine, w->pool), APR_SUCCESS);
    ck_assert_int_eq(ocspr_engine_wait(w->engine, SEC(10)), 0);
    apr_thread_join(&trv, t);
    ck_assert_int_lt(apr_time_now() - start, SEC(3));
    ck_assert(!ocspr_engine_stopping(w->engine));
}
END_TEST

/* ---- the maintenance loop (ocspr_engine_run) ------------------------------ */

/* Runs use real time (a run sleeps for real), so the policy's shortest
 * interval keeps them short: the loop retries leadership and passes every
 * second. The fake clocks move only when a test moves them: a fresh
 * response stays fresh. */
static void world_contends(world_t *w)
{
    w->ops.leader_trylock = fake_leader_trylock;
    w->ops.leader_unlock = fake_leader_unlock;
    w->ops.server_stopping = fake_server_stopping;
    w->cfg.policy.check_interval = SEC(1);
    w->cfg.policy.min_retry = SEC(1);
}

/* ocspr_engine_run on its own thread, as a child's maintenance thread. */
typedef struct {
    world_t *w;
    apr_pool_t *p;
    apr_thread_t *thread;
    int done;                           /* under w->mu */
    apr_time_t ended;                   /* real time */
} bg_run_t;

static void *APR_THREAD_FUNC bg_run_main(apr_thread_t *thread, void *data)
{
    bg_run_t *bg = data;

    ocspr_engine_run(bg->w->engine, bg->p);
    apr_thread_mutex_lock(bg->w->mu);
    bg->done = 1;
    bg->ended = apr_time_now();
    apr_thread_cond_broadcast(bg->w->changed);
    apr_thread_mutex_unlock(bg->w->mu);
    apr_thread_exit(thread, APR_SUCCESS);
    return NULL;
}

static void bg_run_start(bg_run_t *bg, world_t *w)
{
    memset(bg, 0, sizeof(*bg));
    bg->w = w;
    ck_assert_int_eq(apr_pool_create(&bg->p, w->pool), APR_SUCCESS);
    ck_assert_int_eq(apr_thread_create(&bg->thread, NULL, bg_run_main, bg, w->pool), APR_SUCCESS);
}

static int run_done(world_t *w, const void *arg)
{
    const bg_run_t *bg = arg;
    int done;

    apr_thread_mutex_lock(w->mu);
    done = bg->done;
    apr_thread_mutex_unlock(w->mu);
    return done;
}

/* Join the run. One that does not end within `limit` is stopped (so the
 * test fails with `why` instead of hanging, and no thread outlives it). */
static void bg_run_join(bg_run_t *bg, apr_interval_time_t limit, const char *why)
{
    apr_status_t trv;
    int ended = wait_until(bg->w, run_done, bg, limit);

    if (!ended) {
        ocspr_engine_stop(bg->w->engine);
        ck_assert_msg(wait_until(bg->w, run_done, bg, REAL_WAIT),
                      "the run never ended, even after ocspr_engine_stop");
    }
    apr_thread_join(&trv, bg->thread);
    apr_pool_destroy(bg->p);
    ck_assert_msg(ended, "%s", why);
    world_check(bg->w);
}

/* While the run goes on: wait for pred, or stop the run, join and fail. */
static void bg_run_expect(bg_run_t *bg, world_pred_fn *pred, const void *arg,
                          apr_interval_time_t limit, const char *why)
{
    if (!wait_until(bg->w, pred, arg, limit)) {
        ocspr_engine_stop(bg->w->engine);
        bg_run_join(bg, REAL_WAIT, "the run did not end after ocspr_engine_stop");
        ck_abort_msg("%s", why);
    }
}

/* Stop the run; it must end within a second and a half. */
static void bg_run_stop(bg_run_t *bg)
{
    apr_time_t at = apr_time_now();

    ocspr_engine_stop(bg->w->engine);
    bg_run_join(bg, SEC(3), "the run did not end within 3 s of ocspr_engine_stop");
    ck_assert_msg(bg->ended - at < apr_time_from_msec(1500), "the run took %" APR_TIME_T_FMT
                  " ms to end after ocspr_engine_stop", apr_time_as_msec(bg->ended - at));
}

/* The shared header, read under the real lock while the run goes on. */
static ocspr_engine_shared_t shared_of(world_t *w)
{
    ocspr_engine_shared_t sh;

    apr_thread_mutex_lock(w->state_mu);
    sh = w->shared;
    apr_thread_mutex_unlock(w->state_mu);
    return sh;
}

/* The leader's last pass was at wall time *arg or later. */
static int passed_at(world_t *w, const void *arg)
{
    return shared_of(w).last_pass >= *(const apr_time_t *)arg;
}

static int fetched_at_least(world_t *w, const void *arg)
{
    const int *want = arg;              /* { certificate, fetches } */
    int n;

    apr_thread_mutex_lock(w->mu);
    n = w->fetches[want[0]];
    apr_thread_mutex_unlock(w->mu);
    return n >= want[1];
}

static int leader_tried(world_t *w, const void *arg)
{
    int n;

    apr_thread_mutex_lock(w->mu);
    n = w->leader_trylocks;
    apr_thread_mutex_unlock(w->mu);
    return n >= *(const int *)arg;
}

/* The "OCSP pass:" line: the leader is about to sleep. */
static int pass_logged(world_t *w, const void *arg)
{
    (void)arg;
    return logged_at_most(w, OCSPR_LOG_DEBUG, "OCSP pass:");
}

/* The process that takes the leader lock says so in the shared header,
 * runs passes, and on a stop ends within a second and resigns. */
START_TEST(run_leader_records_itself_and_resigns)
{
    world_t *w = world_new("A", 0);
    ocspr_engine_shared_t during;
    apr_time_t second_pass;
    bg_run_t bg;

    world_contends(w);
    world_start(w);
    bg_run_start(&bg, w);
    bg_run_expect(&bg, passed_at, &w->t0, SEC(3), "the leader made no pass within 3 s");
    during = shared_of(w);
    /* The next pass comes a check interval later, from the same leader. */
    advance(w, SEC(1));
    second_pass = w->t0 + SEC(1);
    bg_run_expect(&bg, passed_at, &second_pass, SEC(3),
                  "the leader made no second pass within 3 s (check interval 1 s)");
    bg_run_stop(&bg);

    ck_assert_int_eq(during.leader_pid, (long)getpid());
    ck_assert_int_eq(during.leader_since, w->t0);
    ck_assert_int_eq(during.last_pass, w->t0);
    ck_assert_int_eq(w->fetches[0], 1);
    assert_holds(w, 0, &w->fresh[0], OCSPR_SOURCE_NETWORK);
    assert_cached(w, 0, &w->fresh[0]);
    ck_assert_msg(logged_at_most(w, OCSPR_LOG_NOTICE, "now refreshes OCSP responses for 1 "
                                 "certificates"), "the new leader did not say so");
    ck_assert_int_eq(w->shared.last_pass, second_pass);
    /* A leader keeps the lock: it does not take it again every interval. */
    ck_assert_int_eq(w->leader_trylocks, 1);
    ck_assert_msg(w->shared.leader_pid == 0, "the leader did not resign: leader_pid %ld",
                  w->shared.leader_pid);
    ck_assert_int_eq(w->leader_unlocks, 1);
    ck_assert_int_eq(w->bad_leader_unlocks, 0);
    ck_assert(!w->leader_held);
    ck_assert(ocspr_engine_stopping(w->engine));
}
END_TEST

/* While another process holds the leader lock, this one asks again every
 * check interval and does nothing else: no fetch, no write to the header.
 * Once the lock is free (its holder died), it takes over. */
START_TEST(run_follower_never_fetches_until_it_leads)
{
    world_t *w = world_new("A", 0);
    const int two_tries = 2, first_fetch[2] = { 0, 1 };
    ocspr_engine_shared_t as_follower, as_leader;
    int calls_as_follower, tries_as_follower;
    bg_run_t bg;

    world_contends(w);
    w->leader_elsewhere = 1;
    w->shared.leader_pid = 424242;      /* the process that leads */
    w->shared.leader_since = w->t0 - HOURS(1);
    world_start(w);
    bg_run_start(&bg, w);
    bg_run_expect(&bg, leader_tried, &two_tries, SEC(3),
                  "the leader lock was not asked for again within a check interval");
    as_follower = shared_of(w);
    apr_thread_mutex_lock(w->mu);
    calls_as_follower = w->calls;
    tries_as_follower = w->leader_trylocks;
    w->leader_elsewhere = 0;
    apr_thread_mutex_unlock(w->mu);
    bg_run_expect(&bg, fetched_at_least, first_fetch, SEC(3),
                  "the follower did not take over within 3 s of the leader lock coming free");
    as_leader = shared_of(w);
    bg_run_stop(&bg);

    ck_assert_msg(calls_as_follower == 0, "a follower made %d requests", calls_as_follower);
    ck_assert_int_eq(as_follower.leader_pid, 424242);
    ck_assert_int_eq(as_follower.leader_since, w->t0 - HOURS(1));
    ck_assert_int_eq(as_follower.last_pass, 0);
    ck_assert_int_ge(tries_as_follower, 2);
    ck_assert_int_eq(as_leader.leader_pid, (long)getpid());
    ck_assert_int_eq(as_leader.leader_since, w->t0);
    ck_assert_int_eq(w->fetches[0], 1);
    /* Only the lock it took is released. */
    ck_assert_int_eq(w->leader_unlocks, 1);
    ck_assert_int_eq(w->bad_leader_unlocks, 0);
}
END_TEST

/* server_stopping ends the run as a stop does, within a second. With no
 * leader lock at all the process leads. */
START_TEST(run_ends_when_the_server_stops)
{
    world_t *w = world_new("A", 0);
    const int first_fetch[2] = { 0, 1 };
    apr_time_t at;
    long leader_pid;
    int asks;
    bg_run_t bg;

    world_contends(w);
    w->ops.leader_trylock = NULL;
    w->ops.leader_unlock = NULL;
    world_start(w);
    bg_run_start(&bg, w);
    bg_run_expect(&bg, fetched_at_least, first_fetch, SEC(3),
                  "a process without a leader lock did not lead");
    leader_pid = shared_of(w).leader_pid;
    apr_thread_mutex_lock(w->mu);
    asks = w->stopping_asks;
    w->server_going = 1;
    apr_thread_mutex_unlock(w->mu);
    at = apr_time_now();
    bg_run_join(&bg, SEC(3), "the run did not end within 3 s of server_stopping");

    ck_assert_msg(bg.ended - at < apr_time_from_msec(1500), "the run took %" APR_TIME_T_FMT
                  " ms to end after server_stopping", apr_time_as_msec(bg.ended - at));
    ck_assert_int_eq(leader_pid, (long)getpid());
    ck_assert_int_gt(w->stopping_asks, asks);
    ck_assert(ocspr_engine_stopping(w->engine));
    ck_assert_int_eq(w->shared.leader_pid, 0);
    ck_assert_int_eq(w->leader_trylocks, 0);
}
END_TEST

/* "Refresh now" on another process's status page: that process has its own
 * engine over the same states and header, and no way to signal the
 * leader but the shared counter. The leader, asleep for a long interval,
 * fetches the fresh certificate again within a second or two. */
START_TEST(run_refresh_request_from_another_process_wakes_the_leader)
{
    world_t *w = world_new("AA", 0);
    const int refetch[2] = { 0, 2 };
    ocspr_engine_t *other;
    ocspr_cert_state_t before;
    apr_time_t at, fetched_at = 0;
    int refetched;
    bg_run_t bg;

    world_contends(w);
    w->cfg.policy.check_interval = SEC(30);
    world_start(w);
    ck_assert_int_eq(ocspr_engine_create(&other, w->pool, &w->cfg, &w->ops, w->cert_ptr, w->n),
                     APR_SUCCESS);
    bg_run_start(&bg, w);
    bg_run_expect(&bg, pass_logged, NULL, SEC(3), "the leader made no pass within 3 s");
    /* The line comes just before the sleep: let the leader settle into it. */
    apr_sleep(apr_time_from_msec(300));
    before = state_of(w, 0);
    at = apr_time_now();
    ocspr_engine_request_refresh(other, &w->cert[0]);
    refetched = wait_until(w, fetched_at_least, refetch, SEC(3));
    if (refetched) {
        fetched_at = apr_time_now();
    }
    bg_run_stop(&bg);

    ck_assert_int_eq(ocspr_engine_decide(&before, w->wall, mono_of(w)), OCSPR_ACTION_IDLE);
    ck_assert_msg(refetched, "another process's refresh request did not reach the leader "
                  "within 3 s (it sleeps %" APR_TIME_T_FMT " s)",
                  apr_time_sec(w->cfg.policy.check_interval));
    ck_assert_msg(fetched_at - at < SEC(2), "the request took %" APR_TIME_T_FMT " ms to reach "
                  "the leader", apr_time_as_msec(fetched_at - at));
    ck_assert_int_eq(w->shared.wakeups, 1);
    ck_assert_int_eq(w->state[0].refresh_requested, 0);
    ck_assert_int_eq(w->fetches[1], 1);
    ck_assert(!ocspr_engine_stopping(other));
}
END_TEST

/* A page's copy: every state, in the order given, and the header; all
 * zero when the lock fails. Nothing past ncerts is written. */
/* Another process's request that lands between the end of the leader's pass
 * (earliest_due has read refresh_requested) and the start of its sleep
 * (which reads the wake-up counter as its baseline). */
START_TEST(run_refresh_request_between_pass_and_sleep)
{
    world_t *w = world_new("AA", 0);
    const int refetch[2] = { 0, 2 };
    int refetched;
    bg_run_t bg;

    world_contends(w);
    w->cfg.policy.check_interval = SEC(30);
    world_start(w);
    ck_assert_int_eq(ocspr_engine_create(&w->request_at_pass_log, w->pool, &w->cfg, &w->ops,
                                         w->cert_ptr, w->n),
                     APR_SUCCESS);
    bg_run_start(&bg, w);
    refetched = wait_until(w, fetched_at_least, refetch, SEC(4));
    bg_run_stop(&bg);
    ck_assert_int_eq(w->requested_at_pass_log, 1);
    ck_assert_int_eq(w->state[0].refresh_requested, refetched ? 0 : 1);
    ck_assert_msg(refetched, "a refresh request made between the pass and the sleep waited "
                  "for the whole check interval (%" APR_TIME_T_FMT " s)",
                  apr_time_sec(w->cfg.policy.check_interval));
}
END_TEST

START_TEST(snapshot_copies_states_and_header_or_nothing)
{
    world_t *w = world_started("AB", 0);
    ocspr_cert_state_t copy[3], zero_state;
    ocspr_engine_shared_t header, zero_header;
    unsigned char untouched[sizeof(copy[2])];
    int i;

    maintenance(w);
    w->state[1].refresh_requested = 1;
    w->shared.leader_pid = 4321;
    w->shared.leader_since = w->t0 - MINUTES(5);
    w->shared.last_pass = w->t0;
    w->shared.wakeups = 7;
    w->shared.fleet.errors = 3;
    strcpy(w->shared.fleet.last_error, "writing to fake:fleet: no server");
    memset(copy, 0xa5, sizeof(copy));
    memset(&header, 0xa5, sizeof(header));
    memset(untouched, 0xa5, sizeof(untouched));
    ocspr_engine_snapshot(w->engine, copy, &header, w->pool);
    world_check(w);
    for (i = 0; i < 2; i++) {
        ck_assert_msg(memcmp(&copy[i], &w->state[i], sizeof(copy[i])) == 0,
                      "the copy of state %d differs", i);
    }
    ck_assert_int_eq(copy[1].refresh_requested, 1);
    ck_assert_int_eq(copy[0].this_update, w->fresh[0].this_update);
    ck_assert(memcmp(&header, &w->shared, sizeof(header)) == 0);
    ck_assert_int_eq(header.leader_pid, 4321);
    ck_assert_int_eq(header.wakeups, 7);
    ck_assert(memcmp(&copy[2], untouched, sizeof(untouched)) == 0);

    memset(&zero_state, 0, sizeof(zero_state));
    memset(&zero_header, 0, sizeof(zero_header));
    memset(copy, 0xa5, sizeof(copy));
    memset(&header, 0xa5, sizeof(header));
    w->lock_fail = 1;
    ocspr_engine_snapshot(w->engine, copy, &header, w->pool);
    ck_assert_int_gt(w->lock_failures, 0);
    for (i = 0; i < 2; i++) {
        ck_assert_msg(memcmp(&copy[i], &zero_state, sizeof(zero_state)) == 0,
                      "state %d was not zeroed when the lock failed", i);
    }
    ck_assert(memcmp(&header, &zero_header, sizeof(header)) == 0);
    ck_assert(memcmp(&copy[2], untouched, sizeof(untouched)) == 0);
}
END_TEST

/* ---- the serving cache check --------------------------------------------- */

/* A response evicted from the serving cache is put back from the store in
 * the next pass, without asking the responder. */
START_TEST(evicted_response_is_put_back_from_store)
{
    world_t *w = world_started("AA", WITH_STORE);
    ocspr_pass_result_t res;

    maintenance(w);
    w->cache[0].present = 0;
    res = maintenance(w);
    ck_assert_int_eq(res.healed, 1);
    ck_assert_int_eq(res.served, 2);
    ck_assert_int_eq(res.unservable, 0);
    ck_assert_int_eq(w->fetches[0], 1);
    assert_cached(w, 0, &w->fresh[0]);
    ck_assert_int_eq(w->state[0].served, 1);
    assert_holds(w, 0, &w->fresh[0], OCSPR_SOURCE_NETWORK);
}
END_TEST

/* A cache that drops what it is given (too small): counted, marked not
 * served, and the log names the cache so the admin knows what to enlarge. */
START_TEST(unservable_response_is_counted)
{
    world_t *w = world_new("AA", WITH_STORE);
    ocspr_pass_result_t res;

    w->cache_drops_puts[0] = 1;
    world_start(w);
    res = maintenance(w);
    ck_assert_int_eq(res.unservable, 1);
    ck_assert_int_eq(res.served, 1);
    ck_assert_int_eq(w->state[0].served, 0);
    ck_assert_int_eq(w->state[1].served, 1);
    ck_assert_int_eq(w->state[0].cert_status, OCSPR_CERT_STATUS_GOOD);
    ck_assert_msg(logged_at_most(w, OCSPR_LOG_WARNING, w->ops.cache.desc),
                  "no warning names the serving cache %s", w->ops.cache.desc);
    /* Once the cache keeps it again, it is served. */
    w->cache_drops_puts[0] = 0;
    res = maintenance(w);
    ck_assert_int_eq(res.unservable, 0);
    ck_assert_int_eq(res.served, 2);
    ck_assert_int_eq(w->state[0].served, 1);
}
END_TEST

/* A serving cache too small to keep a response is a local problem: asking
 * the responder again cannot fix it. Passes at the leader's shortest sleep
 * must not turn it into a request to the CA every few seconds. With a store
 * (which holds the response) no request at all is needed; without one, the
 * DER is gone and one request may be made, not one per pass. */
START_TEST(unservable_response_is_not_refetched_in_a_loop)
{
    const int with_store = _i;
    world_t *w = world_new("A", with_store ? WITH_STORE : 0);
    int pass;

    w->cache_drops_puts[0] = 1;
    world_start(w);
    for (pass = 0; pass < 6; pass++) {
        ocspr_pass_result_t res = maintenance(w);

        ck_assert_int_eq(res.unservable, 1);
        advance(w, w->cfg.policy.min_retry);
    }
    ck_assert_msg(w->fetches[0] <= (with_store ? 1 : 2), "%d requests to the responder in 6 "
                  "passes over %" APR_TIME_T_FMT " s because the serving cache drops the "
                  "response (%s store)", w->fetches[0], apr_time_sec(6 * w->cfg.policy.min_retry),
                  with_store ? "with a" : "without a");
    ck_assert_int_eq(w->state[0].cert_status, OCSPR_CERT_STATUS_GOOD);
}
END_TEST

/* ---- the state lock ------------------------------------------------------ */

/* A lock that fails: nothing of the state is written (not even by "refresh
 * now"), the failure is logged with a tag, and the engine recovers. */
START_TEST(lock_failure_leaves_state_untouched)
{
    world_t *w = world_started("AB", WITH_STORE);
    ocspr_cert_state_t before[2];
    int i, found = 0;

    maintenance(w);
    memcpy(before, w->state, sizeof(before));
    answer_with(w, 0, good_at(w, 0, MINUTES(59), HOURS(3)));
    w->lock_fail = 1;
    ocspr_engine_request_refresh(w->engine, &w->cert[1]);
    advance(w, HOURS(1));
    maintenance(w);
    ck_assert_int_gt(w->lock_failures, 0);
    ck_assert_msg(memcmp(before, w->state, sizeof(before)) == 0,
                  "the state was written while the lock failed");
    for (i = 0; i < w->nlog && !found; i++) {
        found = w->log[i].rv == LOCK_ERROR && w->log[i].tag != NULL
                && w->log[i].level <= OCSPR_LOG_WARNING;
    }
    ck_assert_msg(found, "no tagged warning carries the lock's error");

    w->lock_fail = 0;
    maintenance(w);
    ck_assert_int_eq(w->state[0].this_update, w->t0 + MINUTES(59));
}
END_TEST

/* ---- which responder ------------------------------------------------------- */

/* The override wins; otherwise the first AIA OCSP URL; none, a non-http://
 * one and one with bytes that are not visible ASCII each say why. */
START_TEST(responder_is_chosen_or_refused_with_a_reason)
{
    apr_pool_t *p = ocspr_test_pool;
    const char *why = "unset", *url;

    url = ocspr_engine_responder(ocspr_test_cert(p, "good"), NULL, &why, p);
    ck_assert_msg(url && !strncmp(url, "http://127.0.0.1:", 17), "good: %s", url ? url : why);
    ck_assert_ptr_null(why);
    url = ocspr_engine_responder(ocspr_test_cert(p, "noocsp"), "http://ocsp.example/", &why, p);
    ck_assert_str_eq(url, "http://ocsp.example/");

    ck_assert_ptr_null(ocspr_engine_responder(ocspr_test_cert(p, "noocsp"), NULL, &why, p));
    ck_assert_msg(strstr(why, "no OCSP responder") != NULL, "%s", why);
    ck_assert_ptr_null(ocspr_engine_responder(ocspr_test_cert(p, "httpsocsp"), NULL, &why, p));
    ck_assert_msg(strstr(why, "is not http://") != NULL, "%s", why);
    ck_assert_ptr_null(ocspr_engine_responder(ocspr_test_cert(p, "aianewline"), NULL, &why, p));
    ck_assert_msg(strstr(why, "0x0a") != NULL && !strchr(why, '\n'), "%s", why);
}
END_TEST

/* ---- the fleet ------------------------------------------------------------ */

/* Every pass looks at the fleet, so its health is current even when nothing
 * is due: an absent record is an answer, a write that finds no server (what
 * apr_memcache says then) is an error; the exchange filling again shows. */
START_TEST(fleet_health_follows_the_exchange)
{
    world_t *w = world_started("A", WITH_STORE | WITH_FLEET);

    maintenance(w);
    ck_assert_int_eq(w->shared.fleet.errors, 0);
    ck_assert_int_ne(w->shared.fleet.last_ok, 0);
    w->fleet_down = 1;
    advance(w, w->cfg.policy.min_retry);
    maintenance(w);
    ck_assert_int_gt(w->shared.fleet.errors, 0);
    ck_assert_int_eq(w->shared.fleet.last_error_time, w->wall);
    ck_assert_msg(strstr(w->shared.fleet.last_error, "writing to fake:fleet") != NULL,
                  "last error: %s", w->shared.fleet.last_error);
    ck_assert_int_eq(w->fetches[0], 1);

    /* After a refused offer the next pass does not offer (every refused
     * write is an error line of the socache provider); the one after does. */
    w->fleet_down = 0;
    w->fleet[0].present = 0;
    advance(w, w->cfg.policy.min_retry);
    maintenance(w);
    ck_assert_msg(w->shared.fleet.last_ok < w->shared.fleet.last_error_time,
                  "an absent record counted as good news");
    ck_assert_msg(!w->fleet[0].present, "offered again right after a refused offer");
    advance(w, w->cfg.policy.min_retry);
    maintenance(w);
    ck_assert_msg(w->fleet[0].present, "the emptied exchange did not get this host's response");
    ck_assert_int_eq(w->shared.fleet.last_ok, w->wall);
    ck_assert_int_eq(w->fetches[0], 1);
}
END_TEST

/* Due, and the fleet holds a newer valid response: take it, no fetch. */
START_TEST(fleet_response_is_adopted_before_fetch)
{
    world_t *w = world_started("A", WITH_STORE | WITH_FLEET);
    resp_t from_fleet = good_at(w, 0, MINUTES(50), HOURS(3));
    ocspr_pass_result_t res;

    maintenance(w);
    answer_with(w, 0, good_at(w, 0, MINUTES(55), HOURS(3)));
    fleet_holds_response(w, 0, &from_fleet);
    advance_to_next_attempt(w, 0);
    res = maintenance(w);
    ck_assert_msg(w->fetches[0] == 1, "the responder was asked although the fleet held a "
                  "newer response");
    ck_assert_int_eq(res.adopted, 1);
    ck_assert_int_eq(res.fetched, 0);
    assert_holds(w, 0, &from_fleet, OCSPR_SOURCE_FLEET);
    assert_cached(w, 0, &from_fleet);
    /* Stored too: a restart with the exchange and the responder down still
     * staples it. */
    ck_assert_msg(w->store[0].present && w->store[0].len == from_fleet.len
                  && !memcmp(w->store[0].data, from_fleet.der, from_fleet.len),
                  "the adopted response is not in the store");
    ck_assert_int_eq(w->state[0].fleet_adopted, 1);
    ck_assert_int_eq(w->state[0].fleet_rejected, 0);
    ck_assert_int_eq(w->state[0].served, 1);
    ck_assert_int_eq(w->state[0].consecutive_failures, 0);
    /* Scheduled from the adopted response: not due again at once. */
    ck_assert_int_gt(w->state[0].next_attempt_mono, mono_of(w));
    maintenance(w);
    ck_assert_int_eq(w->fetches[0], 1);
}
END_TEST

/* Our responder keeps failing (tryLater: it is shedding load) and the
 * fleet brings a fresh response: the next request to the responder waits
 * for that response's refresh point, not for the failure backoff, so that
 * the fleet still asks the CA about once per refresh period. */
START_TEST(adopted_response_is_refreshed_on_its_own_schedule)
{
    world_t *w = world_started("A", WITH_FLEET);
    resp_t from_fleet;
    apr_interval_time_t refresh_in;
    int i;

    maintenance(w);
    answer_failure(w, 0, OCSPR_OUTCOME_RESPONDER);
    for (i = 0; i < 3; i++) {
        advance_to_next_attempt(w, 0);
        maintenance(w);
    }
    ck_assert_int_eq(w->state[0].consecutive_failures, 3);
    from_fleet = good_at(w, 0, (w->wall - w->t0) - MINUTES(1), (w->wall - w->t0) + HOURS(4));
    fleet_holds_response(w, 0, &from_fleet);
    advance_to_next_attempt(w, 0);
    maintenance(w);
    assert_holds(w, 0, &from_fleet, OCSPR_SOURCE_FLEET);
    /* 50% of 4 h 1 min from thisUpdate, no jitter: about 2 h from now. */
    refresh_in = from_fleet.this_update + (from_fleet.next_update - from_fleet.this_update) / 2
                 - w->wall;
    ck_assert_msg(w->state[0].next_attempt_mono - mono_of(w) >= refresh_in - SEC(1),
                  "after adopting a response valid for 4 h the responder is asked again in %"
                  APR_TIME_T_FMT " s (its refresh point is in %" APR_TIME_T_FMT " s)",
                  apr_time_sec(w->state[0].next_attempt_mono - mono_of(w)),
                  apr_time_sec(refresh_in));
}
END_TEST

/* A fetched response is published; reading back our own record at the next
 * refresh is neither an adoption nor a rejection. */
START_TEST(fetched_response_is_published)
{
    world_t *w = world_started("A", WITH_FLEET);
    resp_t second = good_at(w, 0, MINUTES(59), HOURS(3));
    ocspr_record_t rec;

    maintenance(w);
    ck_assert_int_eq(w->fleet_puts[0], 1);
    ck_assert_int_eq(w->state[0].fleet_published, 1);
    ck_assert_int_eq(ocspr_record_decode(&rec, w->fleet[0].data, w->fleet[0].len, w->cert[0].id),
                     APR_SUCCESS);
    ck_assert(rec.der_len == w->fresh[0].len && memcmp(rec.der, w->fresh[0].der, rec.der_len) == 0);
    ck_assert_int_eq(rec.this_update, w->fresh[0].this_update);
    ck_assert_int_eq(rec.next_update, w->fresh[0].next_update);
    ck_assert_int_eq(rec.cert_status, OCSPR_CERT_STATUS_GOOD);
    ck_assert_int_eq(w->fleet[0].expiry, w->fresh[0].next_update);

    answer_with(w, 0, second);
    advance_to_next_attempt(w, 0);
    maintenance(w);
    ck_assert_int_eq(w->fetches[0], 2);
    ck_assert_int_eq(w->state[0].fleet_adopted, 0);
    ck_assert_msg(w->state[0].fleet_rejected == 0, "our own record was counted as rejected: %s",
                  w->state[0].fleet_reject_reason);
    ck_assert_int_eq(w->state[0].fleet_published, 2);
    ck_assert_int_eq(ocspr_record_decode(&rec, w->fleet[0].data, w->fleet[0].len, w->cert[0].id),
                     APR_SUCCESS);
    ck_assert_int_eq(rec.this_update, second.this_update);
}
END_TEST

static resp_t race_newer;

static void another_host_publishes(world_t *w, int cert, int call)
{
    (void)call;
    fleet_holds_response(w, cert, &race_newer);
}

/* Another host publishes a newer response while ours is being fetched: our
 * older one must not overwrite it. */
START_TEST(fleet_never_gets_an_older_response_after_a_fetch)
{
    world_t *w = world_started("A", WITH_FLEET);

    maintenance(w);
    answer_with(w, 0, good_at(w, 0, MINUTES(50), HOURS(3)));
    race_newer = good_at(w, 0, MINUTES(55), HOURS(3));
    advance_to_next_attempt(w, 0);
    w->during_fetch = another_host_publishes;
    maintenance(w);
    ck_assert_int_eq(w->fetches[0], 2);
    ck_assert_msg(w->fleet_regressions == 0, "an older response overwrote a newer one in the "
                  "fleet");
    ck_assert_int_ge(w->fleet_gets[0], 1);
}
END_TEST

/* A restarting host with an older stored response: the fleet's newer one is
 * neither overwritten nor ignored. */
START_TEST(fleet_never_gets_an_older_stored_response)
{
    world_t *w = world_new("A", WITH_STORE | WITH_FLEET);
    resp_t stored = good_at(w, 0, -HOURS(3), HOURS(1));
    resp_t newer = good_at(w, 0, -MINUTES(5), HOURS(3));
    apr_size_t len;
    unsigned char *rec = record_of(w, 0, &newer, newer.this_update, newer.next_update, &len);

    slot_set(w, &w->store[0], stored.der, stored.len, 0);
    fleet_holds(w, 0, rec, len);
    world_start(w);
    ck_assert_int_eq(ocspr_engine_load_store(w->engine, w->pool), 1);
    world_check(w);
    maintenance(w);
    ck_assert_int_eq(w->fleet_regressions, 0);
    assert_slot_is(&w->fleet[0], rec, len, "the fleet's newer record");
    ck_assert_int_eq(w->fetches[0], 0);
    assert_holds(w, 0, &newer, OCSPR_SOURCE_FLEET);
}
END_TEST

/* A host starting with its responder down staples the fleet's response. */
START_TEST(startup_with_responder_down_adopts_from_fleet)
{
    world_t *w = world_new("A", WITH_STORE | WITH_FLEET);
    ocspr_pass_result_t res;

    answer_failure(w, 0, OCSPR_OUTCOME_REFUSED);
    fleet_holds_response(w, 0, &w->fresh[0]);
    world_start(w);
    ck_assert_int_eq(ocspr_engine_load_store(w->engine, w->pool), 0);
    res = run_pass(w, OCSPR_PASS_STARTUP, mono_of(w) + SEC(5));
    ck_assert_int_eq(res.adopted, 1);
    ck_assert_int_eq(res.failed, 0);
    ck_assert_int_eq(w->calls, 0);
    assert_holds(w, 0, &w->fresh[0], OCSPR_SOURCE_FLEET);
    assert_cached(w, 0, &w->fresh[0]);
    ck_assert_int_eq(w->state[0].served, 1);
    ck_assert_int_eq(w->state[0].fleet_adopted, 1);
}
END_TEST

/* Forged fleet records, each put under our certificate's key while our
 * responder is down and our response is due: never adopted, each counted
 * and explained, our response kept and served. */
typedef enum {
    FORGE_RANDOM,           /* random bytes */
    FORGE_HEADER_RANDOM,    /* a well-formed newer header over random "DER" */
    FORGE_FOREIGN,          /* another certificate's genuine, newer record */
    FORGE_RELABELLED,       /* another certificate's response under a header with our id */
    FORGE_OLDER,            /* our own genuine, older record replayed */
    FORGE_EXPIRED,          /* a genuine response that has expired, honest header */
    FORGE_EXPIRED_LYING,    /* the same under a header claiming it is valid for hours */
    FORGE_BAD_SIGNER,       /* newer, signed by a certificate without OCSPSigning */
    FORGE_COUNT
} forgery_t;

static const char *const forgery_names[FORGE_COUNT] = {
    "random bytes", "valid header over random DER", "another certificate's record",
    "another certificate's response relabelled as ours",
    "older record replayed", "expired response", "expired response under a lying header",
    "response from an unauthorised signer"
};

static void forge(world_t *w, forgery_t kind)
{
    unsigned char noise[400];
    unsigned char *der;
    resp_t r;
    apr_size_t len;
    unsigned char *rec;

    ck_assert_int_eq(RAND_bytes(noise, sizeof(noise)), 1);
    switch (kind) {
    case FORGE_RANDOM:
        fleet_holds(w, 0, noise, sizeof(noise));
        return;
    case FORGE_HEADER_RANDOM:
        r.der = noise;
        r.len = sizeof(noise);
        rec = record_of(w, 0, &r, w->t0 + MINUTES(50), w->t0 + HOURS(3), &len);
        break;
    case FORGE_FOREIGN:
        r = good_at(w, 1, MINUTES(50), HOURS(3));
        rec = record_of(w, 1, &r, r.this_update, r.next_update, &len);
        break;
    case FORGE_RELABELLED:
        r = good_at(w, 1, MINUTES(50), HOURS(3));
        rec = record_of(w, 0, &r, r.this_update, r.next_update, &len);
        break;
    case FORGE_OLDER:
        r = good_at(w, 0, -MINUTES(30), HOURS(2));
        rec = record_of(w, 0, &r, r.this_update, r.next_update, &len);
        break;
    case FORGE_EXPIRED:
        r = good_at(w, 0, MINUTES(1), MINUTES(30));
        rec = record_of(w, 0, &r, r.this_update, r.next_update, &len);
        break;
    case FORGE_EXPIRED_LYING:
        r = good_at(w, 0, MINUTES(1), MINUTES(30));
        rec = record_of(w, 0, &r, r.this_update, w->t0 + HOURS(5), &len);
        break;
    case FORGE_BAD_SIGNER:
    default:
        r.this_update = w->t0 + MINUTES(50);
        r.next_update = w->t0 + HOURS(3);
        ocspr_test_signed_response(&der, &r.len, w->pool, w->leaf[0], "ocsp-noeku",
                                   V_OCSP_CERTSTATUS_GOOD, r.this_update, r.next_update);
        r.der = der;
        rec = record_of(w, 0, &r, r.this_update, r.next_update, &len);
        break;
    }
    fleet_holds(w, 0, rec, len);
}

START_TEST(forged_fleet_record_is_rejected)
{
    forgery_t kind = (forgery_t)_i;
    world_t *w = world_started("AA", WITH_FLEET);
    const resp_t good = w->fresh[0];
    ocspr_pass_result_t res;

    maintenance(w);
    forge(w, kind);
    answer_failure(w, 0, OCSPR_OUTCOME_REFUSED);
    advance_to_next_attempt(w, 0);
    ck_assert_int_lt(w->wall, good.next_update);
    res = maintenance(w);
    ck_assert_msg(res.adopted == 0 && w->state[0].fleet_adopted == 0, "%s: adopted",
                  forgery_names[kind]);
    assert_holds(w, 0, &good, OCSPR_SOURCE_NETWORK);
    assert_cached(w, 0, &good);
    ck_assert_int_eq(w->state[0].served, 1);
    ck_assert_msg(w->state[0].fleet_rejected == 1, "%s: %d rejections counted",
                  forgery_names[kind], (int)w->state[0].fleet_rejected);
    ck_assert_msg(w->state[0].fleet_reject_reason[0] != '\0', "%s: no reason given",
                  forgery_names[kind]);
    /* The responder was still asked (and failed): a forgery does not stand
     * in for a fetch. */
    ck_assert_int_eq(w->fetches[0], 2);
    ck_assert_int_eq(res.failed, 1);
    /* The other certificate is untouched. */
    ck_assert_int_eq(w->state[1].fleet_rejected, 0);
}
END_TEST

Suite *ocspr_suite_engine(void)
{
    Suite *s = suite_create("engine");
    TCase *decide = tcase_create("decide");
    TCase *refresh = tcase_create("refresh");
    TCase *concurrency = tcase_create("concurrency");
    TCase *fleet = tcase_create("fleet");
    TCase *run = tcase_create("run");

    tcase_add_test(decide, decide_nothing_known_is_due);
    tcase_add_test(decide, decide_schedule_runs_on_monotonic_clock);
    tcase_add_test(decide, decide_expiry_is_wall_clock);
    tcase_add_test(decide, decide_refresh_request_is_due);
    tcase_add_test(decide, source_names_are_stable);
    suite_add_tcase(s, decide);

    ocspr_tc_add_pool_fixture(refresh);
    tcase_set_timeout(refresh, 60);
    tcase_add_test(refresh, first_pass_fetches_caches_and_stores);
    tcase_add_test(refresh, older_response_never_replaces_newer);
    tcase_add_loop_test(refresh, error_never_replaces_good_response, 0,
                        (int)(sizeof(failure_cases) / sizeof(failure_cases[0])));
    tcase_add_test(refresh, expiry_forgets_response_and_restarts_backoff);
    tcase_add_test(refresh, response_past_refresh_point_is_not_refetched_in_a_loop);
    tcase_add_test(refresh, startup_cut_off_is_not_a_failure);
    tcase_add_test(refresh, startup_deadline_cuts_off_what_never_started);
    tcase_add_test(refresh, startup_pass_skips_fresh_stored_responses);
    tcase_add_test(refresh, load_store_validates_every_file);
    tcase_add_test(refresh, load_store_expired_file_is_info);
    tcase_add_test(refresh, wall_clock_steps_do_not_move_the_schedule);
    tcase_add_test(refresh, refresh_request_is_served_once);
    tcase_add_test(refresh, refresh_request_during_pass_is_not_lost);
    tcase_add_test(refresh, refresh_request_during_own_fetch_is_not_lost);
    tcase_add_test(refresh, must_staple_certificates_go_first);
    tcase_add_test(refresh, evicted_response_is_put_back_from_store);
    tcase_add_test(refresh, unservable_response_is_counted);
    tcase_add_loop_test(refresh, unservable_response_is_not_refetched_in_a_loop, 0, 2);
    tcase_add_test(refresh, lock_failure_leaves_state_untouched);
    suite_add_tcase(s, refresh);

    ocspr_tc_add_pool_fixture(concurrency);
    tcase_set_timeout(concurrency, 90);
    tcase_add_test(concurrency, concurrency_is_bounded_per_responder_and_overall);
    tcase_add_test(concurrency, responder_bound_treats_default_port_as_same_host);
    tcase_add_test(concurrency, slow_responder_does_not_delay_another);
    tcase_add_test(concurrency, stop_cancels_inflight_fetches_and_ends_the_pass);
    tcase_add_test(concurrency, stop_ends_the_pass_between_certificates);
    tcase_add_test(concurrency, wake_ends_a_wait);
    suite_add_tcase(s, concurrency);

    ocspr_tc_add_pool_fixture(fleet);
    tcase_set_timeout(fleet, 60);
    tcase_add_test(fleet, fleet_response_is_adopted_before_fetch);
    tcase_add_test(fleet, adopted_response_is_refreshed_on_its_own_schedule);
    tcase_add_test(fleet, fetched_response_is_published);
    tcase_add_test(fleet, fleet_never_gets_an_older_response_after_a_fetch);
    tcase_add_test(fleet, fleet_never_gets_an_older_stored_response);
    tcase_add_test(fleet, startup_with_responder_down_adopts_from_fleet);
    tcase_add_test(fleet, fleet_health_follows_the_exchange);
    tcase_add_test(refresh, responder_is_chosen_or_refused_with_a_reason);
    tcase_add_loop_test(fleet, forged_fleet_record_is_rejected, 0, FORGE_COUNT);
    suite_add_tcase(s, fleet);

    ocspr_tc_add_pool_fixture(run);
    tcase_set_timeout(run, 30);
    tcase_add_test(run, run_leader_records_itself_and_resigns);
    tcase_add_test(run, run_follower_never_fetches_until_it_leads);
    tcase_add_test(run, run_ends_when_the_server_stops);
    tcase_add_test(run, run_refresh_request_from_another_process_wakes_the_leader);
    tcase_add_test(run, run_refresh_request_between_pass_and_sleep);
    tcase_add_test(run, snapshot_copies_states_and_header_or_nothing);
    suite_add_tcase(s, run);
    return s;
}
