#!/usr/bin/env bash
# OCSPRefreshStrict On fails `apache2 -t` and the first start, but only logs
# on a restart: a renewed certificate deployed without its chain, then a
# graceful restart (SIGUSR1) or a restart (SIGHUP), must not make httpd exit
# with "Configuration Failed"; the server keeps answering handshakes and the
# finding is in the error log.
set -euo pipefail
. "$OCSPR_TEST_SRCDIR/integration/t_diag_common.sh"
diag_init t_diag_strict_restart

port=$(ocspr_free_port)
ocspr_server_user_dir "$T/store"
cp "$PKI/good.chain.pem" "$T/site.pem"
# The PKI's responder port is never bound: fetches fail at once, which is
# not what this test is about (the deadline keeps the start short).
ocspr_write_httpd_conf "$T/strict.conf" --listen "$port" -- \
    "OCSPRefreshStrict On" "OCSPRefreshStartupTimeout 1" "OCSPRefreshStore \"$T/store\"" \
    "$(ocspr_vhost "$port" "$T/site.pem" "$PKI/good.key" "OCSPRefresh On")"
ocspr_start_httpd "$T/strict.conf"
pid=$OCSPR_HTTPD_PID

# The renewed certificate arrives without its chain.
cp "$PKI/good.pem" "$T/site.pem"
diag_run "$T/strict.conf"
[ "$DIAG_RC" -ne 0 ] || ocspr_fail "apache2 -t passed with a breaking finding and Strict On"
ocspr_pass "apache2 -t still fails (exit $DIAG_RC)"

for signal in USR1 HUP; do
    if [ "$signal" = USR1 ]; then ocspr_httpd_graceful; else ocspr_httpd_restart; fi
    ocspr_assert_eq "$pid" "$(cat "$T/httpd.pid")" "parent after SIG$signal"
    ocspr_port_served "$port" || ocspr_fail "no handshake answered after SIG$signal"
    ocspr_pass "handshakes answered after SIG$signal"
done
if grep -q 'Configuration Failed' "$T/error.log"; then
    ocspr_fail "httpd reported Configuration Failed on a restart"
fi
ocspr_assert_eq 2 "$(grep -c 'OCSPR0402 \[issuer-missing\]' "$T/error.log")" \
    "issuer-missing findings logged (one per restart)"
ocspr_assert_eq 2 "$(grep -c 'OCSPR0400: OCSPRefreshStrict On: 1 findings break stapling; this is a restart' \
    "$T/error.log")" "strict lines saying the restart goes on"
ocspr_stop_httpd

# A first start with the same files fails.
: > "$T/error.log"
if "$HTTPD_BIN" -f "$T/strict.conf" -k start </dev/null >"$T/first.out" 2>&1; then
    ocspr_wait_until 10 grep -q 'Configuration Failed' "$T/error.log" "$T/first.out" \
        || { ocspr_stop_httpd; ocspr_fail "the first start went on with Strict On"; }
fi
grep -q 'failing the configuration check' "$T/error.log" "$T/first.out" \
    || ocspr_fail "no strict verdict on the first start"
if ocspr_wait_until 5 test -s "$T/httpd.pid" && ocspr__pid_alive "$(cat "$T/httpd.pid")"; then
    ocspr_stop_httpd
    ocspr_fail "a server is running after a failed first start"
fi
ocspr_pass "the first start fails"
echo "PASS"
