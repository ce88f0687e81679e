/* Directives, and the per-server configuration records they fill.
 *
 * One handler per kind of value (flag, seconds, percent, URL, directory,
 * cache spec). What differs between directives of one kind (the field, the
 * range, the scope, the word for "no limit") is a row of a table handed to
 * the handler in cmd->info, so adding a directive adds a row, not a branch.
 *
 * Defaults live in one place each: the refresh policy's and the transport's
 * in the core (ocspr_policy_default, ocspr_http_opts_default), the rest in
 * ocspr_glue_defaults below. A field left unset in the configuration takes
 * its default when an accessor reads it, never earlier, so a vhost can tell
 * "not said" from "said the default". */
#include <apr_lib.h>
#include <apr_strings.h>

#include "ap_provider.h"
#include "ap_socache.h"
#include "http_core.h"

#include "mod_ocsp_refresh.h"

/* Defaults of the settings the core has no opinion on. */
static const struct {
    int enabled;
    const char *cache_spec;
    const char *store_dir;                /* relative to ServerRoot */
    apr_interval_time_t startup_timeout;
    apr_interval_time_t max_age;          /* 0: no limit */
    int strict;
    int diagnostics;
    int status_actions;
} ocspr_glue_defaults = {
    .enabled = 0,
    .cache_spec = "shmcb",
    .store_dir = "ocsp-refresh",
    .startup_timeout = apr_time_from_sec(5),
    .max_age = 0,
    .strict = 0,
    .diagnostics = 1,
    .status_actions = 0,
};

ocspr_srv_conf_t *ocspr_srv_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &ocsp_refresh_module);
}

/* Every field, unset. test/integration/t_config_fields.sh checks that each
 * field of ocspr_srv_conf_t is named here and in the merge. */
void *ocspr_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    ocspr_srv_conf_t *conf = apr_palloc(p, sizeof(*conf));

    conf->enabled = OCSPR_UNSET;
    conf->responder = NULL;
    conf->cache_spec = NULL;
    conf->store_dir = NULL;
    conf->window_percent = OCSPR_UNSET;
    conf->check_interval = OCSPR_UNSET;
    conf->timeout = OCSPR_UNSET;
    conf->startup_timeout = OCSPR_UNSET;
    conf->max_age = OCSPR_UNSET;
    conf->proxy = NULL;
    conf->strict = OCSPR_UNSET;
    conf->diagnostics = OCSPR_UNSET;
    conf->status_actions = OCSPR_UNSET;
    return conf;
}

#define MERGE_NUM(field) conf->field = (add->field != OCSPR_UNSET) ? add->field : base->field
#define MERGE_PTR(field) conf->field = add->field ? add->field : base->field

void *ocspr_merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    const ocspr_srv_conf_t *base = basev, *add = addv;
    ocspr_srv_conf_t *conf = apr_palloc(p, sizeof(*conf));

    MERGE_NUM(enabled);
    MERGE_PTR(responder);
    /* Process-wide settings can only be set globally; carrying them into
     * every vhost lets code read them from whichever server it holds. */
    MERGE_PTR(cache_spec);
    MERGE_PTR(store_dir);
    MERGE_NUM(window_percent);
    MERGE_NUM(check_interval);
    MERGE_NUM(timeout);
    MERGE_NUM(startup_timeout);
    MERGE_NUM(max_age);
    MERGE_PTR(proxy);
    MERGE_NUM(strict);
    MERGE_NUM(diagnostics);
    MERGE_NUM(status_actions);
    return conf;
}

#undef MERGE_NUM
#undef MERGE_PTR

/* ------------------------------------------------------------ the table */

/* What one directive sets and within which limits; its handler gets it in
 * cmd->info. */
typedef struct {
    apr_size_t field;        /* offset of the value in ocspr_srv_conf_t */
    int global_only;         /* process-wide: refused inside <VirtualHost> */
    long min, max;           /* numbers: the accepted range */
    const char *off_word;    /* seconds: a word that means "no limit" (stored as 0), or NULL */
    const char *meaning;     /* percent: what the share is of, for the error message */
} ocspr_directive_t;

#define AT(f) APR_OFFSETOF(ocspr_srv_conf_t, f)

/* Ranges keep a typo from taking the server down or hammering a CA. */
static const ocspr_directive_t
    row_enabled = { .field = AT(enabled) },
    row_responder = { .field = AT(responder) },
    row_cache = { .field = AT(cache_spec), .global_only = 1 },
    row_store = { .field = AT(store_dir), .global_only = 1 },
    row_window = { .field = AT(window_percent), .global_only = 1, .min = 1, .max = 99,
                   .meaning = "the share of a response's validity after which it is refreshed" },
    row_check_interval = { .field = AT(check_interval), .global_only = 1, .min = 1, .max = 86400 },
    row_timeout = { .field = AT(timeout), .global_only = 1, .min = 1, .max = 300 },
    row_startup_timeout = { .field = AT(startup_timeout), .global_only = 1, .min = 0, .max = 600 },
    /* At least a minute, so that a clock running a little ahead of the CA's
     * cannot make every fresh response too old; at most a year. */
    row_max_age = { .field = AT(max_age), .global_only = 1, .min = 60, .max = 365L * 86400,
                    .off_word = "off" },
    row_proxy = { .field = AT(proxy), .global_only = 1 },
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

/* Is arg a whole decimal number in the directive's range (followed by the
 * optional suffix character)? */
static int parse_number(long *out, const ocspr_directive_t *spec, const char *arg, char suffix)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(arg, &end, 10);
    if (suffix && *end == suffix) {
        end++;
    }
    if (errno || end == arg || *end != '\0' || v < spec->min || v > spec->max) {
        return 0;
    }
    *out = v;
    return 1;
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

/* A whole number of seconds in the range, or the "off" word when there is one. */
static const char *set_seconds(cmd_parms *cmd, void *dc, const char *arg)
{
    const ocspr_directive_t *spec = spec_of(cmd);
    const char *err = check_scope(cmd);
    long v;

    if (err) {
        return err;
    }
    if (spec->off_word && !strcasecmp(arg, spec->off_word)) {
        *FIELD(cmd, apr_interval_time_t) = 0;
        return NULL;
    }
    if (!parse_number(&v, spec, arg, 0)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a number of seconds from %ld to %ld%s%s",
                            cmd->cmd->name, arg, spec->min, spec->max,
                            spec->off_word ? ", or " : "", spec->off_word ? spec->off_word : "");
    }
    *FIELD(cmd, apr_interval_time_t) = apr_time_from_sec(v);
    return NULL;
}

/* A whole percentage in the range, with or without '%'. */
static const char *set_percent(cmd_parms *cmd, void *dc, const char *arg)
{
    const ocspr_directive_t *spec = spec_of(cmd);
    const char *err = check_scope(cmd);
    long v;

    if (err) {
        return err;
    }
    if (!parse_number(&v, spec, arg, '%')) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a percentage from %ld to %ld (%s)",
                            cmd->cmd->name, arg, spec->min, spec->max, spec->meaning);
    }
    *FIELD(cmd, int) = (int)v;
    return NULL;
}

/* An http:// URL with a host. https is refused here, where the admin sees
 * it, rather than at every fetch. */
static const char *set_url(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = check_scope(cmd);
    apr_uri_t uri;

    if (err) {
        return err;
    }
    if (apr_uri_parse(cmd->pool, arg, &uri) != APR_SUCCESS || !uri.scheme || !uri.hostname) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a URL (expected http://host[:port]/...)",
                            cmd->cmd->name, arg);
    }
    if (strcasecmp(uri.scheme, "http")) {
        return apr_psprintf(cmd->pool, "%s: '%s' uses %s; OCSP is fetched over plain http:// "
                            "(responses are signed, RFC 6960), give an http:// URL",
                            cmd->cmd->name, arg, uri.scheme);
    }
    *FIELD(cmd, const char *) = arg;
    return NULL;
}

/* A directory (relative ones are taken from ServerRoot when read), or "none". */
static const char *set_dir(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = check_scope(cmd);

    if (err) {
        return err;
    }
    if (!*arg) {
        return apr_psprintf(cmd->pool, "%s: give a directory, or 'none' to keep responses in "
                            "memory only", cmd->cmd->name);
    }
    *FIELD(cmd, const char *) = arg;
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
    const char *err = check_scope(cmd);
    const char *sep, *name;

    if (err) {
        return err;
    }
    sep = ap_strchr_c(arg, ':');
    name = sep ? apr_pstrmemdup(cmd->temp_pool, arg, (apr_size_t)(sep - arg)) : arg;
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
    AP_INIT_TAKE1("OCSPRefreshResponder", set_url, ROW(row_responder), RSRC_CONF,
                  "http:// URL of the OCSP responder, overriding the certificates' own"),
    AP_INIT_TAKE1("OCSPRefreshCache", set_cache, ROW(row_cache), RSRC_CONF,
                  "socache provider for responses, e.g. shmcb, shmcb:/path(bytes), memcache:host:port"),
    AP_INIT_TAKE1("OCSPRefreshStore", set_dir, ROW(row_store), RSRC_CONF,
                  "directory where responses survive restarts, or 'none'"),
    AP_INIT_TAKE1("OCSPRefreshWindow", set_percent, ROW(row_window), RSRC_CONF,
                  "refresh after this percentage of a response's validity (1-99)"),
    AP_INIT_TAKE1("OCSPRefreshCheckInterval", set_seconds, ROW(row_check_interval), RSRC_CONF,
                  "longest sleep of the maintenance thread, in seconds"),
    AP_INIT_TAKE1("OCSPRefreshTimeout", set_seconds, ROW(row_timeout), RSRC_CONF,
                  "per-request responder timeout, in seconds"),
    AP_INIT_TAKE1("OCSPRefreshStartupTimeout", set_seconds, ROW(row_startup_timeout), RSRC_CONF,
                  "total seconds the startup prefetch may take, 0 for no limit"),
    AP_INIT_TAKE1("OCSPRefreshMaxAge", set_seconds, ROW(row_max_age), RSRC_CONF,
                  "refuse responses produced longer ago than this many seconds, or off"),
    AP_INIT_TAKE1("OCSPRefreshProxy", set_url, ROW(row_proxy), RSRC_CONF,
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

/* -------------------------------------------------------- the accessors */

#define OR_DEFAULT(v, d) ((v) == OCSPR_UNSET ? (d) : (v))

int ocspr_conf_enabled(const server_rec *s)
{
    return OR_DEFAULT(ocspr_srv_conf(s)->enabled, ocspr_glue_defaults.enabled);
}

const char *ocspr_conf_responder(const server_rec *s)
{
    return ocspr_srv_conf(s)->responder;
}

int ocspr_conf_strict(const server_rec *s)
{
    return OR_DEFAULT(ocspr_srv_conf(s)->strict, ocspr_glue_defaults.strict);
}

int ocspr_conf_diagnostics(const server_rec *s)
{
    return OR_DEFAULT(ocspr_srv_conf(s)->diagnostics, ocspr_glue_defaults.diagnostics);
}

int ocspr_conf_status_actions(const server_rec *s)
{
    return OR_DEFAULT(ocspr_srv_conf(s)->status_actions, ocspr_glue_defaults.status_actions);
}

const char *ocspr_conf_store_dir(const server_rec *s, apr_pool_t *p)
{
    const char *dir = ocspr_srv_conf(s)->store_dir;

    if (dir && !strcasecmp(dir, "none")) {
        return NULL;
    }
    return ap_server_root_relative(p, dir ? dir : ocspr_glue_defaults.store_dir);
}

const char *ocspr_conf_cache_spec(const server_rec *s)
{
    const char *spec = ocspr_srv_conf(s)->cache_spec;

    return spec ? spec : ocspr_glue_defaults.cache_spec;
}

apr_interval_time_t ocspr_conf_startup_timeout(const server_rec *s)
{
    return OR_DEFAULT(ocspr_srv_conf(s)->startup_timeout, ocspr_glue_defaults.startup_timeout);
}

void ocspr_conf_policy(ocspr_policy_t *pol, const server_rec *s)
{
    const ocspr_srv_conf_t *conf = ocspr_srv_conf(s);

    ocspr_policy_default(pol);
    pol->window_percent = OR_DEFAULT(conf->window_percent, pol->window_percent);
    pol->check_interval = OR_DEFAULT(conf->check_interval, pol->check_interval);
}

void ocspr_conf_http_opts(ocspr_http_opts_t *opts, const server_rec *s)
{
    const ocspr_srv_conf_t *conf = ocspr_srv_conf(s);

    ocspr_http_opts_default(opts);
    opts->total_timeout = OR_DEFAULT(conf->timeout, opts->total_timeout);
    /* A connect may not outlast the whole exchange it is part of. */
    if (opts->connect_timeout > opts->total_timeout) {
        opts->connect_timeout = opts->total_timeout;
    }
    opts->proxy_url = conf->proxy;
}

void ocspr_conf_validate_opts(ocspr_validate_opts_t *opts, const server_rec *s)
{
    /* Zero size, negative skew and zero now ask the validator for its own
     * defaults (include/ocspr_response.h). */
    memset(opts, 0, sizeof(*opts));
    opts->clock_skew = -1;
    opts->max_age = OR_DEFAULT(ocspr_srv_conf(s)->max_age, ocspr_glue_defaults.max_age);
}
