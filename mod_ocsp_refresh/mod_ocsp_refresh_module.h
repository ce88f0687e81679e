/* The module's state of one configuration generation: the certificates
 * mod_ssl primed with us, the caches, the shared state and the engine.
 * Built in the parent, inherited by the children. */
#ifndef MOD_OCSP_REFRESH_MODULE_H
#define MOD_OCSP_REFRESH_MODULE_H

#include <apr_global_mutex.h>
#include <apr_shm.h>
#include "ap_socache.h"
#include "http_ssl.h"

#include "mod_ocsp_refresh.h"
#include "ocspr_engine.h"
#include "ocspr_registry.h"
#include "ocspr_response.h"
#include "ocspr_tags.h"

/* Mutex types, configurable with the stock Mutex directive. */
#define OCSPR_MUTEX_CACHE  "ocsp-refresh-cache"   /* socache access, non MP-safe providers */
#define OCSPR_MUTEX_STATE  "ocsp-refresh-state"   /* shared per-certificate state */
#define OCSPR_MUTEX_LEADER "ocsp-refresh-leader"  /* held by the one refreshing process */

/* The generation's shared memory: the engine's header, then the stapled
 * certificates' states by slot. */
typedef struct {
    ocspr_engine_shared_t engine;
    ocspr_cert_state_t certs[1];        /* registry->stapled of them */
} ocspr_shared_t;

/* An opened socache, the engine's view of it (a key-value cache) included. */
typedef struct {
    const ap_socache_provider_t *provider;
    ap_socache_instance_t *inst;
    apr_global_mutex_t *mutex;          /* NULL when the provider is MP-safe */
    server_rec *s;
} ocspr_socache_t;

typedef struct {
    apr_pool_t *pool;                   /* the configuration pool */
    server_rec *s;                      /* base server, from post_config */
    ocspr_registry_t *reg;              /* what mod_ssl primed */

    /* from post_config (real pass) on */
    int started;
    ocspr_socache_t cache;              /* the local serving cache (shmcb): what handshakes read */
    ocspr_socache_t fleet;              /* the fleet exchange (memcache, redis); provider NULL
                                         * without one. Each process opens its own connections
                                         * on first use, after fork */
    apr_global_mutex_t *state_mutex;
    apr_global_mutex_t *leader_mutex;
    apr_shm_t *shm;
    ocspr_shared_t *shared;
    const char *store_dir;              /* NULL: memory only */
    ocspr_engine_config_t engine_config;
    ocspr_engine_ops_t engine_ops;      /* cache/fleet desc live here */
    /* this process's engine (startup helper, each child), NULL elsewhere */
    ocspr_engine_t *engine;
} ocspr_module_t;

/* The current generation's module state, or NULL outside a configuration. */
extern ocspr_module_t *ocspr_module;

/* registry (mod_ocsp_refresh_registry.c) */
void ocspr_module_create(apr_pool_t *pconf);
int ocspr_module_prime(server_rec *s, apr_pool_t *p, const char *id, apr_size_t id_len,
                       const char *pem);

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

/* startup (mod_ocsp_refresh_startup.c): prepare the store, then run the
 * startup helper process and wait for it, at most OCSPRefreshStartupTimeout. */
void ocspr_module_startup(ocspr_module_t *m, apr_pool_t *pconf, apr_pool_t *ptemp);

/* maintenance thread (mod_ocsp_refresh_maint.c) */
void ocspr_maint_start(ocspr_module_t *m, apr_pool_t *pchild, server_rec *s);
void ocspr_maint_child_stopping(ocspr_module_t *m);

#endif /* MOD_OCSP_REFRESH_MODULE_H */
