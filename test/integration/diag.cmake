# Integration tests (diag): ocspr_add_integration_test(NAME SCRIPT) lines.
