# Integration tests (harness): ocspr_add_integration_test(NAME SCRIPT) lines.
# The responder front's fault modes, and the harness itself proven against
# mod_ssl's own stapling (mod_ocsp_refresh not loaded).
ocspr_add_integration_test(front_faults t_front_faults.sh)
ocspr_add_integration_test(harness_modssl t_harness_modssl.sh)
