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
    ocspr_fleet_health_t fleet;         /* the fleet exchange, as the leader last saw it */
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
    ocspr_engine_cert_t engine_cert;    /* the engine's view (stapled entries only) */
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
    /* the local serving cache (shmcb), what handshakes read */
    const ap_socache_provider_t *cache;
    ap_socache_instance_t *cache_inst;
    const char *cache_desc;
    apr_global_mutex_t *cache_mutex;    /* NULL when the provider is MP-safe */
    /* the fleet exchange (memcache, redis), NULL without one; each process
     * opens its own connections on first use, after fork */
    const ap_socache_provider_t *fleet;
    ap_socache_instance_t *fleet_inst;
    const char *fleet_desc;
    apr_global_mutex_t *fleet_mutex;    /* NULL when the provider is MP-safe */
    apr_global_mutex_t *state_mutex;
    apr_global_mutex_t *leader_mutex;
    apr_shm_t *shm;
    ocspr_shared_t *shared;
    const char *store_dir;              /* NULL: memory only */
    ocspr_engine_config_t engine_config;
    ocspr_engine_cert_t **engine_certs; /* the stapled entries' engine_cert */
    /* this process's engine (startup helper, each child), NULL elsewhere */
    ocspr_engine_t *engine;
} ocspr_module_t;

/* The current generation's module state, or NULL outside a configuration. */
extern ocspr_module_t *ocspr_module;

/* registry (mod_ocsp_refresh_registry.c) */
void ocspr_module_create(apr_pool_t *pconf);
int ocspr_module_prime(server_rec *s, apr_pool_t *p, const char *id, apr_size_t id_len,
                       const char *pem);
ocspr_entry_t *ocspr_module_entry(ocspr_module_t *m, const char *id, apr_size_t id_len);
const char *ocspr_vhost_name(apr_pool_t *p, const server_rec *s);
/* "name:port,name:port" of every vhost using the certificate of the entry. */
const char *ocspr_entry_vhosts(apr_pool_t *p, const ocspr_entry_t *entry);

/* caches, shared state and the engine's operations (mod_ocsp_refresh_cache.c) */
void ocspr_module_register_mutexes(apr_pool_t *pconf);
apr_status_t ocspr_module_setup_shared(ocspr_module_t *m, apr_pool_t *pconf, apr_pool_t *ptemp,
                                       server_rec *s);
/* In a process forked from the parent (a child, the startup helper):
 * re-attach the mutexes and create this process's engine. */
apr_status_t ocspr_module_process_attach(ocspr_module_t *m, apr_pool_t *p, server_rec *s);
/* The handshake path: staple what the serving cache holds for entry. */
int ocspr_cache_serve(ocspr_module_t *m, const ocspr_entry_t *entry, conn_rec *c,
                      ap_ssl_ocsp_copy_resp *cb, void *userdata);
apr_status_t ocspr_state_lock(ocspr_module_t *m);
apr_status_t ocspr_state_unlock(ocspr_module_t *m);
ocspr_cert_state_t *ocspr_state(ocspr_module_t *m, const ocspr_entry_t *entry);

/* Copy every certificate's state (m->shared->nentries of them) at once, so
 * a page shows one consistent moment. */
void ocspr_state_snapshot(ocspr_module_t *m, ocspr_cert_state_t *out, ocspr_shared_t *header);
/* Ask the leader, in whichever process, to refresh entry within a second. */
void ocspr_module_request_refresh(ocspr_module_t *m, const ocspr_entry_t *entry);

/* startup (mod_ocsp_refresh_startup.c): prepare the store, then run the
 * startup helper process and wait for it, at most OCSPRefreshStartupTimeout. */
void ocspr_module_startup(ocspr_module_t *m, apr_pool_t *pconf, apr_pool_t *ptemp);

/* maintenance thread (mod_ocsp_refresh_maint.c) */
void ocspr_maint_start(ocspr_module_t *m, apr_pool_t *pchild, server_rec *s);
void ocspr_maint_child_stopping(ocspr_module_t *m);

#endif /* MOD_OCSP_REFRESH_MODULE_H */
