/* The module's settings without httpd: the defaults of those the core's
 * components have no opinion on, a parser per kind of directive value
 * (numbers with their range, URLs, directories, cache specs), and how the
 * configured values, set or not, become the core's option structures. The
 * glue keeps cmd_parms, scopes and the socache provider lookup. */
#ifndef OCSPR_CONF_H
#define OCSPR_CONF_H

#include <apr_pools.h>
#include <apr_time.h>

#include "ocspr_engine.h"
#include "ocspr_http.h"
#include "ocspr_policy.h"
#include "ocspr_response.h"

/* A number or time the configuration does not set. */
#define OCSPR_CONF_UNSET (-1)

/* Defaults of the settings the core's components have no opinion on (the
 * refresh policy's and the transport's are ocspr_policy_default's and
 * ocspr_http_opts_default's). */
typedef struct {
    int enabled;
    const char *cache_spec;
    const char *store_dir;                /* relative to ServerRoot */
    apr_interval_time_t startup_timeout;
    apr_interval_time_t max_age;          /* 0: no limit */
    int strict;
    int diagnostics;
    int status_actions;
} ocspr_conf_defaults_t;

extern const ocspr_conf_defaults_t ocspr_conf_defaults;

/* What a directive's value may be. */
typedef struct {
    long min, max;           /* numbers: the accepted range */
    const char *off_word;    /* seconds: a word that means "no limit" (stored as 0), or NULL */
    const char *meaning;     /* percent: what the share is of, for the error message */
} ocspr_conf_limits_t;

/* A parser of one kind of value: checks arg against limits and stores it
 * in *out, or returns the error an admin reads (naming the directive, the
 * value and what is accepted) and leaves *out alone. */
typedef const char *ocspr_conf_parse_fn(void *out, apr_pool_t *p, const char *directive,
                                        const ocspr_conf_limits_t *limits, const char *arg);

/* A whole number of seconds in the range, or the off word (0); out is an
 * apr_interval_time_t. */
ocspr_conf_parse_fn ocspr_conf_parse_seconds;
/* A whole percentage in the range, with or without '%'; out is an int. */
ocspr_conf_parse_fn ocspr_conf_parse_percent;
/* An http:// URL with a host (https is refused here, where the admin sees
 * it, rather than at every fetch); out is a const char *, arg itself. */
ocspr_conf_parse_fn ocspr_conf_parse_url;
/* A directory, or "none"; out is a const char *, arg itself. */
ocspr_conf_parse_fn ocspr_conf_parse_dir;

/* The provider name of a cache spec, "provider" or "provider:args". */
const char *ocspr_conf_cache_provider(apr_pool_t *p, const char *spec);

/* The configured store directory (NULL when not set) as a directory
 * relative to ServerRoot or absolute, or NULL for "none". */
const char *ocspr_conf_store_dir_name(const char *configured);

/* The core's options from the configured values (OCSPR_CONF_UNSET or NULL
 * when not set): the component's defaults, then what is set. */
void ocspr_conf_apply_policy(ocspr_policy_t *pol, int window_percent,
                             apr_interval_time_t check_interval);
void ocspr_conf_apply_http(ocspr_http_opts_t *opts, apr_interval_time_t timeout,
                           const char *proxy);
void ocspr_conf_apply_validate(ocspr_validate_opts_t *opts, apr_interval_time_t max_age);

/* One server's (vhost's) record: what its directives set, OCSPR_CONF_UNSET
 * or NULL where they are silent, so that a vhost can tell "not said" from
 * "said the default". The process-wide settings are GLOBAL_ONLY directives,
 * merged into every vhost so that any server's record answers for them.
 * test/integration/t_config_fields.sh checks that each field is created,
 * merged and set by a directive. */
typedef struct {
    int enabled;                      /* OCSPRefresh On|Off (vhost) */
    const char *responder;            /* OCSPRefreshResponder (vhost) */

    /* process-wide */
    const char *cache_spec;           /* OCSPRefreshCache "provider[:args]" */
    const char *store_dir;            /* OCSPRefreshStore, "none" disables */
    int window_percent;               /* OCSPRefreshWindow */
    apr_interval_time_t check_interval;   /* OCSPRefreshCheckInterval */
    apr_interval_time_t timeout;          /* OCSPRefreshTimeout */
    apr_interval_time_t startup_timeout;  /* OCSPRefreshStartupTimeout, 0: no limit */
    apr_interval_time_t max_age;          /* OCSPRefreshMaxAge, 0 (off): no limit */
    const char *proxy;                /* OCSPRefreshProxy */
    int strict;                       /* OCSPRefreshStrict */
    int diagnostics;                  /* OCSPRefreshDiagnostics */
    int status_actions;               /* OCSPRefreshStatusActions */
} ocspr_conf_t;

/* A record with every field unset. */
ocspr_conf_t *ocspr_conf_create(apr_pool_t *p);
/* add's values where it sets them, else base's. */
ocspr_conf_t *ocspr_conf_merge(apr_pool_t *p, const ocspr_conf_t *base, const ocspr_conf_t *add);

/* Resolved values: the default where the record is silent. */
int ocspr_conf_enabled(const ocspr_conf_t *conf);
int ocspr_conf_strict(const ocspr_conf_t *conf);
int ocspr_conf_diagnostics(const ocspr_conf_t *conf);
int ocspr_conf_status_actions(const ocspr_conf_t *conf);
const char *ocspr_conf_cache_spec(const ocspr_conf_t *conf);
apr_interval_time_t ocspr_conf_startup_timeout(const ocspr_conf_t *conf);
/* The engine's policy, transport and validator settings. */
void ocspr_conf_engine(ocspr_engine_config_t *cfg, const ocspr_conf_t *conf);

#endif /* OCSPR_CONF_H */
