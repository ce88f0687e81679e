/* The refresh engine: the per-certificate state and every decision about it
 * (due, fetch, adopt from the fleet, keep, replace, heal the serving cache,
 * back off, expire), with passes that fetch concurrently under a bound per
 * responder and overall, and that a stop ends within a second.
 *
 * The engine owns no resource of the server. It reaches the state lock, the
 * serving cache, the store, the fleet exchange, the responder, the clocks and
 * randomness through an operations table (ocspr_engine_ops_t) that the httpd
 * glue fills with socache, mutexes and files, and the unit tests with fakes.
 * It logs through the core's sink (ocspr_log).
 *
 * Clocks: OCSP times (thisUpdate, nextUpdate, "expired") are wall-clock
 * times; every wait, deadline and schedule runs on the monotonic clock, so a
 * step of the wall clock neither stalls nor hurries the schedule. */
#ifndef OCSPR_ENGINE_H
#define OCSPR_ENGINE_H

#include "ocspr_fetch.h"
#include "ocspr_policy.h"
#include "ocspr_record.h"

/* Bounds of a pass: requests in flight at once, overall and to one
 * responder (host:port; through a proxy, still the responder's host:port).
 * An admin never needs to touch them: 16 keeps a 5,000-certificate cold
 * start short, 4 per responder is what a CA's responder farm takes from one
 * client without rate limiting. */
#define OCSPR_ENGINE_MAX_INFLIGHT        16
#define OCSPR_ENGINE_MAX_PER_RESPONDER   4

#define OCSPR_REASON_MAX 320

/* Where the held response came from. Names (ocspr_source_name) are stable:
 * "none", "store", "network", "fleet". */
typedef enum {
    OCSPR_SOURCE_NONE = 0,
    OCSPR_SOURCE_STORE,        /* loaded from the on-disk store */
    OCSPR_SOURCE_NETWORK,      /* fetched from the responder */
    OCSPR_SOURCE_FLEET         /* adopted from the fleet exchange */
} ocspr_source_t;

const char *ocspr_source_name(ocspr_source_t source);

/* One certificate's state. The glue places an array of these in shared
 * memory, so that every process (status page, a new leader, the startup
 * helper) reads the same; the engine writes it only under ops->lock. Plain
 * data: no pointers. */
typedef struct {
    /* the held response (cert_status NONE: nothing held) */
    int cert_status;                    /* ocspr_cert_status_t */
    apr_time_t this_update;             /* wall clock, from the response */
    apr_time_t next_update;
    apr_time_t produced_at;
    apr_time_t revoked_at;
    int revocation_reason;              /* -1: none given */
    apr_time_t obtained;                /* wall clock: when we got it (fetch, load, adopt) */
    apr_uint32_t response_len;          /* DER bytes */
    int source;                         /* ocspr_source_t */
    /* What a handshake gets now: the serving cache answered with this
     * response at the engine's last check (after every put and every pass).
     * Pages show "stapled" only when served && now < next_update. */
    int served;

    /* attempts */
    apr_time_t last_attempt;            /* wall clock, for display */
    apr_time_t next_attempt;            /* wall clock, for display only */
    apr_time_t next_attempt_mono;       /* monotonic: what the schedule runs on */
    int last_outcome;                   /* ocspr_outcome_t */
    char last_reason[OCSPR_REASON_MAX];
    int consecutive_failures;
    apr_interval_time_t last_latency;
    apr_uint64_t outcomes[OCSPR_OUTCOME_COUNT];  /* attempts by outcome, since start */
    int refresh_requested;              /* "refresh now" from a status page */
    int revoked_logged;                 /* the ALERT for this revocation was written */

    /* the fleet exchange */
    apr_uint64_t fleet_adopted;         /* responses taken from the fleet instead of a fetch */
    apr_uint64_t fleet_published;       /* responses this host put into the fleet */
    apr_uint64_t fleet_rejected;        /* fleet records refused (invalid, foreign, older) */
    char fleet_reject_reason[OCSPR_REASON_MAX];  /* the last refusal, "" when none */
} ocspr_cert_state_t;

/* Reset a state to "nothing known" (what shared memory starts as). */
void ocspr_cert_state_init(ocspr_cert_state_t *st);

/* A certificate the engine looks after. Filled by the caller, which keeps it
 * alive as long as the engine. */
typedef struct {
    unsigned char id[OCSPR_CERT_ID_LEN];  /* SHA-1 of the certificate's DER */
    const char *id_hex;
    const ocspr_cert_t *cert;
    const ocspr_cert_t *issuer;
    const char *url;                    /* the responder (http://) */
    const char *label;                  /* for logs: "CN=... (vhosts a:443, b:443)" */
    int must_staple;
    ocspr_cert_state_t *state;          /* usually in shared memory */
} ocspr_engine_cert_t;

/* A cache of encoded records (ocspr_record.h) keyed by certificate: the
 * serving cache, the fleet exchange. expiry is the response's nextUpdate.
 * get copies at most *len bytes into buf and sets *len; APR_NOTFOUND when
 * absent. Nothing read from the fleet exchange is trusted. */
typedef struct {
    void *baton;
    apr_status_t (*get)(void *baton, const ocspr_engine_cert_t *c, unsigned char *buf,
                        apr_size_t *len, apr_pool_t *p);
    apr_status_t (*put)(void *baton, const ocspr_engine_cert_t *c, const unsigned char *rec,
                        apr_size_t len, apr_time_t expiry, apr_pool_t *p);
    const char *desc;        /* "shmcb:/run/...(1048576)", "memcache:host:port": for messages */
} ocspr_engine_kv_t;

/* The store of raw DER responses. load: APR_ENOENT when there is none. */
typedef struct {
    void *baton;
    apr_status_t (*load)(void *baton, const ocspr_engine_cert_t *c, unsigned char **der,
                         apr_size_t *len, apr_pool_t *p);
    apr_status_t (*save)(void *baton, const ocspr_engine_cert_t *c, const unsigned char *der,
                         apr_size_t len, apr_pool_t *p);
    /* Where c's stored response lives, for messages that name the file. */
    const char *(*path)(void *baton, const ocspr_engine_cert_t *c, apr_pool_t *p);
} ocspr_engine_store_t;

/* The store kept in the files of dir (ocspr_store.h), which must outlive it. */
void ocspr_engine_store_dir(ocspr_engine_store_t *store, const char *dir);

/* The world outside, for the engine. Every function but those of the caches
 * and the store gets ops->baton. Required: lock/unlock, cache; the others
 * may be NULL: fleet.get (no fleet exchange), store.load (no store),
 * leader_trylock (this process always leads), server_stopping (only
 * ocspr_engine_stop ends a run), transport (ocspr_http_default_transport),
 * the clocks and random (the real ones). */
typedef struct {
    void *baton;

    /* The lock over every ocspr_cert_state_t and the shared header (a
     * cross-process mutex in httpd). A failure is logged with a tag and the
     * state is left untouched. */
    apr_status_t (*lock)(void *baton);
    apr_status_t (*unlock)(void *baton);

    /* One process of the host refreshes: the one holding this lock, which
     * the kernel must release when its holder dies. trylock returns
     * APR_SUCCESS when it took the lock. */
    apr_status_t (*leader_trylock)(void *baton);
    apr_status_t (*leader_unlock)(void *baton);
    /* Non-zero once the server is going away (asked at least every second
     * of a run): the run stops as if ocspr_engine_stop had been called. */
    int (*server_stopping)(void *baton);

    ocspr_engine_kv_t cache;            /* the serving cache, what handshakes read */
    ocspr_engine_kv_t fleet;            /* the fleet exchange (memcache/redis) */
    ocspr_engine_store_t store;

    /* The responder. The engine passes opts with cancel_fd set: a fetch must
     * end (outcome CANCELLED) soon after that descriptor becomes readable. */
    ocspr_http_transport_t transport;

    apr_time_t (*wall_now)(void *baton);
    apr_time_t (*mono_now)(void *baton);
    ocspr_random_fn *random;            /* called with baton */
} ocspr_engine_ops_t;

/* The fleet exchange's health as this host sees it (for the status page):
 * the result of every get and put. A record read or a write accepted is
 * good news; "absent" to a read is neither (apr_memcache answers so when no
 * server is up); any other failure, a write finding no server included, is
 * an error. */
typedef struct {
    apr_uint64_t errors;                /* calls that failed */
    apr_time_t last_ok;                 /* wall clock; 0 never */
    apr_time_t last_error_time;         /* wall clock; 0 never */
    char last_error[OCSPR_REASON_MAX];
} ocspr_fleet_health_t;

/* What every process of the host shares besides the certificates' states
 * (shared memory in httpd), written under ops->lock: who refreshes, and how
 * the others ask it to look again. Plain data. */
typedef struct {
    long leader_pid;                    /* the process refreshing now; 0: none */
    apr_time_t leader_since;            /* wall clock */
    apr_time_t last_pass;               /* wall clock: the leader's last pass */
    apr_uint32_t wakeups;               /* bumped (atomically) by a "refresh now" */
    ocspr_fleet_health_t fleet;
} ocspr_engine_shared_t;

typedef struct {
    ocspr_policy_t policy;
    ocspr_http_opts_t http;             /* per request; total_timeout is OCSPRefreshTimeout */
    ocspr_validate_opts_t validate;     /* now is set by the engine from ops->wall_now */
    int max_inflight;                   /* 0: OCSPR_ENGINE_MAX_INFLIGHT */
    int max_per_responder;              /* 0: OCSPR_ENGINE_MAX_PER_RESPONDER */
    ocspr_engine_shared_t *shared;      /* in shared memory; NULL: the engine's own */
} ocspr_engine_config_t;

typedef struct ocspr_engine_t ocspr_engine_t;

/* certs: ncerts pointers, each with its state. The engine keeps cfg's values
 * and the pointers; p must outlive it. Creates the stop and wake pipes. */
apr_status_t ocspr_engine_create(ocspr_engine_t **pe, apr_pool_t *p,
                                 const ocspr_engine_config_t *cfg,
                                 const ocspr_engine_ops_t *ops,
                                 ocspr_engine_cert_t *const *certs, int ncerts);

/* Load every certificate's stored response: validate it like a fresh one,
 * take it when it is newer than what is held (nothing is held at a start),
 * put it into the serving cache. No network. Returns how many were taken.
 * A damaged or foreign file is logged and ignored; one that merely expired
 * during downtime is logged at INFO. */
int ocspr_engine_load_store(ocspr_engine_t *e, apr_pool_t *p);

typedef enum {
    /* At a start, in the startup helper: fetch what is missing or due, within
     * the deadline; what the deadline cuts off is not a failure and is due at
     * once for the leader. */
    OCSPR_PASS_STARTUP,
    /* The leader's pass: expire, fetch or adopt what is due, then check that
     * every held response is retrievable from the serving cache and put back
     * what is not. */
    OCSPR_PASS_MAINTENANCE
} ocspr_pass_kind_t;

typedef struct {
    int due;                            /* certificates that needed a response */
    int fetched;                        /* valid responses obtained from responders */
    int adopted;                        /* taken from the fleet instead */
    int failed;                         /* attempts that failed (not cut off) */
    int cut_off;                        /* ended by the deadline or a stop: not failures */
    int healed;                         /* put back into the serving cache */
    int unservable;                     /* held but not retrievable even after healing */
    int served;                         /* held and retrievable at the end of the pass */
    apr_time_t next_due_mono;           /* earliest next attempt; 0 when none is scheduled */
} ocspr_pass_result_t;

/* Run one pass. deadline_mono 0: none. Returns when every due certificate
 * was handled, the deadline passed or ocspr_engine_stop was called (then
 * no new fetch starts and the ones in flight are abandoned). Fetches run on
 * up to max_inflight threads, at most max_per_responder to one responder,
 * Must-Staple certificates first. res may be NULL. */
void ocspr_engine_pass(ocspr_engine_t *e, ocspr_pass_kind_t kind, apr_time_t deadline_mono,
                       ocspr_pass_result_t *res, apr_pool_t *p);

/* From any thread: end the current pass and every wait, for good. */
void ocspr_engine_stop(ocspr_engine_t *e);
int ocspr_engine_stopping(ocspr_engine_t *e);
/* From any thread: end the current wait now (a refresh was asked for). */
void ocspr_engine_wake(ocspr_engine_t *e);

/* Sleep for timeout on the monotonic clock, less when woken or stopped.
 * Returns non-zero when the engine is stopped. */
int ocspr_engine_wait(ocspr_engine_t *e, apr_interval_time_t timeout);

/* How long the leader should sleep after a pass (policy bounds applied). */
apr_interval_time_t ocspr_engine_sleep_time(ocspr_engine_t *e, const ocspr_pass_result_t *res);

/* From any process of the host: have the leader refresh c now. It sees the
 * request within a second (OCSPR_ENGINE_WAKEUP_POLL), mid-sleep too. */
void ocspr_engine_request_refresh(ocspr_engine_t *e, ocspr_engine_cert_t *c);

/* How often a leader's sleep looks at the shared wake-up counter: another
 * process's "refresh now" needs no signal to reach it. */
#define OCSPR_ENGINE_WAKEUP_POLL apr_time_from_sec(1)

/* A process's maintenance loop, until ocspr_engine_stop or
 * ops->server_stopping: take the leader lock when it is free (retried every
 * check interval, so that another process takes over when the leader dies),
 * and while holding it run passes, sleeping between them as the policy
 * says. A leader records itself in the shared header and resigns on the
 * way out. Memory stays flat over weeks: p is cleared after every pass. */
void ocspr_engine_run(ocspr_engine_t *e, apr_pool_t *p);

/* Every certificate's state (ncerts, in the order given to create) and the
 * shared header at one moment, for a page. Zeroes when the lock fails:
 * nothing rather than a torn copy. */
void ocspr_engine_snapshot(ocspr_engine_t *e, ocspr_cert_state_t *states,
                           ocspr_engine_shared_t *shared, apr_pool_t *p);

/* Which responder to ask for cert: `override` (OCSPRefreshResponder) when
 * set, else the certificate's first AIA OCSP URL. NULL when there is none
 * to ask, with *why saying so for the log and the status page (no URL; not
 * http://; a URL refused for bytes that are not visible ASCII). */
const char *ocspr_engine_responder(const ocspr_cert_t *cert, const char *override,
                                   const char **why, apr_pool_t *p);

/* Decisions, exposed for the tests. What a pass does with a certificate whose
 * state is st at wall time now and monotonic time mono. */
typedef enum {
    OCSPR_ACTION_IDLE,      /* hold what we have; check the serving cache */
    OCSPR_ACTION_FETCH,     /* due: adopt from the fleet or fetch */
    OCSPR_ACTION_EXPIRED    /* the held response expired: forget it, restart the backoff, fetch */
} ocspr_engine_action_t;

ocspr_engine_action_t ocspr_engine_decide(const ocspr_cert_state_t *st, apr_time_t now,
                                          apr_time_t mono);

#endif /* OCSPR_ENGINE_H */
