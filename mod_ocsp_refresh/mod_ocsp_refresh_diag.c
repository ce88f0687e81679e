/* Chain diagnostics glue (being written). */
#include "mod_ocsp_refresh_diag.h"

int ocspr_diag_run(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s,
                   ocspr_diag_phase_t phase)
{
    return OK;
}
