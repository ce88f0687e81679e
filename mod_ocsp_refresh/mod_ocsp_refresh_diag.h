/* Chain diagnostics glue: reads SSL vhosts from the configuration tree and
 * reports why stapling would fail, at `apachectl -t` and at startup. */
#ifndef MOD_OCSP_REFRESH_DIAG_H
#define MOD_OCSP_REFRESH_DIAG_H

#include "httpd.h"

typedef enum {
    OCSPR_DIAG_CHECK_CONFIG,   /* from check_config: every run, including -t */
    OCSPR_DIAG_STARTUP         /* from post_config, second (real) pass only */
} ocspr_diag_phase_t;

/* Analyse every SSL vhost (unless OCSPRefreshDiagnostics Off) and log the
 * findings. Returns OK, or a non-OK value (which fails the server start /
 * `apachectl -t`) when OCSPRefreshStrict is On and a finding breaks stapling. */
int ocspr_diag_run(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s,
                   ocspr_diag_phase_t phase);

#endif /* MOD_OCSP_REFRESH_DIAG_H */
