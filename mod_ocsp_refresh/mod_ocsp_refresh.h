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

/* A server's record (defaults applied by the core's ocspr_conf_* readers). */
ocspr_conf_t *ocspr_srv_conf(const server_rec *s);
/* The store directory, absolute, or NULL for "none". */
const char *ocspr_conf_store_dir(const server_rec *s, apr_pool_t *p);

extern const command_rec ocspr_cmds[];
void *ocspr_create_srv_conf(apr_pool_t *p, server_rec *s);
void *ocspr_merge_srv_conf(apr_pool_t *p, void *basev, void *addv);

/* Did mod_ssl prime this certificate with us in the current configuration
 * (the diagnostics cross-check)? */
int ocspr_module_was_primed(server_rec *s, const unsigned char id[OCSPR_CERT_ID_LEN]);

#endif /* MOD_OCSP_REFRESH_H */
