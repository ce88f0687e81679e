# Integration tests (engine): ocspr_add_integration_test(NAME SCRIPT) lines.
