# Integration tests (lifecycle): registered with ocspr_add_integration_test.
