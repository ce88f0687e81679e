/* mod_ocsp_refresh: the module record and the hooks that wire the engine,
 * the diagnostics and the status page into httpd. */
#include "http_core.h"
#include "http_main.h"
#include "http_ssl.h"
#include "mpm_common.h"

#include "mod_ocsp_refresh.h"
#include "mod_ocsp_refresh_diag.h"
#include "mod_ocsp_refresh_module.h"
#include "mod_ocsp_refresh_status.h"

/* The core logs through this sink (levels are APLOG's). */
static void core_log(void *baton, const char *file, int line, ocspr_log_level_t level,
                     apr_status_t rv, const char *tag, const char *msg)
{
    ap_log_error_(file, line, APLOG_MODULE_INDEX, (int)level, rv, ap_server_conf, "%s%s%s",
                  tag ? tag : "", tag ? ": " : "", msg);
}

static int ocspr_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    ocspr_log_set(core_log, NULL, OCSPR_LOG_TRACE2);
    ocspr_module_register_mutexes(pconf);
    ocspr_module_create(pconf);
    return OK;
}

static int ocspr_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                              server_rec *s)
{
    return ocspr_diag_run(pconf, ptemp, s, OCSPR_DIAG_CHECK_CONFIG);
}

static int ocspr_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                             server_rec *s)
{
    ocspr_module_t *m = ocspr_module;
    int rc, level;

    /* The first, trial pass only checks the configuration. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    rc = ocspr_diag_run(pconf, ptemp, s, OCSPR_DIAG_STARTUP);
    if (rc != OK || !m || !m->reg->entries->nelts) {
        return rc;
    }
    m->s = s;
    /* From here on the core formats only what LogLevel keeps: thousands of
     * per-certificate INFO lines cost nothing at the default level. NOTICE
     * always passes, as httpd writes it to the error log at any LogLevel. */
    level = ap_get_server_module_loglevel(s, APLOG_MODULE_INDEX);
    ocspr_log_set(core_log, NULL, (ocspr_log_level_t)(level < APLOG_NOTICE ? APLOG_NOTICE : level));
    ocspr_conf_engine(&m->engine_config, ocspr_srv_conf(s));
    ocspr_registry_log_not_applicable(m->reg, ptemp);
    if (!m->reg->stapled) {
        return OK;
    }
#if !APR_HAS_THREADS
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, OCSPR_T_SETUP_FAILED ": mod_ocsp_refresh needs "
                 "an APR built with threads (its refresh runs on a thread of each child); "
                 "remove OCSPRefresh On or use an APR with threads");
    return !OK;
#endif
    if (ocspr_module_setup_shared(m, pconf, ptemp, s) != APR_SUCCESS) {
        return !OK;
    }
    m->started = 1;
    ocspr_module_startup(m, pconf, ptemp);
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, OCSPR_T_STARTED ": mod_ocsp_refresh "
                 OCSPR_VERSION " stapling %d certificates (%d not applicable), serving cache "
                 "%s, fleet exchange %s, store %s", m->reg->stapled,
                 m->reg->entries->nelts - m->reg->stapled, m->engine_ops.cache.desc,
                 m->engine_ops.fleet.desc ? m->engine_ops.fleet.desc : "none",
                 m->store_dir ? m->store_dir : "none (memory only)");
    return OK;
}

static void ocspr_child_init(apr_pool_t *pchild, server_rec *s)
{
    ocspr_module_t *m = ocspr_module;

    if (!m || !m->started || ocspr_module_process_attach(m, pchild, s) != APR_SUCCESS) {
        return;
    }
    ocspr_maint_start(m, pchild, s);
}

/* Told to stop (graceful restart or stop): the leader steps down at once,
 * so the old generation never refreshes next to the new one. */
static void ocspr_child_stopping(apr_pool_t *pchild, int graceful)
{
    ocspr_maint_child_stopping(ocspr_module);
}

static int ocspr_prime(server_rec *s, apr_pool_t *p, const char *id, apr_size_t id_len,
                       const char *pem)
{
    return ocspr_module_prime(s, p, id, id_len, pem);
}

/* The handshake path: one cache lookup, one callback, never network or
 * disk. For a certificate we primed we always answer (OK), with nothing
 * when nothing valid is held: declining would hand the handshake to
 * mod_ssl's blocking fetch. */
static int ocspr_get_resp(server_rec *s, conn_rec *c, const char *id, apr_size_t id_len,
                          ap_ssl_ocsp_copy_resp *cb, void *userdata)
{
    ocspr_module_t *m = ocspr_module;
    const ocspr_entry_t *entry;

    if (!m || !m->started || !(entry = ocspr_registry_get(m->reg, id, id_len)) || !entry->url
        || !ocspr_conf_enabled(ocspr_srv_conf(s))) {
        return DECLINED;
    }
    if (!ocspr_cache_serve(m, entry, c, cb, userdata)) {
        ap_log_cerror(APLOG_MARK, APLOG_TRACE2, 0, c, "no valid OCSP response to staple for "
                      "certificate %s", entry->id_hex);
    }
    return OK;
}

static void ocspr_register_hooks(apr_pool_t *p)
{
    /* Priming happens in mod_ssl's post_config; ours must follow it. */
    static const char *const after_ssl[] = { "mod_ssl.c", NULL };
    /* mod_md provides the same hooks: an admin who turns us on for a vhost
     * gets us. */
    static const char *const before_md[] = { "mod_md.c", NULL };

    ap_hook_pre_config(ocspr_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(ocspr_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(ocspr_post_config, after_ssl, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(ocspr_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_stopping(ocspr_child_stopping, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_ssl_ocsp_prime_hook(ocspr_prime, NULL, before_md, APR_HOOK_MIDDLE);
    ap_hook_ssl_ocsp_get_resp_hook(ocspr_get_resp, NULL, before_md, APR_HOOK_MIDDLE);
    ocspr_status_register_hooks(p);
}

module AP_MODULE_DECLARE_DATA ocsp_refresh_module = {
    STANDARD20_MODULE_STUFF,
    NULL,                       /* per-directory config: none */
    NULL,
    ocspr_create_srv_conf,
    ocspr_merge_srv_conf,
    ocspr_cmds,
    ocspr_register_hooks,
    AP_MODULE_FLAG_NONE
};
