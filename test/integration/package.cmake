# Integration tests (package): registered with ocspr_add_integration_test.
# The Debian package built by cpack, unpacked and run (needs the build dir).
ocspr_add_integration_test(package t_package.sh)
set_property(TEST package APPEND PROPERTY ENVIRONMENT "OCSPR_BUILD_DIR=${CMAKE_BINARY_DIR}")
# The package is built from the normal build: run it there, not under ASan.
set_tests_properties(package PROPERTIES LABELS "integration;package")
# Every field of the server configuration is created, merged and set.
ocspr_add_integration_test(config_fields t_config_fields.sh)
set_tests_properties(config_fields PROPERTIES LABELS unit)
