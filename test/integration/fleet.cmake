# Integration tests (fleet): several Apache hosts, or one, on a real memcached
# or redis-server as the fleet exchange (OCSPRefreshCache memcache:/redis:).
# Shared helpers: fleet-lib.sh. engine_fleet (t_engine_fleet.sh) is
# registered in test/CMakeLists.txt.
ocspr_add_integration_test(fleet_crossed t_fleet_crossed.sh)
ocspr_add_integration_test(fleet_requests t_fleet_requests.sh)
ocspr_add_integration_test(fleet_forged t_fleet_forged.sh)
ocspr_add_integration_test(fleet_outage t_fleet_outage.sh)
