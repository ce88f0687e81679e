# Integration tests (diag): ocspr_add_integration_test(NAME SCRIPT) lines.
# t_diag_common.sh is their shared helper, not a test.
ocspr_add_integration_test(diag_healthy t_diag_healthy.sh)
ocspr_add_integration_test(diag_issuer t_diag_issuer.sh)
ocspr_add_integration_test(diag_format t_diag_format.sh)
ocspr_add_integration_test(diag_validity t_diag_validity.sh)
ocspr_add_integration_test(diag_strict t_diag_strict.sh)
ocspr_add_integration_test(diag_startup t_diag_startup.sh)
ocspr_add_integration_test(diag_edges t_diag_edges.sh)
ocspr_add_integration_test(diag_strict_restart t_diag_strict_restart.sh)
