#!/usr/bin/env bash
# At startup the diagnostics run once (the real post_config pass, not the
# check_config passes) into the error log, and the certificates mod_ssl
# primed pass the cross-check.
set -euo pipefail
. "$OCSPR_TEST_SRCDIR/integration/t_diag_common.sh"
diag_init t_diag_startup

port=$(ocspr_free_port)
ocspr_write_httpd_conf "$T/start.conf" --listen "$port" -- \
    "SSLStaplingCache \"shmcb:$T/run/stapling(64000)\"" "SSLUseStapling On" \
    "$(ocspr_vhost "$port" "$PKI/good.chain.pem" "$PKI/good.key")" \
    "$(ocspr_vhost "$port" "$PKI/revoked.pem" "$PKI/revoked.key" "ServerName leaf.test")"
ocspr_start_httpd "$T/start.conf"
ocspr_wait_until 10 grep -q OCSPR0400 "$T/error.log" || ocspr_fail "no summary in error.log"
ocspr_stop_httpd
cat "$T/error.log"
ocspr_assert_eq 1 "$(grep -c 'OCSPR0402 \[issuer-missing\] vhost leaf.test' "$T/error.log")" \
    "issuer-missing findings in error.log"
ocspr_assert_eq 1 "$(grep -c 'OCSPR0400' "$T/error.log")" "summary lines"
ocspr_assert_match 'diagnostics at startup: 2 SSL vhosts, 1 certificates ready for stapling, 1 findings' \
    "$(grep OCSPR0400 "$T/error.log")" "summary"
ocspr_assert_eq 0 "$(grep -c 'OCSPR0413' "$T/error.log" || true)" "not-primed findings"
ocspr_assert_eq 0 "$(grep -c 'OCSPR04' "$T/start.conf.stderr" || true)" "diagnostics on the start command's stderr"
echo "PASS"
