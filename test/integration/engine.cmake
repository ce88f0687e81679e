# Integration tests (engine): mod_ocsp_refresh stapling with a real apache2,
# the real `openssl ocsp` responder behind the fault-injecting front, and
# real clients. Shared helpers and scenarios: engine-lib.sh. Benchmarks are
# not registered: they are run by hand (test/bench/README.md).
ocspr_add_integration_test(engine_cold_start t_engine_cold_start.sh)
ocspr_add_integration_test(engine_slow_responder t_engine_slow_responder.sh)
ocspr_add_integration_test(engine_short_lived t_engine_short_lived.sh)
ocspr_add_integration_test(engine_restarts t_engine_restarts.sh)
ocspr_add_integration_test(engine_revoked t_engine_revoked.sh)
ocspr_add_integration_test(engine_faults t_engine_faults.sh)
ocspr_add_integration_test(engine_leader_takeover t_engine_leader_takeover.sh)
ocspr_add_integration_test(engine_multi_cert t_engine_multi_cert.sh)
ocspr_add_integration_test(engine_mpm_prefork t_engine_mpm_prefork.sh)
ocspr_add_integration_test(engine_mpm_worker t_engine_mpm_worker.sh)
