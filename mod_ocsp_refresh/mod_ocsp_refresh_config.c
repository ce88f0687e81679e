/* Directives, and the per-server configuration records they fill.
 *
 * One parser per kind of value (seconds, percent, URL, directory), in the
 * core (ocspr_conf.c) with the defaults; here On|Off, the cache spec (its
 * provider must be loaded) and what needs httpd: cmd_parms and the scope.
 * What differs between directives of one kind (the field, the parser, the
 * range, the scope, the word for "no limit") is a row of a table handed to
 * the handler in cmd->info, so adding a directive adds a row, not a branch.
 * The record, its merge and its defaults are the core's (ocspr_conf_t). */
#include <apr_strings.h>

#include "ap_provider.h"
#include "ap_socache.h"
#include "http_core.h"

#include "mod_ocsp_refresh.h"

ocspr_conf_t *ocspr_srv_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &ocsp_refresh_module);
}

void *ocspr_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    return ocspr_conf_create(p);
}

void *ocspr_merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    return ocspr_conf_merge(p, basev, addv);
}

/* ------------------------------------------------------------ the table */

/* What one directive sets and within which limits; its handler gets it in
 * cmd->info. */
typedef struct {
    apr_size_t field;        /* offset of the value in ocspr_conf_t */
    int global_only;         /* process-wide: refused inside <VirtualHost> */
    ocspr_conf_parse_fn *parse;   /* one-argument values: their kind's parser (it writes
                                   * the type that kind has, ocspr_conf.h) */
    ocspr_conf_limits_t limits;
} ocspr_directive_t;

#define AT(f) APR_OFFSETOF(ocspr_conf_t, f)

/* Ranges keep a typo from taking the server down or hammering a CA. */
static const ocspr_directive_t
    row_enabled = { .field = AT(enabled) },
    row_responder = { .field = AT(responder), .parse = ocspr_conf_parse_url },
    row_cache = { .field = AT(cache_spec), .global_only = 1 },
    row_store = { .field = AT(store_dir), .global_only = 1, .parse = ocspr_conf_parse_dir },
    row_window = { .field = AT(window_percent), .global_only = 1,
                   .parse = ocspr_conf_parse_percent, .limits = { .min = 1, .max = 99,
                   .meaning = "the share of a response's validity after which it is refreshed" } },
    row_check_interval = { .field = AT(check_interval), .global_only = 1,
                           .parse = ocspr_conf_parse_seconds,
                           .limits = { .min = 1, .max = 86400 } },
    row_timeout = { .field = AT(timeout), .global_only = 1,
                    .parse = ocspr_conf_parse_seconds, .limits = { .min = 1, .max = 300 } },
    row_startup_timeout = { .field = AT(startup_timeout), .global_only = 1,
                            .parse = ocspr_conf_parse_seconds, .limits = { .min = 0, .max = 600 } },
    /* At least a minute, so that a clock running a little ahead of the CA's
     * cannot make every fresh response too old; at most a year. */
    row_max_age = { .field = AT(max_age), .global_only = 1, .parse = ocspr_conf_parse_seconds,
                    .limits = { .min = 60, .max = 365L * 86400, .off_word = "off" } },
    row_proxy = { .field = AT(proxy), .global_only = 1, .parse = ocspr_conf_parse_url },
    row_strict = { .field = AT(strict), .global_only = 1 },
    row_diagnostics = { .field = AT(diagnostics), .global_only = 1 },
    row_status_actions = { .field = AT(status_actions), .global_only = 1 };

#undef AT

/* The field a directive sets, in the record of the server being configured. */
#define FIELD(cmd, type) \
    ((type *)(void *)((char *)ocspr_srv_conf((cmd)->server) \
                      + ((const ocspr_directive_t *)(cmd)->info)->field))

static const ocspr_directive_t *spec_of(const cmd_parms *cmd)
{
    return cmd->info;
}

static const char *check_scope(cmd_parms *cmd)
{
    return spec_of(cmd)->global_only ? ap_check_cmd_context(cmd, GLOBAL_ONLY) : NULL;
}

/* ---------------------------------------------------------- the handlers */

/* On|Off (httpd itself rejects anything else: "... must be On or Off"). */
static const char *set_flag(cmd_parms *cmd, void *dc, int flag)
{
    const char *err = check_scope(cmd);

    if (err) {
        return err;
    }
    *FIELD(cmd, int) = flag ? 1 : 0;
    return NULL;
}

/* A value of one argument, checked and stored by the parser of its kind. */
static const char *set_value(cmd_parms *cmd, void *dc, const char *arg)
{
    const ocspr_directive_t *spec = spec_of(cmd);
    const char *err = check_scope(cmd);

    return err ? err : spec->parse(FIELD(cmd, void), cmd->pool, cmd->cmd->name, &spec->limits,
                                   arg);
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
    const char *err = check_scope(cmd);
    const char *name;

    if (err) {
        return err;
    }
    name = ocspr_conf_cache_provider(cmd->temp_pool, arg);
    if (!ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name, AP_SOCACHE_PROVIDER_VERSION)) {
        return apr_psprintf(cmd->pool, "%s: unknown socache provider '%s'; "
                            "loaded providers: %s (LoadModule socache_%s_module to use it)",
                            cmd->cmd->name, name, socache_provider_list(cmd->pool), name);
    }
    *FIELD(cmd, const char *) = arg;
    return NULL;
}

#define ROW(d) ((void *)&(d))

/* Help texts name no default: the README's directive table is where they
 * are written down, beside the code that owns them. */
const command_rec ocspr_cmds[] = {
    AP_INIT_FLAG("OCSPRefresh", set_flag, ROW(row_enabled), RSRC_CONF,
                 "On to have mod_ocsp_refresh staple this server's certificates"),
    AP_INIT_TAKE1("OCSPRefreshResponder", set_value, ROW(row_responder), RSRC_CONF,
                  "http:// URL of the OCSP responder, overriding the certificates' own"),
    AP_INIT_TAKE1("OCSPRefreshCache", set_cache, ROW(row_cache), RSRC_CONF,
                  "socache provider for responses, e.g. shmcb, shmcb:/path(bytes), memcache:host:port"),
    AP_INIT_TAKE1("OCSPRefreshStore", set_value, ROW(row_store), RSRC_CONF,
                  "directory where responses survive restarts, or 'none'"),
    AP_INIT_TAKE1("OCSPRefreshWindow", set_value, ROW(row_window), RSRC_CONF,
                  "refresh after this percentage of a response's validity (1-99)"),
    AP_INIT_TAKE1("OCSPRefreshCheckInterval", set_value, ROW(row_check_interval), RSRC_CONF,
                  "longest sleep of the maintenance thread, in seconds"),
    AP_INIT_TAKE1("OCSPRefreshTimeout", set_value, ROW(row_timeout), RSRC_CONF,
                  "per-request responder timeout, in seconds"),
    AP_INIT_TAKE1("OCSPRefreshStartupTimeout", set_value, ROW(row_startup_timeout), RSRC_CONF,
                  "total seconds the startup prefetch may take, 0 for no limit"),
    AP_INIT_TAKE1("OCSPRefreshMaxAge", set_value, ROW(row_max_age), RSRC_CONF,
                  "refuse responses produced longer ago than this many seconds, or off"),
    AP_INIT_TAKE1("OCSPRefreshProxy", set_value, ROW(row_proxy), RSRC_CONF,
                  "http:// proxy for responder requests"),
    AP_INIT_FLAG("OCSPRefreshStrict", set_flag, ROW(row_strict), RSRC_CONF,
                 "On to make a configuration check fail on a finding that breaks stapling"),
    AP_INIT_FLAG("OCSPRefreshDiagnostics", set_flag, ROW(row_diagnostics), RSRC_CONF,
                 "Off to skip the certificate chain diagnostics"),
    AP_INIT_FLAG("OCSPRefreshStatusActions", set_flag, ROW(row_status_actions), RSRC_CONF,
                 "On to allow 'refresh now' POSTs on the ocsp-refresh-status page"),
    { NULL }
};

#undef ROW

const char *ocspr_conf_store_dir(const server_rec *s, apr_pool_t *p)
{
    const char *dir = ocspr_conf_store_dir_name(ocspr_srv_conf(s)->store_dir);

    return dir ? ap_server_root_relative(p, dir) : NULL;
}
