/* The status page glue: the ocsp-refresh-status handler (HTML, ?json,
 * ?prometheus, the optional "refresh now" POST action) and the section in
 * mod_status's /server-status and ?auto. The rendering is in the core
 * (ocspr_status.h). */
#ifndef MOD_OCSP_REFRESH_STATUS_H
#define MOD_OCSP_REFRESH_STATUS_H

#include <apr_pools.h>

#define OCSPR_STATUS_HANDLER "ocsp-refresh-status"

/* Register the handler, mod_status's status hook and the post_config that
 * mints the per-generation form token; call from the module's
 * register_hooks. */
void ocspr_status_register_hooks(apr_pool_t *p);

#endif /* MOD_OCSP_REFRESH_STATUS_H */
