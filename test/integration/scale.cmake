# Integration tests (scale): registered with ocspr_add_integration_test.
ocspr_add_integration_test(scale t_scale.sh)
