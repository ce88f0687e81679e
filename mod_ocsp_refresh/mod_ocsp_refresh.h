/* mod_ocsp_refresh glue: what the mod_ocsp_refresh*.c files share. Only
 * glue includes this (it pulls in httpd); the core never does. */
#ifndef MOD_OCSP_REFRESH_H
#define MOD_OCSP_REFRESH_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include "ocspr_cert.h"
#include "ocspr_conf.h"

extern module AP_MODULE_DECLARE_DATA ocsp_refresh_module;
APLOG_USE_MODULE(ocsp_refresh);

#define OCSPR_UNSET OCSPR_CONF_UNSET

/* Per server (vhost) configuration. The process-wide settings live only in
 * the base server's record (directives are GLOBAL_ONLY). */
typedef struct {
    int enabled;                      /* OCSPRefresh On|Off (vhost) */
    const char *responder;            /* OCSPRefreshResponder (vhost) */

    /* process-wide, base server only */
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
} ocspr_srv_conf_t;

ocspr_srv_conf_t *ocspr_srv_conf(const server_rec *s);

/* Resolved values (defaults applied). Per vhost: */
int ocspr_conf_enabled(const server_rec *s);
const char *ocspr_conf_responder(const server_rec *s);
/* Process-wide (pass any server; the base server's values are used): */
int ocspr_conf_strict(const server_rec *s);
int ocspr_conf_diagnostics(const server_rec *s);
int ocspr_conf_status_actions(const server_rec *s);
/* The store directory, absolute, or NULL for "none". */
const char *ocspr_conf_store_dir(const server_rec *s, apr_pool_t *p);
void ocspr_conf_policy(ocspr_policy_t *pol, const server_rec *s);
void ocspr_conf_http_opts(ocspr_http_opts_t *opts, const server_rec *s);
/* The validator's settings: its own defaults, plus OCSPRefreshMaxAge. */
void ocspr_conf_validate_opts(ocspr_validate_opts_t *opts, const server_rec *s);
apr_interval_time_t ocspr_conf_startup_timeout(const server_rec *s);
const char *ocspr_conf_cache_spec(const server_rec *s);

extern const command_rec ocspr_cmds[];
void *ocspr_create_srv_conf(apr_pool_t *p, server_rec *s);
void *ocspr_merge_srv_conf(apr_pool_t *p, void *basev, void *addv);

/* Did mod_ssl prime this certificate with us in the current configuration
 * (the diagnostics cross-check)? */
int ocspr_module_was_primed(server_rec *s, const unsigned char id[OCSPR_CERT_ID_LEN]);

#endif /* MOD_OCSP_REFRESH_H */
