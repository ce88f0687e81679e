/* Directive values: defaults, parsers with ranges, and the core's options
 * from what the configuration sets. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include <apr_uri.h>

#include "ocspr_conf.h"

#define OR_DEFAULT(v, d) ((v) == OCSPR_CONF_UNSET ? (d) : (v))

const ocspr_conf_defaults_t ocspr_conf_defaults = {
    .enabled = 0,
    .cache_spec = "shmcb",
    .store_dir = "ocsp-refresh",
    .startup_timeout = apr_time_from_sec(5),
    .max_age = 0,
    .strict = 0,
    .diagnostics = 1,
    .status_actions = 0,
};

/* Is arg a whole decimal number in the range (followed by the optional
 * suffix character)? */
static int parse_number(long *out, const ocspr_conf_limits_t *limits, const char *arg,
                        char suffix)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(arg, &end, 10);
    if (suffix && *end == suffix) {
        end++;
    }
    if (errno || end == arg || *end != '\0' || v < limits->min || v > limits->max) {
        return 0;
    }
    *out = v;
    return 1;
}

const char *ocspr_conf_parse_seconds(void *out, apr_pool_t *p, const char *directive,
                                     const ocspr_conf_limits_t *limits, const char *arg)
{
    long v;

    if (limits->off_word && !strcasecmp(arg, limits->off_word)) {
        *(apr_interval_time_t *)out = 0;
        return NULL;
    }
    if (!parse_number(&v, limits, arg, 0)) {
        return apr_psprintf(p, "%s: '%s' is not a number of seconds from %ld to %ld%s%s",
                            directive, arg, limits->min, limits->max,
                            limits->off_word ? ", or " : "",
                            limits->off_word ? limits->off_word : "");
    }
    *(apr_interval_time_t *)out = apr_time_from_sec(v);
    return NULL;
}

const char *ocspr_conf_parse_percent(void *out, apr_pool_t *p, const char *directive,
                                     const ocspr_conf_limits_t *limits, const char *arg)
{
    long v;

    if (!parse_number(&v, limits, arg, '%')) {
        return apr_psprintf(p, "%s: '%s' is not a percentage from %ld to %ld (%s)", directive,
                            arg, limits->min, limits->max, limits->meaning);
    }
    *(int *)out = (int)v;
    return NULL;
}

const char *ocspr_conf_parse_url(void *out, apr_pool_t *p, const char *directive,
                                 const ocspr_conf_limits_t *limits, const char *arg)
{
    apr_uri_t uri;
    const char *refusal = ocspr_url_refusal(p, "URL", arg, strlen(arg));

    if (refusal) {
        return apr_psprintf(p, "%s: the %s", directive, refusal);
    }
    if (apr_uri_parse(p, arg, &uri) != APR_SUCCESS || !uri.scheme || !uri.hostname) {
        return apr_psprintf(p, "%s: '%s' is not a URL (expected http://host[:port]/...)",
                            directive, arg);
    }
    if (strcasecmp(uri.scheme, "http")) {
        return apr_psprintf(p, "%s: '%s' uses %s; OCSP is fetched over plain http:// "
                            "(responses are signed, RFC 6960), give an http:// URL",
                            directive, arg, uri.scheme);
    }
    *(const char **)out = arg;
    return NULL;
}

const char *ocspr_conf_parse_dir(void *out, apr_pool_t *p, const char *directive,
                                 const ocspr_conf_limits_t *limits, const char *arg)
{
    if (!*arg) {
        return apr_psprintf(p, "%s: give a directory, or 'none' to keep responses in "
                            "memory only", directive);
    }
    *(const char **)out = arg;
    return NULL;
}

const char *ocspr_conf_cache_provider(apr_pool_t *p, const char *spec)
{
    const char *sep = strchr(spec, ':');

    return sep ? apr_pstrmemdup(p, spec, (apr_size_t)(sep - spec)) : spec;
}

const char *ocspr_conf_store_dir_name(const char *configured)
{
    if (configured && !strcasecmp(configured, "none")) {
        return NULL;
    }
    return configured ? configured : ocspr_conf_defaults.store_dir;
}

void ocspr_conf_apply_policy(ocspr_policy_t *pol, int window_percent,
                             apr_interval_time_t check_interval)
{
    ocspr_policy_default(pol);
    pol->window_percent = OR_DEFAULT(window_percent, pol->window_percent);
    pol->check_interval = OR_DEFAULT(check_interval, pol->check_interval);
}

void ocspr_conf_apply_http(ocspr_http_opts_t *opts, apr_interval_time_t timeout,
                           const char *proxy)
{
    ocspr_http_opts_default(opts);
    opts->total_timeout = OR_DEFAULT(timeout, opts->total_timeout);
    /* A connect may not outlast the whole exchange it is part of. */
    if (opts->connect_timeout > opts->total_timeout) {
        opts->connect_timeout = opts->total_timeout;
    }
    opts->proxy_url = proxy;
}

void ocspr_conf_apply_validate(ocspr_validate_opts_t *opts, apr_interval_time_t max_age)
{
    /* Zero size, negative skew and zero now ask the validator for its own
     * defaults (include/ocspr_response.h). */
    memset(opts, 0, sizeof(*opts));
    opts->clock_skew = -1;
    opts->max_age = OR_DEFAULT(max_age, ocspr_conf_defaults.max_age);
}
