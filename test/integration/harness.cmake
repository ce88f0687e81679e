# Integration tests (harness): ocspr_add_integration_test(NAME SCRIPT) lines.
