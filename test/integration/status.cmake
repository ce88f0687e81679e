# Integration tests (status page): ocspr_add_integration_test(NAME SCRIPT) lines.
# The ocsp-refresh-status handler (HTML, ?json, ?prometheus), mod_status's
# section and ?auto lines, and the refresh action. Need the Debian packages
# chromium and python3-prometheus-client.
ocspr_add_integration_test(status_page t_status_page.sh)
ocspr_add_integration_test(status_actions t_status_actions.sh)
# A few hundred certificates: page size, Chromium, filters (prints figures).
ocspr_add_integration_test(status_scale t_status_scale.sh)
# A fleet exchange (real memcached): its health in every format, up and down.
ocspr_add_integration_test(status_fleet t_status_fleet.sh)
