# Integration tests (fleet): registered with ocspr_add_integration_test.
