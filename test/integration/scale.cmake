# Integration tests (scale): registered with ocspr_add_integration_test.
