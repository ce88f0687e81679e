#!/usr/bin/env bash
# Children come and go: with MaxConnectionsPerChild every child (the
# refreshing one included) is recycled every few connections, and staples
# stay good throughout; `graceful-stop` ends the server without a crash and
# the next start staples from the store with the responder down.
set -euo pipefail
# shellcheck source=lib.sh
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
ocspr_t_init engine_recycle

front_port=$(ocspr_free_port)
port=$(ocspr_free_port)
pki=$T/pki
store=$T/store
ocspr_make_pki "$pki" "$front_port"
ocspr_start_front "$pki" "$front_port"
ocspr_server_user_dir "$store"
ocspr_write_httpd_conf "$T/httpd.conf" --listen "$port" -- \
    "MaxConnectionsPerChild 3" "OCSPRefreshStore \"$store\"" "OCSPRefreshCheckInterval 2" \
    "$(ocspr_vhost "$port" "$pki/good.chain.pem" "$pki/good.key" "OCSPRefresh On")"
ocspr_start_httpd "$T/httpd.conf"

for i in $(seq 40); do
    ocspr_assert_eq good "$(ocspr_staple_status "$port")" "staple $i while children recycle"
done
leaders=$(grep -c "OCSPR0107" "$T/error.log")
[ "$leaders" -ge 2 ] || ocspr_fail "expected the refreshing child to be recycled (leaders: $leaders)"
ocspr_pass "40 handshakes stapled across $leaders refreshing children"
requests=$(ocspr_front_requests)
[ "$requests" -le 2 ] || ocspr_fail "recycling children caused $requests responder requests"
ocspr_pass "recycled children did not refetch ($requests responder request)"

# graceful-stop: the children finish and exit; nothing crashes.
ocspr_stop_front
"$HTTPD_BIN" -f "$T/httpd.conf" -k graceful-stop
ocspr_wait_until 20 sh -c "! kill -0 \$(cat '$T/httpd.pid' 2>/dev/null) 2>/dev/null" ||
    ocspr_fail "httpd did not stop after graceful-stop"
ocspr_pass "graceful-stop completed"
ocspr_start_httpd "$T/httpd.conf"
ocspr_assert_eq good "$(ocspr_staple_status "$port")" "first staple after graceful-stop, responder down"
ocspr_stop_httpd
ocspr_check_error_log
