# Integration tests (package): registered with ocspr_add_integration_test.
