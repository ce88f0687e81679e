# Integration tests (lifecycle): registered with ocspr_add_integration_test.
# Restarts and stops while the responder does not answer, the startup helper
# and its deadline, one leader per generation, links in the store, and
# graceful restarts under load for each MPM. Shared helpers: lifecycle-lib.sh.
ocspr_add_integration_test(lifecycle_graceful_blackhole t_lifecycle_graceful_blackhole.sh)
ocspr_add_integration_test(lifecycle_stop_blackhole t_lifecycle_stop_blackhole.sh)
ocspr_add_integration_test(lifecycle_one_leader t_lifecycle_one_leader.sh)
ocspr_add_integration_test(lifecycle_store_symlink t_lifecycle_store_symlink.sh)
ocspr_add_integration_test(lifecycle_startup_deadline t_lifecycle_startup_deadline.sh)
ocspr_add_integration_test(lifecycle_mpm_restarts t_lifecycle_mpm_restarts.sh)
