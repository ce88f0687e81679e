#!/usr/bin/env bash
# Prove the harness against mod_ssl's own stapling, without mod_ocsp_refresh:
# if these checks pass, the PKI, the responder front, the generated httpd
# config and the client probes are sound, and a failure in a module test
# points at the module.
set -euo pipefail
# shellcheck source=lib.sh
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
ocspr_t_init harness_modssl

front_port=$(ocspr_free_port)
good_port=$(ocspr_free_port)
revoked_port=$(ocspr_free_port)
pki=$T/pki
ocspr_make_pki "$pki" "$front_port"
ocspr_start_front "$pki" "$front_port"

stapling=(
    "SSLUseStapling On"
    "SSLStaplingResponderTimeout 5"
    "SSLStaplingReturnResponderErrors Off"
)
ocspr_write_httpd_conf "$T/httpd.conf" --no-module \
    --listen "$good_port" --listen "$revoked_port" -- \
    "SSLStaplingCache \"shmcb:$T/run/stapling(128000)\"" \
    "$(ocspr_vhost "$good_port" "$pki/good.chain.pem" "$pki/good.key" "${stapling[@]}")" \
    "$(ocspr_vhost "$revoked_port" "$pki/revoked.chain.pem" "$pki/revoked.key" "${stapling[@]}")"
ocspr_start_httpd "$T/httpd.conf"

# mod_ssl fetches lazily, in the first handshake that asks for a status.
status=$(ocspr_wait_staple_status good "$good_port") || true
ocspr_assert_eq good "$status" "staple of good.pem"
ocspr_assert_match 'Next Update: ' "$(ocspr_staple "$good_port")" "staple carries nextUpdate"
[ "$(ocspr_front_requests)" -ge 1 ] || ocspr_fail "the front saw no OCSP request"
ocspr_pass "mod_ssl asked the front ($(ocspr_front_requests) requests)"

rc=0
ocspr_curl_cert_status "$good_port" "$pki/root.pem" 2>"$T/curl-good.err" || rc=$?
ocspr_assert_eq 0 "$rc" "curl --cert-status exit code, good.pem"

status=$(ocspr_wait_staple_status revoked "$revoked_port") || true
ocspr_assert_eq revoked "$status" "staple of revoked.pem"
rc=0
ocspr_curl_cert_status "$revoked_port" "$pki/root.pem" 2>"$T/curl-revoked.err" || rc=$?
[ "$rc" != 0 ] || ocspr_fail "curl --cert-status accepted a revoked staple"
ocspr_assert_match 'revocation' "$(cat "$T/curl-revoked.err")" "curl --cert-status error (exit $rc)"

# The staples come from mod_ssl's cache: no new request to the front.
before=$(ocspr_front_requests)
ocspr_assert_eq good "$(ocspr_staple_status "$good_port")" "cached staple of good.pem"
ocspr_assert_eq "$before" "$(ocspr_front_requests)" "OCSP requests after a cached handshake"

ms=$(ocspr_handshake_ms "$good_port")
ocspr_assert_match '^[0-9]+$' "$ms" "handshake time (ms)"

ocspr_httpd_graceful
ocspr_assert_eq good "$(ocspr_wait_staple_status good "$good_port" || true)" "staple after graceful"
ocspr_httpd_restart
ocspr_assert_eq good "$(ocspr_wait_staple_status good "$good_port" || true)" "staple after restart"

# mod_ssl logs the revoked staple at error level: expected here.
ocspr_check_error_log 'AH02969: stapling_check_response: response has certificate status revoked'
httpd_pid=$OCSPR_HTTPD_PID
ocspr_stop_httpd
ocspr_stop_front
for port in "$good_port" "$revoked_port" "$front_port"; do
    if ocspr_port_listening "$port"; then
        ocspr_fail "port $port still listening after stop"
    fi
done
ocspr_pass "nothing listens on $good_port $revoked_port $front_port"
if ! ocspr__gone "-$httpd_pid"; then
    ocspr_fail "processes of httpd group $httpd_pid still alive"
fi
ocspr_pass "httpd process group $httpd_pid is gone"
