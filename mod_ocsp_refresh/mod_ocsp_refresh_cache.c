/* The shared socache of responses and the shared per-certificate state. */
#include <apr_atomic.h>
#include <apr_strings.h>

#include "ap_provider.h"
#include "http_protocol.h"
#include "util_mutex.h"

#include "mod_ocsp_refresh_module.h"
#include "ocspr_record.h"

#define OCSPR_SHARED_MAGIC 0x4F435354u     /* "OCST" */

/* Auto-sizing of shmcb: shmcb hashes keys into subcaches and evicts within a
 * full one, so leave each certificate room for several responses. */
#define SHMCB_PER_CERT     (64 * 1024)
#define SHMCB_MIN          (512 * 1024)
#define SHMCB_MAX          (64 * 1024 * 1024)

/* Handshake buffers: the last stored length tells the size; before the first
 * store, or when a larger response may have arrived since, allow for it. */
#define SERVE_MIN_BUFFER   8192

void ocspr_module_register_mutexes(apr_pool_t *pconf)
{
    ap_mutex_register(pconf, OCSPR_MUTEX_CACHE, NULL, APR_LOCK_DEFAULT, 0);
    ap_mutex_register(pconf, OCSPR_MUTEX_STATE, NULL, APR_LOCK_DEFAULT, 0);
    /* The leader lock must be released by the kernel when its holder dies
     * (SIGKILL, crash) so another child takes over: fcntl locks are. */
    ap_mutex_register(pconf, OCSPR_MUTEX_LEADER, NULL, APR_LOCK_FCNTL, 0);
}

static apr_status_t cache_destroy(void *data)
{
    ocspr_module_t *e = data;

    if (e->cache_inst) {
        e->cache->destroy(e->cache_inst, e->s);
        e->cache_inst = NULL;
    }
    return APR_SUCCESS;
}

static apr_status_t setup_cache(ocspr_module_t *e, apr_pool_t *pconf, apr_pool_t *ptemp,
                                server_rec *s)
{
    const char *spec = ocspr_conf_cache_spec(s), *sep, *name, *arg, *err;
    struct ap_socache_hints hints = { OCSPR_RECORD_KEY_LEN, 4096, 60 };
    apr_size_t size;
    apr_status_t rv;

    sep = ap_strchr_c(spec, ':');
    name = sep ? apr_pstrmemdup(ptemp, spec, (apr_size_t)(sep - spec)) : spec;
    arg = sep ? sep + 1 : NULL;
    e->cache = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name, AP_SOCACHE_PROVIDER_VERSION);
    if (!e->cache) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, OCSPR_T_SETUP_FAILED ": socache provider "
                     "'%s' of OCSPRefreshCache is not loaded", name);
        return APR_ENOTIMPL;
    }
    if (!strcmp(name, "shmcb") && !arg) {
        size = (apr_size_t)e->entries->nelts * SHMCB_PER_CERT;
        size = size < SHMCB_MIN ? SHMCB_MIN : size > SHMCB_MAX ? SHMCB_MAX : size;
        arg = apr_psprintf(ptemp, "%s(%" APR_SIZE_T_FMT ")",
                           ap_runtime_dir_relative(ptemp, "ocsp-refresh-cache"), size);
    }
    e->cache_desc = arg ? apr_pstrcat(pconf, name, ":", arg, NULL) : name;
    err = e->cache->create(&e->cache_inst, arg, ptemp, pconf);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, OCSPR_T_SETUP_FAILED ": OCSPRefreshCache "
                     "%s: %s", e->cache_desc, err);
        e->cache_inst = NULL;
        return APR_EINVAL;
    }
    rv = e->cache->init(e->cache_inst, "mod_ocsp_refresh", &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, OCSPR_T_SETUP_FAILED ": cannot initialise "
                     "OCSPRefreshCache %s", e->cache_desc);
        e->cache_inst = NULL;
        return rv;
    }
    apr_pool_cleanup_register(pconf, e, cache_destroy, apr_pool_cleanup_null);
    if (e->cache->flags & AP_SOCACHE_FLAG_NOTMPSAFE) {
        rv = ap_global_mutex_create(&e->cache_mutex, NULL, OCSPR_MUTEX_CACHE, NULL, s, pconf, 0);
    }
    return rv;
}

static apr_status_t setup_state(ocspr_module_t *e, apr_pool_t *pconf, server_rec *s)
{
    int n = e->entries->nelts > 0 ? e->entries->nelts : 1;
    apr_size_t size = APR_OFFSETOF(ocspr_shared_t, certs) + (apr_size_t)n * sizeof(ocspr_cert_state_t);
    apr_status_t rv;
    int i;

    rv = apr_shm_create(&e->shm, size, NULL, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, OCSPR_T_SETUP_FAILED ": cannot create "
                     "%" APR_SIZE_T_FMT " bytes of anonymous shared memory", size);
        return rv;
    }
    e->shared = apr_shm_baseaddr_get(e->shm);
    memset(e->shared, 0, size);
    e->shared->magic = OCSPR_SHARED_MAGIC;
    e->shared->nentries = e->entries->nelts;
    for (i = 0; i < e->entries->nelts; i++) {
        e->shared->certs[i].revocation_reason = -1;
    }
    rv = ap_global_mutex_create(&e->state_mutex, NULL, OCSPR_MUTEX_STATE, NULL, s, pconf, 0);
    if (rv == APR_SUCCESS) {
        rv = ap_global_mutex_create(&e->leader_mutex, NULL, OCSPR_MUTEX_LEADER, NULL, s, pconf, 0);
    }
    return rv;
}

apr_status_t ocspr_module_setup_shared(ocspr_module_t *e, apr_pool_t *pconf, apr_pool_t *ptemp,
                                       server_rec *s)
{
    apr_status_t rv = setup_state(e, pconf, s);

    return rv == APR_SUCCESS ? setup_cache(e, pconf, ptemp, s) : rv;
}

static apr_status_t reattach(apr_global_mutex_t **mutex, apr_pool_t *pchild)
{
    if (!*mutex) {
        return APR_SUCCESS;
    }
    return apr_global_mutex_child_init(mutex, apr_global_mutex_lockfile(*mutex), pchild);
}

apr_status_t ocspr_module_child_attach(ocspr_module_t *e, apr_pool_t *pchild, server_rec *s)
{
    apr_status_t rv = reattach(&e->cache_mutex, pchild);

    if (rv == APR_SUCCESS) {
        rv = reattach(&e->state_mutex, pchild);
    }
    if (rv == APR_SUCCESS) {
        rv = reattach(&e->leader_mutex, pchild);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, OCSPR_T_SETUP_FAILED ": cannot re-attach "
                     "the mod_ocsp_refresh mutexes in child %" APR_PID_T_FMT, getpid());
    }
    return rv;
}

void ocspr_state_lock(ocspr_module_t *e)
{
    apr_global_mutex_lock(e->state_mutex);
}

void ocspr_state_unlock(ocspr_module_t *e)
{
    apr_global_mutex_unlock(e->state_mutex);
}

ocspr_cert_state_t *ocspr_state(ocspr_module_t *e, const ocspr_entry_t *entry)
{
    return &e->shared->certs[entry->slot];
}

void ocspr_state_snapshot(ocspr_module_t *e, ocspr_cert_state_t *out, ocspr_shared_t *header)
{
    ocspr_state_lock(e);
    memcpy(out, e->shared->certs, (apr_size_t)e->shared->nentries * sizeof(*out));
    if (header) {
        memcpy(header, e->shared, APR_OFFSETOF(ocspr_shared_t, certs));
    }
    ocspr_state_unlock(e);
}

void ocspr_module_request_refresh(ocspr_module_t *e, const ocspr_entry_t *entry)
{
    ocspr_state_lock(e);
    ocspr_state(e, entry)->refresh_requested = 1;
    ocspr_state_unlock(e);
    apr_atomic_inc32(&e->shared->wakeups);
}

static void cache_lock(ocspr_module_t *e)
{
    if (e->cache_mutex) {
        apr_global_mutex_lock(e->cache_mutex);
    }
}

static void cache_unlock(ocspr_module_t *e)
{
    if (e->cache_mutex) {
        apr_global_mutex_unlock(e->cache_mutex);
    }
}

apr_status_t ocspr_cache_put(ocspr_module_t *e, const ocspr_entry_t *entry,
                             const ocspr_response_info_t *info, apr_time_t fetched,
                             const unsigned char *der, apr_size_t len, apr_pool_t *p)
{
    ocspr_record_t rec;
    unsigned char key[OCSPR_RECORD_KEY_LEN], *buf;
    apr_size_t buflen, written;
    apr_status_t rv;

    rec.cert_status = info->cert_status;
    rec.fetched = fetched;
    rec.this_update = info->this_update;
    rec.next_update = info->next_update;
    rec.der = der;
    rec.der_len = len;
    buflen = ocspr_record_encoded_len(&rec);
    buf = apr_palloc(p, buflen);
    rv = ocspr_record_encode(buf, buflen, &written, &rec);
    if (rv == APR_SUCCESS) {
        ocspr_record_key(key, entry->id);
        cache_lock(e);
        rv = e->cache->store(e->cache_inst, e->s, key, sizeof(key), info->next_update,
                             buf, (unsigned int)written, p);
        cache_unlock(e);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, e->s, OCSPR_T_CACHE_WRITE ": could not put "
                     "the OCSP response for %s into %s; it is not stapled until this works",
                     ocspr_cert_subject(entry->cert, p), e->cache_desc);
        return rv;
    }
    apr_atomic_set32(&ocspr_state(e, entry)->response_len, (apr_uint32_t)len);
    return APR_SUCCESS;
}

/* Look the record up into a buffer from p; NULL when absent or unusable. */
static const ocspr_record_t *cache_get(ocspr_record_t *rec, ocspr_module_t *e,
                                       const ocspr_entry_t *entry, server_rec *s, apr_pool_t *p)
{
    unsigned char key[OCSPR_RECORD_KEY_LEN], *buf;
    apr_uint32_t hint = apr_atomic_read32(&ocspr_state(e, entry)->response_len);
    unsigned int len = OCSPR_RECORD_HDR_LEN + (hint * 2 > SERVE_MIN_BUFFER ? hint * 2
                                                                          : SERVE_MIN_BUFFER);
    apr_status_t rv;

    buf = apr_palloc(p, len);
    ocspr_record_key(key, entry->id);
    cache_lock(e);
    rv = e->cache->retrieve(e->cache_inst, s, key, sizeof(key), buf, &len, p);
    cache_unlock(e);
    if (rv != APR_SUCCESS || ocspr_record_decode(rec, buf, len) != APR_SUCCESS) {
        return NULL;
    }
    return rec;
}

int ocspr_cache_has(ocspr_module_t *e, const ocspr_entry_t *entry, apr_pool_t *p)
{
    ocspr_record_t rec;

    return cache_get(&rec, e, entry, e->s, p) != NULL;
}

int ocspr_cache_serve(ocspr_module_t *e, const ocspr_entry_t *entry, conn_rec *c,
                      ap_ssl_ocsp_copy_resp *cb, void *userdata)
{
    ocspr_record_t rec;
    apr_pool_t *p;
    int served = 0;

    /* A short-lived pool: the buffer goes back to the allocator as soon as
     * mod_ssl has copied the response, not when the connection ends. */
    if (apr_pool_create(&p, c->pool) != APR_SUCCESS) {
        cb(NULL, 0, userdata);
        return 0;
    }
    if (cache_get(&rec, e, entry, c->base_server, p) && rec.next_update > apr_time_now()) {
        cb(rec.der, rec.der_len, userdata);
        served = 1;
    }
    else {
        cb(NULL, 0, userdata);
    }
    apr_pool_destroy(p);
    return served;
}
