/* The stapling engine: the certificates mod_ssl primed with us, the shared
 * cache and state, the refresh work. One engine per configuration
 * generation, built in the parent and inherited by the children. */
#ifndef MOD_OCSP_REFRESH_MODULE_H
#define MOD_OCSP_REFRESH_MODULE_H

#include <apr_global_mutex.h>
#include <apr_hash.h>
#include <apr_shm.h>
#include "ap_socache.h"
#include "http_ssl.h"

#include "mod_ocsp_refresh.h"
#include "ocspr_engine.h"
#include "ocspr_response.h"
#include "ocspr_tags.h"

/* Mutex types, configurable with the stock Mutex directive. */
#define OCSPR_MUTEX_CACHE  "ocsp-refresh-cache"   /* socache access, non MP-safe providers */
#define OCSPR_MUTEX_STATE  "ocsp-refresh-state"   /* shared per-certificate state */
#define OCSPR_MUTEX_LEADER "ocsp-refresh-leader"  /* held by the one refreshing process */

typedef struct {
    apr_uint32_t magic;
    int nentries;
    pid_t leader_pid;                   /* 0 until a child leads */
    apr_time_t leader_since;
    apr_time_t last_tick;               /* the leader's last maintenance pass */
    apr_uint32_t wakeups;               /* bumped to make the leader look again now */
    /* the fleet exchange's health, as the leader last saw it */
    apr_uint64_t fleet_errors;          /* get/put calls that failed (not "absent") */
    apr_time_t fleet_last_ok;           /* last successful get or put; 0 never */
    apr_time_t fleet_last_error_time;   /* 0 never */
    char fleet_last_error[OCSPR_REASON_MAX];
    ocspr_cert_state_t certs[1];        /* nentries of them */
} ocspr_shared_t;

/* A certificate mod_ssl primed for a vhost with OCSPRefresh On. */
typedef struct {
    unsigned char id[OCSPR_CERT_ID_LEN];
    const char *id_hex;
    ocspr_cert_t *cert;
    ocspr_cert_t *issuer;
    const char *url;                    /* responder; NULL when not applicable */
    const char *not_applicable;         /* why we do not staple it, or NULL */
    int must_staple;
    apr_array_header_t *vhosts;         /* "name:port" of every vhost using it */
    int slot;                           /* index into ocspr_shared_t.certs */
} ocspr_entry_t;

typedef struct {
    apr_pool_t *pool;                   /* the configuration pool */
    server_rec *s;                      /* base server, from post_config */
    apr_hash_t *primed;                 /* id -> non-NULL for every certificate mod_ssl primed */
    apr_hash_t *by_id;                  /* id -> ocspr_entry_t* */
    apr_array_header_t *entries;        /* ocspr_entry_t*, in slot order */
    int stapled;                        /* entries with a responder */

    /* from post_config (real pass) on */
    int started;
    const ap_socache_provider_t *cache;
    ap_socache_instance_t *cache_inst;
    const char *cache_desc;
    apr_global_mutex_t *cache_mutex;    /* NULL when the provider is MP-safe */
    apr_global_mutex_t *state_mutex;
    apr_global_mutex_t *leader_mutex;
    apr_shm_t *shm;
    ocspr_shared_t *shared;
    const char *store_dir;              /* NULL: memory only */
    ocspr_policy_t policy;
    ocspr_http_opts_t http_opts;
} ocspr_module_t;

/* The current generation's engine, or NULL outside a configuration. */
extern ocspr_module_t *ocspr_module;

/* registry (mod_ocsp_refresh_registry.c) */
void ocspr_module_create(apr_pool_t *pconf);
int ocspr_module_prime(server_rec *s, apr_pool_t *p, const char *id, apr_size_t id_len,
                       const char *pem);
ocspr_entry_t *ocspr_module_entry(ocspr_module_t *e, const char *id, apr_size_t id_len);
const char *ocspr_vhost_name(apr_pool_t *p, const server_rec *s);
/* "name:port,name:port" of every vhost using the certificate of the entry. */
const char *ocspr_entry_vhosts(apr_pool_t *p, const ocspr_entry_t *entry);

/* shared cache and state (mod_ocsp_refresh_cache.c) */
void ocspr_module_register_mutexes(apr_pool_t *pconf);
apr_status_t ocspr_module_setup_shared(ocspr_module_t *e, apr_pool_t *pconf, apr_pool_t *ptemp,
                                       server_rec *s);
apr_status_t ocspr_module_child_attach(ocspr_module_t *e, apr_pool_t *pchild, server_rec *s);
apr_status_t ocspr_cache_put(ocspr_module_t *e, const ocspr_entry_t *entry,
                             const ocspr_response_info_t *info, apr_time_t fetched,
                             const unsigned char *der, apr_size_t len, apr_pool_t *p);
/* Is a record for entry in the cache (the leader heals evictions)? */
int ocspr_cache_has(ocspr_module_t *e, const ocspr_entry_t *entry, apr_pool_t *p);
int ocspr_cache_serve(ocspr_module_t *e, const ocspr_entry_t *entry, conn_rec *c,
                      ap_ssl_ocsp_copy_resp *cb, void *userdata);
void ocspr_state_lock(ocspr_module_t *e);
void ocspr_state_unlock(ocspr_module_t *e);
ocspr_cert_state_t *ocspr_state(ocspr_module_t *e, const ocspr_entry_t *entry);

/* Copy every certificate's state (e->shared->nentries of them) at once, so
 * a page shows one consistent moment. */
void ocspr_state_snapshot(ocspr_module_t *e, ocspr_cert_state_t *out, ocspr_shared_t *header);
/* Ask the leader, in whichever process, to refresh entry within a second. */
void ocspr_module_request_refresh(ocspr_module_t *e, const ocspr_entry_t *entry);

/* refreshing (mod_ocsp_refresh_refresh.c) */
/* A pool on its own allocator, for threads: nothing shared with other
 * threads' pools, and its memory goes back when it is destroyed. */
apr_status_t ocspr_private_pool_create(apr_pool_t **pp);
/* apr_thread_create with every signal blocked in the new thread: httpd's
 * signal handlers (prefork exits from inside one) must run on its own
 * threads, never on ours. */
apr_status_t ocspr_thread_create(apr_thread_t **pthread, apr_thread_start_t func, void *data,
                                 apr_pool_t *p);
void ocspr_module_load_store(ocspr_module_t *e, apr_pool_t *ptemp);
void ocspr_module_prefetch(ocspr_module_t *e, apr_pool_t *ptemp);
/* Refresh every due entry; returns the earliest next attempt. */
apr_time_t ocspr_module_refresh_due(ocspr_module_t *e, apr_pool_t *p);

/* maintenance thread (mod_ocsp_refresh_maint.c) */
void ocspr_maint_start(ocspr_module_t *e, apr_pool_t *pchild, server_rec *s);

#endif /* MOD_OCSP_REFRESH_MODULE_H */
