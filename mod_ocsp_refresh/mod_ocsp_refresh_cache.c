/* The local serving cache (shmcb), the fleet exchange (memcache/redis), the
 * shared memory and the mutexes, and the engine's operations over them. */
#include <unistd.h>
#include <apr_strings.h>

#include "ap_mpm.h"
#include "ap_provider.h"
#include "util_mutex.h"

#include "mod_ocsp_refresh_module.h"

/* Auto-sizing of the serving shmcb. Keys start with the certificate id, so
 * shmcb's sub-caches fill evenly; each certificate gets room for two typical
 * records (a response with a delegated responder certificate is 2-4 KiB),
 * which absorbs the uneven spread of a few hundred keys over the
 * sub-caches. The leader says when held responses do not fit anyway. */
#define SHMCB_PER_CERT     (8 * 1024)
#define SHMCB_MIN          (512 * 1024)
#define SHMCB_MAX          (512 * 1024 * 1024)

void ocspr_module_register_mutexes(apr_pool_t *pconf)
{
    ap_mutex_register(pconf, OCSPR_MUTEX_CACHE, NULL, APR_LOCK_DEFAULT, 0);
    ap_mutex_register(pconf, OCSPR_MUTEX_STATE, NULL, APR_LOCK_DEFAULT, 0);
    /* The leader lock must be released by the kernel when its holder dies
     * (SIGKILL, crash) so another child takes over: fcntl locks are. */
    ap_mutex_register(pconf, OCSPR_MUTEX_LEADER, NULL, APR_LOCK_FCNTL, 0);
}

/* Take (lock) or release a mutex, NULL for an MP-safe provider's; a
 * failure is logged. */
static apr_status_t mutex_use(apr_global_mutex_t *mutex, int lock, const char *what,
                              server_rec *s)
{
    apr_status_t rv = !mutex ? APR_SUCCESS
                      : lock ? apr_global_mutex_lock(mutex) : apr_global_mutex_unlock(mutex);

    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, OCSPR_T_LOCK ": cannot %s the %s lock",
                     lock ? "take" : "release", what);
    }
    return rv;
}

/* --- socache instances: the engine's key-value caches ------------------------ */

static apr_status_t socache_destroy(void *data)
{
    ocspr_socache_t *sc = data;

    sc->provider->destroy(sc->inst, sc->s);
    return APR_SUCCESS;
}

static apr_status_t socache_put(void *baton, const ocspr_engine_cert_t *c,
                                const unsigned char *rec, apr_size_t len, apr_time_t expiry,
                                apr_pool_t *p)
{
    ocspr_socache_t *sc = baton;
    unsigned char key[OCSPR_RECORD_KEY_LEN];
    apr_status_t rv;

    ocspr_record_key(key, c->id);
    if ((rv = mutex_use(sc->mutex, 1, "OCSP cache", sc->s)) != APR_SUCCESS) {
        return rv;
    }
    rv = sc->provider->store(sc->inst, sc->s, key, sizeof(key), expiry, (unsigned char *)rec,
                             (unsigned int)len, p);
    mutex_use(sc->mutex, 0, "OCSP cache", sc->s);
    return rv;
}

static apr_status_t socache_get(void *baton, const ocspr_engine_cert_t *c, unsigned char *buf,
                                apr_size_t *len, apr_pool_t *p)
{
    ocspr_socache_t *sc = baton;
    unsigned char key[OCSPR_RECORD_KEY_LEN];
    unsigned int ulen = (unsigned int)*len;
    apr_status_t rv;

    ocspr_record_key(key, c->id);
    if ((rv = mutex_use(sc->mutex, 1, "OCSP cache", sc->s)) != APR_SUCCESS) {
        return rv;
    }
    rv = sc->provider->retrieve(sc->inst, sc->s, key, sizeof(key), buf, &ulen, p);
    mutex_use(sc->mutex, 0, "OCSP cache", sc->s);
    *len = ulen;
    return rv;
}

/* Create and initialise provider `name` with `arg` into sc, for the
 * engine as kv. A provider that is not MP-safe gets a mutex (shmcb does). */
static apr_status_t socache_open(ocspr_socache_t *sc, ocspr_engine_kv_t *kv, const char *name,
                                 const char *arg, const char *mutex_instance, apr_pool_t *pconf,
                                 apr_pool_t *ptemp, server_rec *s)
{
    struct ap_socache_hints hints = { OCSPR_RECORD_KEY_LEN, 4096, 60 };
    const char *err;
    apr_status_t rv;

    kv->desc = arg ? apr_pstrcat(pconf, name, ":", arg, NULL) : apr_pstrdup(pconf, name);
    sc->s = s;
    sc->provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                      AP_SOCACHE_PROVIDER_VERSION);
    if (!sc->provider) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, OCSPR_T_SETUP_FAILED ": socache provider "
                     "'%s' of OCSPRefreshCache is not loaded", name);
        return APR_ENOTIMPL;
    }
    if ((err = sc->provider->create(&sc->inst, arg, ptemp, pconf)) != NULL) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, OCSPR_T_SETUP_FAILED ": OCSPRefreshCache "
                     "%s: %s", kv->desc, err);
        return APR_EINVAL;
    }
    rv = sc->provider->init(sc->inst, "mod_ocsp_refresh", &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, OCSPR_T_SETUP_FAILED ": cannot initialise "
                     "the socache %s", kv->desc);
        return rv;
    }
    apr_pool_cleanup_register(pconf, sc, socache_destroy, apr_pool_cleanup_null);
    if (sc->provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) {
        rv = ap_global_mutex_create(&sc->mutex, NULL, OCSPR_MUTEX_CACHE, mutex_instance, s,
                                    pconf, 0);
    }
    kv->baton = sc;
    kv->get = socache_get;
    kv->put = socache_put;
    return rv;
}

/* The serving cache is always a local shmcb; a spec naming another provider
 * (memcache, redis) makes that the fleet exchange. */
static apr_status_t setup_caches(ocspr_module_t *m, apr_pool_t *pconf, apr_pool_t *ptemp,
                                 server_rec *s)
{
    const char *spec = ocspr_conf_cache_spec(ocspr_srv_conf(s)), *sep = ap_strchr_c(spec, ':');
    const char *name = sep ? apr_pstrmemdup(ptemp, spec, (apr_size_t)(sep - spec)) : spec;
    const char *local_arg = NULL;
    apr_size_t size;
    apr_status_t rv;

    if (!strcmp(name, "shmcb") && sep) {
        local_arg = sep + 1;
    }
    else if (strcmp(name, "shmcb")) {
        rv = socache_open(&m->fleet, &m->engine_ops.fleet, name, sep ? sep + 1 : NULL, "fleet",
                          pconf, ptemp, s);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    if (!local_arg) {
        size = (apr_size_t)m->reg->stapled * SHMCB_PER_CERT;
        size = size < SHMCB_MIN ? SHMCB_MIN : size > SHMCB_MAX ? SHMCB_MAX : size;
        local_arg = apr_psprintf(ptemp, "%s(%" APR_SIZE_T_FMT ")",
                                 ap_runtime_dir_relative(ptemp, "ocsp-refresh-cache"), size);
    }
    return socache_open(&m->cache, &m->engine_ops.cache, "shmcb", local_arg, NULL, pconf, ptemp,
                        s);
}

static apr_status_t setup_mutexes(ocspr_module_t *m, apr_pool_t *pconf, server_rec *s)
{
    apr_status_t rv = ap_global_mutex_create(&m->state_mutex, NULL, OCSPR_MUTEX_STATE, NULL, s,
                                             pconf, 0);

    if (rv == APR_SUCCESS) {
        rv = ap_global_mutex_create(&m->leader_mutex, NULL, OCSPR_MUTEX_LEADER, NULL, s, pconf, 0);
    }
    if (rv == APR_SUCCESS && apr_global_mutex_mech(m->leader_mutex) != APR_LOCK_FCNTL
        && apr_global_mutex_mech(m->leader_mutex) != APR_LOCK_FLOCK) {
        /* A semaphore stays taken when its holder is SIGKILLed: no other
         * child would ever refresh again. */
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, OCSPR_T_SETUP_FAILED ": the "
                     OCSPR_MUTEX_LEADER " mutex uses %s, which the kernel does not release "
                     "when its holder dies; configure it with `Mutex fcntl:DIR "
                     OCSPR_MUTEX_LEADER "` or `Mutex flock:DIR " OCSPR_MUTEX_LEADER "`",
                     apr_global_mutex_name(m->leader_mutex));
        rv = APR_ENOTIMPL;
    }
    return rv;
}

static apr_status_t setup_shm(ocspr_module_t *m, apr_pool_t *pconf, server_rec *s)
{
    int i, n = m->reg->stapled;
    apr_size_t size = APR_OFFSETOF(ocspr_shared_t, certs) + (apr_size_t)n * sizeof(ocspr_cert_state_t);
    apr_status_t rv = apr_shm_create(&m->shm, size, NULL, pconf);

    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, OCSPR_T_SETUP_FAILED ": cannot create "
                     "%" APR_SIZE_T_FMT " bytes of anonymous shared memory", size);
        return rv;
    }
    m->shared = apr_shm_baseaddr_get(m->shm);
    memset(m->shared, 0, size);
    for (i = 0; i < n; i++) {
        ocspr_cert_state_init(&m->shared->certs[i]);
    }
    ocspr_registry_bind(m->reg, m->shared->certs);
    m->engine_config.shared = &m->shared->engine;
    return APR_SUCCESS;
}

/* --- the engine's own operations ----------------------------------------------- */

static apr_status_t op_lock(void *baton)
{
    ocspr_module_t *m = baton;

    return mutex_use(m->state_mutex, 1, "OCSP state", m->s);
}

static apr_status_t op_unlock(void *baton)
{
    ocspr_module_t *m = baton;

    return mutex_use(m->state_mutex, 0, "OCSP state", m->s);
}

static apr_status_t op_leader_trylock(void *baton)
{
    return apr_global_mutex_trylock(((ocspr_module_t *)baton)->leader_mutex);
}

static apr_status_t op_leader_unlock(void *baton)
{
    return apr_global_mutex_unlock(((ocspr_module_t *)baton)->leader_mutex);
}

static int op_server_stopping(void *baton)
{
    int state;

    return ap_mpm_query(AP_MPMQ_MPM_STATE, &state) == APR_SUCCESS && state == AP_MPMQ_STOPPING;
}

apr_status_t ocspr_module_setup_shared(ocspr_module_t *m, apr_pool_t *pconf, apr_pool_t *ptemp,
                                       server_rec *s)
{
    ocspr_engine_ops_t *ops = &m->engine_ops;
    apr_status_t rv = setup_mutexes(m, pconf, s);

    if (rv == APR_SUCCESS) {
        rv = setup_shm(m, pconf, s);
    }
    if (rv == APR_SUCCESS) {
        rv = setup_caches(m, pconf, ptemp, s);
    }
    ops->baton = m;
    ops->lock = op_lock;
    ops->unlock = op_unlock;
    ops->leader_trylock = op_leader_trylock;
    ops->leader_unlock = op_leader_unlock;
    ops->server_stopping = op_server_stopping;
    return rv;
}

static apr_status_t reattach(apr_global_mutex_t **mutex, apr_pool_t *p)
{
    if (!*mutex) {
        return APR_SUCCESS;
    }
    return apr_global_mutex_child_init(mutex, apr_global_mutex_lockfile(*mutex), p);
}

apr_status_t ocspr_module_process_attach(ocspr_module_t *m, apr_pool_t *p, server_rec *s)
{
    apr_status_t rv = reattach(&m->cache.mutex, p);

    if (rv == APR_SUCCESS) {
        rv = reattach(&m->fleet.mutex, p);
    }
    if (rv == APR_SUCCESS) {
        rv = reattach(&m->state_mutex, p);
    }
    if (rv == APR_SUCCESS) {
        rv = reattach(&m->leader_mutex, p);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, OCSPR_T_SETUP_FAILED ": cannot re-attach "
                     "the mod_ocsp_refresh mutexes in process %" APR_PID_T_FMT, getpid());
        return rv;
    }
    rv = ocspr_engine_create(&m->engine, p, &m->engine_config, &m->engine_ops,
                             m->reg->engine_certs, m->reg->stapled);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, OCSPR_T_SETUP_FAILED ": cannot create the "
                     "OCSP refresh engine in process %" APR_PID_T_FMT, getpid());
    }
    return rv;
}

/* --- the handshake path -------------------------------------------------------- */

int ocspr_cache_serve(ocspr_module_t *m, const ocspr_entry_t *entry, conn_rec *c,
                      ap_ssl_ocsp_copy_resp *cb, void *userdata)
{
    ocspr_record_t rec;
    apr_size_t len = OCSPR_RECORD_MAX_LEN;
    unsigned char *buf;
    apr_pool_t *p;
    int served = 0;

    /* A short-lived pool with room for any record up to the cap: the buffer
     * goes back to the allocator as soon as mod_ssl has copied the response. */
    if (apr_pool_create(&p, c->pool) != APR_SUCCESS) {
        cb(NULL, 0, userdata);
        return 0;
    }
    buf = apr_palloc(p, len);
    if (socache_get(&m->cache, &entry->engine_cert, buf, &len, p) == APR_SUCCESS
        && ocspr_record_decode(&rec, buf, len, entry->id) == APR_SUCCESS
        && rec.next_update > apr_time_now()) {
        cb(rec.der, rec.der_len, userdata);
        served = 1;
    }
    else {
        cb(NULL, 0, userdata);
    }
    apr_pool_destroy(p);
    return served;
}
