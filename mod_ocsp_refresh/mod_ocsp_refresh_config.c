/* Directives, and the per-server configuration records they fill. */
#include <apr_lib.h>
#include <apr_strings.h>

#include "ap_provider.h"
#include "ap_socache.h"
#include "http_core.h"

#include "mod_ocsp_refresh.h"

/* Defaults, one place. */
#define DEF_CACHE_SPEC        "shmcb"
#define DEF_STORE_DIR         "ocsp-refresh"      /* relative to ServerRoot */
#define DEF_WINDOW_PERCENT    50
#define DEF_CHECK_INTERVAL    apr_time_from_sec(60)
#define DEF_TIMEOUT           apr_time_from_sec(10)
#define DEF_STARTUP_TIMEOUT   apr_time_from_sec(5)

/* Bounds that keep a typo from taking the server down or hammering a CA. */
#define MIN_CHECK_INTERVAL    1
#define MAX_CHECK_INTERVAL    86400
#define MAX_TIMEOUT           300
#define MAX_STARTUP_TIMEOUT   600

ocspr_srv_conf_t *ocspr_srv_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &ocsp_refresh_module);
}

void *ocspr_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    ocspr_srv_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    conf->enabled = OCSPR_UNSET;
    conf->window_percent = OCSPR_UNSET;
    conf->check_interval = OCSPR_UNSET;
    conf->timeout = OCSPR_UNSET;
    conf->startup_timeout = OCSPR_UNSET;
    conf->strict = OCSPR_UNSET;
    conf->diagnostics = OCSPR_UNSET;
    conf->status_actions = OCSPR_UNSET;
    return conf;
}

#define MERGE_INT(field) conf->field = (add->field != OCSPR_UNSET) ? add->field : base->field
#define MERGE_PTR(field) conf->field = add->field ? add->field : base->field

void *ocspr_merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    const ocspr_srv_conf_t *base = basev, *add = addv;
    ocspr_srv_conf_t *conf = apr_pcalloc(p, sizeof(*conf));

    MERGE_INT(enabled);
    MERGE_PTR(responder);
    /* Process-wide settings can only be set globally; carrying them into
     * every vhost lets code read them from whichever server it holds. */
    MERGE_PTR(cache_spec);
    MERGE_PTR(store_dir);
    MERGE_INT(window_percent);
    MERGE_INT(check_interval);
    MERGE_INT(timeout);
    MERGE_INT(startup_timeout);
    MERGE_PTR(proxy);
    MERGE_INT(strict);
    MERGE_INT(diagnostics);
    MERGE_INT(status_actions);
    return conf;
}

#undef MERGE_INT
#undef MERGE_PTR

static ocspr_srv_conf_t *cmd_conf(cmd_parms *cmd)
{
    return ocspr_srv_conf(cmd->server);
}

/* "On"/"Off" for the FLAG directives that store into an int at `offset`. */
static const char *set_flag(cmd_parms *cmd, void *dc, int flag)
{
    int offset = (int)(apr_uintptr_t)cmd->info;
    const char *err;

    if (offset != APR_OFFSETOF(ocspr_srv_conf_t, enabled)
        && (err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) != NULL) {
        return err;
    }
    *(int *)((char *)cmd_conf(cmd) + offset) = flag ? 1 : 0;
    return NULL;
}

/* A whole number of seconds within [min, max]. */
static const char *parse_seconds(apr_interval_time_t *out, cmd_parms *cmd, const char *arg,
                                 long min, long max)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(arg, &end, 10);
    if (errno || end == arg || *end != '\0' || v < min || v > max) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number of seconds from %ld to %ld",
                            cmd->cmd->name, arg, min, max);
    }
    *out = apr_time_from_sec(v);
    return NULL;
}

static const char *set_seconds(cmd_parms *cmd, void *dc, const char *arg)
{
    ocspr_srv_conf_t *conf = cmd_conf(cmd);
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const char *name = cmd->cmd->name;

    if (err) {
        return err;
    }
    if (!strcasecmp(name, "OCSPRefreshCheckInterval")) {
        return parse_seconds(&conf->check_interval, cmd, arg, MIN_CHECK_INTERVAL,
                             MAX_CHECK_INTERVAL);
    }
    if (!strcasecmp(name, "OCSPRefreshTimeout")) {
        return parse_seconds(&conf->timeout, cmd, arg, 1, MAX_TIMEOUT);
    }
    return parse_seconds(&conf->startup_timeout, cmd, arg, 0, MAX_STARTUP_TIMEOUT);
}

static const char *set_window(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    char *end;
    long v;

    if (err) {
        return err;
    }
    errno = 0;
    v = strtol(arg, &end, 10);
    if (*end == '%') {
        end++;
    }
    if (errno || end == arg || *end != '\0' || v < 1 || v > 99) {
        return apr_psprintf(cmd->pool, "OCSPRefreshWindow: '%s' is not a percentage from 1 to 99 "
                            "(the share of a response's validity after which it is refreshed)",
                            arg);
    }
    cmd_conf(cmd)->window_percent = (int)v;
    return NULL;
}

/* An http:// URL with a host. https is refused here, where the admin sees
 * it, rather than at every fetch. */
static const char *check_http_url(cmd_parms *cmd, const char *arg)
{
    apr_uri_t uri;

    if (apr_uri_parse(cmd->pool, arg, &uri) != APR_SUCCESS || !uri.scheme || !uri.hostname) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a URL (expected http://host[:port]/...)",
                            cmd->cmd->name, arg);
    }
    if (strcasecmp(uri.scheme, "http")) {
        return apr_psprintf(cmd->pool, "%s: '%s' uses %s; OCSP is fetched over plain http:// "
                            "(responses are signed, RFC 6960), give an http:// URL",
                            cmd->cmd->name, arg, uri.scheme);
    }
    return NULL;
}

static const char *set_responder(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = check_http_url(cmd, arg);

    if (err) {
        return err;
    }
    cmd_conf(cmd)->responder = arg;
    return NULL;
}

static const char *set_proxy(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    if (err || (err = check_http_url(cmd, arg)) != NULL) {
        return err;
    }
    cmd_conf(cmd)->proxy = arg;
    return NULL;
}

static const char *set_store(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    if (err) {
        return err;
    }
    if (!*arg) {
        return "OCSPRefreshStore: give a directory, or 'none' to keep responses in memory only";
    }
    cmd_conf(cmd)->store_dir = arg;
    return NULL;
}

static const char *socache_provider_list(apr_pool_t *p)
{
    apr_array_header_t *names = ap_list_provider_names(p, AP_SOCACHE_PROVIDER_GROUP,
                                                       AP_SOCACHE_PROVIDER_VERSION);
    const ap_list_provider_names_t *name;
    const char *list = NULL;
    int i;

    for (i = 0; names && i < names->nelts; i++) {
        name = &APR_ARRAY_IDX(names, i, ap_list_provider_names_t);
        list = list ? apr_pstrcat(p, list, ", ", name->provider_name, NULL) : name->provider_name;
    }
    return list ? list : "none";
}

/* "provider" or "provider:args", checked against the socache providers
 * loaded now, so a typo fails `apachectl -t` with the list of choices. */
static const char *set_cache(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const char *sep, *name;

    if (err) {
        return err;
    }
    sep = ap_strchr_c(arg, ':');
    name = sep ? apr_pstrmemdup(cmd->temp_pool, arg, (apr_size_t)(sep - arg)) : arg;
    if (!ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name, AP_SOCACHE_PROVIDER_VERSION)) {
        return apr_psprintf(cmd->pool, "OCSPRefreshCache: unknown socache provider '%s'; "
                            "loaded providers: %s (LoadModule socache_%s_module to use it)",
                            name, socache_provider_list(cmd->pool), name);
    }
    cmd_conf(cmd)->cache_spec = arg;
    return NULL;
}

#define FLAG_AT(field) ((void *)APR_OFFSETOF(ocspr_srv_conf_t, field))

const command_rec ocspr_cmds[] = {
    AP_INIT_FLAG("OCSPRefresh", set_flag, FLAG_AT(enabled), RSRC_CONF,
                 "On to have mod_ocsp_refresh staple this server's certificates"),
    AP_INIT_TAKE1("OCSPRefreshResponder", set_responder, NULL, RSRC_CONF,
                  "http:// URL of the OCSP responder, overriding the certificates' own"),
    AP_INIT_TAKE1("OCSPRefreshCache", set_cache, NULL, RSRC_CONF,
                  "socache provider for responses, e.g. shmcb, shmcb:/path(bytes), memcache:host:port"),
    AP_INIT_TAKE1("OCSPRefreshStore", set_store, NULL, RSRC_CONF,
                  "directory where responses survive restarts, or 'none'"),
    AP_INIT_TAKE1("OCSPRefreshWindow", set_window, NULL, RSRC_CONF,
                  "refresh after this percentage of a response's validity (1-99, default 50)"),
    AP_INIT_TAKE1("OCSPRefreshCheckInterval", set_seconds, NULL, RSRC_CONF,
                  "longest sleep of the maintenance thread, in seconds (default 60)"),
    AP_INIT_TAKE1("OCSPRefreshTimeout", set_seconds, NULL, RSRC_CONF,
                  "per-request responder timeout, in seconds (default 10)"),
    AP_INIT_TAKE1("OCSPRefreshStartupTimeout", set_seconds, NULL, RSRC_CONF,
                  "total seconds the startup prefetch may take, 0 for no limit (default 5)"),
    AP_INIT_TAKE1("OCSPRefreshProxy", set_proxy, NULL, RSRC_CONF,
                  "http:// proxy for responder requests"),
    AP_INIT_FLAG("OCSPRefreshStrict", set_flag, FLAG_AT(strict), RSRC_CONF,
                 "On to make a configuration check fail on a finding that breaks stapling"),
    AP_INIT_FLAG("OCSPRefreshDiagnostics", set_flag, FLAG_AT(diagnostics), RSRC_CONF,
                 "Off to skip the certificate chain diagnostics"),
    AP_INIT_FLAG("OCSPRefreshStatusActions", set_flag, FLAG_AT(status_actions), RSRC_CONF,
                 "On to allow 'refresh now' POSTs on the ocsp-refresh-status page"),
    { NULL }
};

#define OR_DEFAULT(v, d) ((v) == OCSPR_UNSET ? (d) : (v))

int ocspr_conf_enabled(const server_rec *s)
{
    return OR_DEFAULT(ocspr_srv_conf(s)->enabled, 0);
}

const char *ocspr_conf_responder(const server_rec *s)
{
    return ocspr_srv_conf(s)->responder;
}

int ocspr_conf_strict(const server_rec *s)
{
    return OR_DEFAULT(ocspr_srv_conf(s)->strict, 0);
}

int ocspr_conf_diagnostics(const server_rec *s)
{
    return OR_DEFAULT(ocspr_srv_conf(s)->diagnostics, 1);
}

int ocspr_conf_status_actions(const server_rec *s)
{
    return OR_DEFAULT(ocspr_srv_conf(s)->status_actions, 0);
}

const char *ocspr_conf_store_dir(const server_rec *s, apr_pool_t *p)
{
    const char *dir = ocspr_srv_conf(s)->store_dir;

    if (dir && !strcasecmp(dir, "none")) {
        return NULL;
    }
    return ap_server_root_relative(p, dir ? dir : DEF_STORE_DIR);
}

const char *ocspr_conf_cache_spec(const server_rec *s)
{
    const char *spec = ocspr_srv_conf(s)->cache_spec;

    return spec ? spec : DEF_CACHE_SPEC;
}

apr_interval_time_t ocspr_conf_startup_timeout(const server_rec *s)
{
    return OR_DEFAULT(ocspr_srv_conf(s)->startup_timeout, DEF_STARTUP_TIMEOUT);
}

void ocspr_conf_policy(ocspr_policy_t *pol, const server_rec *s)
{
    const ocspr_srv_conf_t *conf = ocspr_srv_conf(s);

    ocspr_policy_default(pol);
    pol->window_percent = OR_DEFAULT(conf->window_percent, DEF_WINDOW_PERCENT);
    pol->check_interval = OR_DEFAULT(conf->check_interval, DEF_CHECK_INTERVAL);
}

void ocspr_conf_http_opts(ocspr_http_opts_t *opts, const server_rec *s)
{
    const ocspr_srv_conf_t *conf = ocspr_srv_conf(s);
    apr_interval_time_t timeout = OR_DEFAULT(conf->timeout, DEF_TIMEOUT);

    ocspr_http_opts_default(opts);
    opts->total_timeout = timeout;
    if (opts->connect_timeout > timeout) {
        opts->connect_timeout = timeout;
    }
    opts->proxy_url = conf->proxy;
}
