/* The local serving cache (shmcb), the fleet exchange (memcache/redis),
 * the shared per-certificate state, and the engine's operations over them. */
#include <unistd.h>
#include <apr_atomic.h>
#include <apr_strings.h>

#include "ap_provider.h"
#include "http_protocol.h"
#include "util_mutex.h"

#include "mod_ocsp_refresh_module.h"
#include "ocspr_record.h"
#include "ocspr_store.h"

#define OCSPR_SHARED_MAGIC 0x4F435354u     /* "OCST" */

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

/* --- socache instances ----------------------------------------------------- */

typedef struct {
    const ap_socache_provider_t *provider;
    ap_socache_instance_t *inst;
    server_rec *s;
} socache_t;

static apr_status_t socache_destroy(void *data)
{
    socache_t *sc = data;

    sc->provider->destroy(sc->inst, sc->s);
    return APR_SUCCESS;
}

/* Create and initialise provider `name` with `arg`; *desc names it. */
static apr_status_t socache_open(const ap_socache_provider_t **pprov,
                                 ap_socache_instance_t **pinst, const char **desc,
                                 const char *name, const char *arg, const char *ns,
                                 apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s)
{
    struct ap_socache_hints hints = { OCSPR_RECORD_KEY_LEN, 4096, 60 };
    const ap_socache_provider_t *prov;
    socache_t *sc;
    const char *err;
    apr_status_t rv;

    *desc = arg ? apr_pstrcat(pconf, name, ":", arg, NULL) : apr_pstrdup(pconf, name);
    prov = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name, AP_SOCACHE_PROVIDER_VERSION);
    if (!prov) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, OCSPR_T_SETUP_FAILED ": socache provider "
                     "'%s' of OCSPRefreshCache is not loaded", name);
        return APR_ENOTIMPL;
    }
    err = prov->create(pinst, arg, ptemp, pconf);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, OCSPR_T_SETUP_FAILED ": OCSPRefreshCache "
                     "%s: %s", *desc, err);
        return APR_EINVAL;
    }
    rv = prov->init(*pinst, ns, &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, OCSPR_T_SETUP_FAILED ": cannot initialise "
                     "the socache %s", *desc);
        return rv;
    }
    sc = apr_pcalloc(pconf, sizeof(*sc));
    sc->provider = prov;
    sc->inst = *pinst;
    sc->s = s;
    apr_pool_cleanup_register(pconf, sc, socache_destroy, apr_pool_cleanup_null);
    *pprov = prov;
    return APR_SUCCESS;
}

/* The serving cache is always a local shmcb; a spec naming another provider
 * (memcache, redis) makes that the fleet exchange. A cache mutex is only
 * needed for providers that are not MP-safe. */
static apr_status_t setup_caches(ocspr_module_t *m, apr_pool_t *pconf, apr_pool_t *ptemp,
                                 server_rec *s)
{
    const char *spec = ocspr_conf_cache_spec(s), *sep = ap_strchr_c(spec, ':');
    const char *name = sep ? apr_pstrmemdup(ptemp, spec, (apr_size_t)(sep - spec)) : spec;
    const char *local_arg = NULL;
    apr_size_t size;
    apr_status_t rv;

    if (!strcmp(name, "shmcb") && sep) {
        local_arg = sep + 1;
    }
    else if (strcmp(name, "shmcb")) {
        rv = socache_open(&m->fleet, &m->fleet_inst, &m->fleet_desc, name, sep ? sep + 1 : NULL,
                          "mod_ocsp_refresh", pconf, ptemp, s);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (m->fleet->flags & AP_SOCACHE_FLAG_NOTMPSAFE) {
            rv = ap_global_mutex_create(&m->fleet_mutex, NULL, OCSPR_MUTEX_CACHE, "fleet", s,
                                        pconf, 0);
            if (rv != APR_SUCCESS) {
                return rv;
            }
        }
    }
    if (!local_arg) {
        size = (apr_size_t)m->stapled * SHMCB_PER_CERT;
        size = size < SHMCB_MIN ? SHMCB_MIN : size > SHMCB_MAX ? SHMCB_MAX : size;
        local_arg = apr_psprintf(ptemp, "%s(%" APR_SIZE_T_FMT ")",
                                 ap_runtime_dir_relative(ptemp, "ocsp-refresh-cache"), size);
    }
    rv = socache_open(&m->cache, &m->cache_inst, &m->cache_desc, "shmcb", local_arg,
                      "mod_ocsp_refresh", pconf, ptemp, s);
    if (rv == APR_SUCCESS && (m->cache->flags & AP_SOCACHE_FLAG_NOTMPSAFE)) {
        rv = ap_global_mutex_create(&m->cache_mutex, NULL, OCSPR_MUTEX_CACHE, NULL, s, pconf, 0);
    }
    return rv;
}

static apr_status_t setup_state(ocspr_module_t *m, apr_pool_t *pconf, server_rec *s)
{
    int n = m->entries->nelts > 0 ? m->entries->nelts : 1;
    apr_size_t size = APR_OFFSETOF(ocspr_shared_t, certs) + (apr_size_t)n * sizeof(ocspr_cert_state_t);
    apr_status_t rv;
    int i;

    rv = apr_shm_create(&m->shm, size, NULL, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, OCSPR_T_SETUP_FAILED ": cannot create "
                     "%" APR_SIZE_T_FMT " bytes of anonymous shared memory", size);
        return rv;
    }
    m->shared = apr_shm_baseaddr_get(m->shm);
    memset(m->shared, 0, size);
    m->shared->magic = OCSPR_SHARED_MAGIC;
    m->shared->nentries = m->entries->nelts;
    for (i = 0; i < m->entries->nelts; i++) {
        ocspr_cert_state_init(&m->shared->certs[i]);
    }
    rv = ap_global_mutex_create(&m->state_mutex, NULL, OCSPR_MUTEX_STATE, NULL, s, pconf, 0);
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

/* --- the engine's operations ------------------------------------------------ */

static apr_status_t mutex_lock(apr_global_mutex_t *mutex, const char *what, server_rec *s)
{
    apr_status_t rv = mutex ? apr_global_mutex_lock(mutex) : APR_SUCCESS;

    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, OCSPR_T_LOCK ": cannot take the %s lock",
                     what);
    }
    return rv;
}

static apr_status_t mutex_unlock(apr_global_mutex_t *mutex, const char *what, server_rec *s)
{
    apr_status_t rv = mutex ? apr_global_mutex_unlock(mutex) : APR_SUCCESS;

    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, OCSPR_T_LOCK ": cannot release the %s lock",
                     what);
    }
    return rv;
}

static apr_status_t socache_put(const ap_socache_provider_t *prov, ap_socache_instance_t *inst,
                                apr_global_mutex_t *mutex, server_rec *s,
                                const ocspr_engine_cert_t *c, const unsigned char *rec,
                                apr_size_t len, apr_time_t expiry, apr_pool_t *p)
{
    unsigned char key[OCSPR_RECORD_KEY_LEN];
    apr_status_t rv;

    ocspr_record_key(key, c->id);
    if ((rv = mutex_lock(mutex, "OCSP cache", s)) != APR_SUCCESS) {
        return rv;
    }
    rv = prov->store(inst, s, key, sizeof(key), expiry, (unsigned char *)rec,
                     (unsigned int)len, p);
    mutex_unlock(mutex, "OCSP cache", s);
    return rv;
}

static apr_status_t socache_get(const ap_socache_provider_t *prov, ap_socache_instance_t *inst,
                                apr_global_mutex_t *mutex, server_rec *s,
                                const ocspr_engine_cert_t *c, unsigned char *buf,
                                apr_size_t *len, apr_pool_t *p)
{
    unsigned char key[OCSPR_RECORD_KEY_LEN];
    unsigned int ulen = (unsigned int)*len;
    apr_status_t rv;

    ocspr_record_key(key, c->id);
    if ((rv = mutex_lock(mutex, "OCSP cache", s)) != APR_SUCCESS) {
        return rv;
    }
    rv = prov->retrieve(inst, s, key, sizeof(key), buf, &ulen, p);
    mutex_unlock(mutex, "OCSP cache", s);
    *len = ulen;
    return rv;
}

static apr_status_t op_lock(void *baton)
{
    return ocspr_state_lock(baton);
}

static apr_status_t op_unlock(void *baton)
{
    return ocspr_state_unlock(baton);
}

static apr_status_t op_cache_put(void *baton, const ocspr_engine_cert_t *c,
                                 const unsigned char *rec, apr_size_t len, apr_time_t expiry,
                                 apr_pool_t *p)
{
    ocspr_module_t *m = baton;

    return socache_put(m->cache, m->cache_inst, m->cache_mutex, m->s, c, rec, len, expiry, p);
}

static apr_status_t op_cache_get(void *baton, const ocspr_engine_cert_t *c, unsigned char *buf,
                                 apr_size_t *len, apr_pool_t *p)
{
    ocspr_module_t *m = baton;

    return socache_get(m->cache, m->cache_inst, m->cache_mutex, m->s, c, buf, len, p);
}

static apr_status_t op_store_load(void *baton, const ocspr_engine_cert_t *c,
                                  unsigned char **der, apr_size_t *len, apr_pool_t *p)
{
    ocspr_module_t *m = baton;

    return ocspr_store_load(der, len, m->store_dir, c->id, OCSPR_RESPONSE_MAX_SIZE, p);
}

static apr_status_t op_store_save(void *baton, const ocspr_engine_cert_t *c,
                                  const unsigned char *der, apr_size_t len, apr_pool_t *p)
{
    ocspr_module_t *m = baton;

    return ocspr_store_save(m->store_dir, c->id, der, len, p, NULL, NULL);
}

static const char *op_store_path(void *baton, const ocspr_engine_cert_t *c, apr_pool_t *p)
{
    ocspr_module_t *m = baton;

    return apr_pstrcat(p, m->store_dir, "/", c->id_hex, OCSPR_STORE_SUFFIX, NULL);
}

static apr_status_t op_fleet_get(void *baton, const ocspr_engine_cert_t *c, unsigned char *buf,
                                 apr_size_t *len, apr_pool_t *p)
{
    ocspr_module_t *m = baton;

    return socache_get(m->fleet, m->fleet_inst, m->fleet_mutex, m->s, c, buf, len, p);
}

static apr_status_t op_fleet_put(void *baton, const ocspr_engine_cert_t *c,
                                 const unsigned char *rec, apr_size_t len, apr_time_t expiry,
                                 apr_pool_t *p)
{
    ocspr_module_t *m = baton;

    return socache_put(m->fleet, m->fleet_inst, m->fleet_mutex, m->s, c, rec, len, expiry, p);
}

static apr_time_t op_wall_now(void *baton)
{
    return apr_time_now();
}

static apr_time_t op_mono_now(void *baton)
{
    return ocspr_monotonic_now();
}

static uint32_t op_random(void *baton)
{
    return ocspr_random_default(NULL);
}

static void fill_ops(ocspr_engine_ops_t *ops, ocspr_module_t *m)
{
    memset(ops, 0, sizeof(*ops));
    ops->baton = m;
    ops->lock = op_lock;
    ops->unlock = op_unlock;
    ops->cache_put = op_cache_put;
    ops->cache_get = op_cache_get;
    if (m->store_dir) {
        ops->store_load = op_store_load;
        ops->store_save = op_store_save;
        ops->store_path = op_store_path;
    }
    if (m->fleet) {
        ops->fleet_get = op_fleet_get;
        ops->fleet_put = op_fleet_put;
    }
    ops->transport = ocspr_http_default_transport;
    ops->wall_now = op_wall_now;
    ops->mono_now = op_mono_now;
    ops->random = op_random;
}

/* --- setup, per generation and per process ---------------------------------- */

/* The engine's view of each stapled entry: its log label (escaped: subjects
 * and vhost names are untrusted text) and its state in shared memory. */
static void setup_engine_certs(ocspr_module_t *m, apr_pool_t *pconf)
{
    int i, n = 0;

    m->engine_certs = apr_pcalloc(pconf, sizeof(*m->engine_certs) * (apr_size_t)(m->stapled + 1));
    for (i = 0; i < m->entries->nelts; i++) {
        ocspr_entry_t *entry = APR_ARRAY_IDX(m->entries, i, ocspr_entry_t *);
        ocspr_engine_cert_t *c = &entry->engine_cert;

        if (!entry->url) {
            continue;
        }
        memcpy(c->id, entry->id, OCSPR_CERT_ID_LEN);
        c->id_hex = entry->id_hex;
        c->cert = entry->cert;
        c->issuer = entry->issuer;
        c->url = entry->url;
        c->must_staple = entry->must_staple;
        c->label = ocspr_log_escape(pconf, apr_psprintf(pconf, "%s (vhosts %s)",
                                                        ocspr_cert_subject(entry->cert, pconf),
                                                        ocspr_entry_vhosts(pconf, entry)));
        c->state = &m->shared->certs[entry->slot];
        m->engine_certs[n++] = c;
    }
}

apr_status_t ocspr_module_setup_shared(ocspr_module_t *m, apr_pool_t *pconf, apr_pool_t *ptemp,
                                       server_rec *s)
{
    apr_status_t rv = setup_state(m, pconf, s);

    if (rv == APR_SUCCESS) {
        rv = setup_caches(m, pconf, ptemp, s);
    }
    if (rv == APR_SUCCESS) {
        setup_engine_certs(m, pconf);
        m->engine_config.cache_desc = m->cache_desc;
        m->engine_config.fleet_desc = m->fleet_desc;
        m->engine_config.fleet_health = &m->shared->fleet;
    }
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
    ocspr_engine_ops_t ops;
    apr_status_t rv = reattach(&m->cache_mutex, p);

    if (rv == APR_SUCCESS) {
        rv = reattach(&m->fleet_mutex, p);
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
    fill_ops(&ops, m);
    rv = ocspr_engine_create(&m->engine, p, &m->engine_config, &ops, m->engine_certs,
                             m->stapled);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, OCSPR_T_SETUP_FAILED ": cannot create the "
                     "OCSP refresh engine in process %" APR_PID_T_FMT, getpid());
    }
    return rv;
}

/* --- shared state ------------------------------------------------------------ */

apr_status_t ocspr_state_lock(ocspr_module_t *m)
{
    return mutex_lock(m->state_mutex, "OCSP state", m->s);
}

apr_status_t ocspr_state_unlock(ocspr_module_t *m)
{
    return mutex_unlock(m->state_mutex, "OCSP state", m->s);
}

ocspr_cert_state_t *ocspr_state(ocspr_module_t *m, const ocspr_entry_t *entry)
{
    return &m->shared->certs[entry->slot];
}

void ocspr_state_snapshot(ocspr_module_t *m, ocspr_cert_state_t *out, ocspr_shared_t *header)
{
    if (ocspr_state_lock(m) != APR_SUCCESS) {
        /* Show nothing rather than a torn copy. */
        memset(out, 0, (apr_size_t)m->shared->nentries * sizeof(*out));
        if (header) {
            memset(header, 0, APR_OFFSETOF(ocspr_shared_t, certs));
        }
        return;
    }
    memcpy(out, m->shared->certs, (apr_size_t)m->shared->nentries * sizeof(*out));
    if (header) {
        memcpy(header, m->shared, APR_OFFSETOF(ocspr_shared_t, certs));
    }
    ocspr_state_unlock(m);
}

void ocspr_module_request_refresh(ocspr_module_t *m, const ocspr_entry_t *entry)
{
    if (ocspr_state_lock(m) == APR_SUCCESS) {
        ocspr_state(m, entry)->refresh_requested = 1;
        ocspr_state_unlock(m);
    }
    apr_atomic_inc32(&m->shared->wakeups);
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
    if (socache_get(m->cache, m->cache_inst, m->cache_mutex, c->base_server,
                    &entry->engine_cert, buf, &len, p) == APR_SUCCESS
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
