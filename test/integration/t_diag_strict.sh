#!/usr/bin/env bash
# OCSPRefreshStrict On turns a finding that breaks stapling into a failing
# `apache2 -t`; a notice (no OCSP URL) does not fail it, nor does a broken
# chain without Strict.
set -euo pipefail
. "$OCSPR_TEST_SRCDIR/integration/t_diag_common.sh"
diag_init t_diag_strict

diag_conf "$T/strict.conf" "OCSPRefreshStrict On" \
    "$(ocspr_vhost $DIAG_PORT "$PKI/good.pem" "$PKI/good.key" "OCSPRefresh On")"
diag_run "$T/strict.conf"
diag_expect OCSPR0402 "[issuer-missing]"
diag_expect "OCSPRefreshStrict On" "1 findings break stapling"
[ "$DIAG_RC" -ne 0 ] || ocspr_fail "apache2 -t exited 0 with OCSPRefreshStrict On"
ocspr_pass "apache2 -t fails (exit $DIAG_RC)"
if grep -q '^Syntax OK$' "$DIAG_OUT"; then
    ocspr_fail "Syntax OK printed although the check failed"
fi

diag_conf "$T/notice.conf" "OCSPRefreshStrict On" \
    "$(ocspr_vhost $DIAG_PORT "$PKI/noocsp.chain.pem" "$PKI/noocsp.key" "OCSPRefresh On")"
diag_run "$T/notice.conf"
diag_expect OCSPR0410 "[no-ocsp-url]"
ocspr_assert_eq 0 "$DIAG_RC" "exit status with only a notice"

diag_conf "$T/lenient.conf" \
    "$(ocspr_vhost $DIAG_PORT "$PKI/good.pem" "$PKI/good.key" "OCSPRefresh On")"
diag_run "$T/lenient.conf"
diag_expect OCSPR0402 "[issuer-missing]"
ocspr_assert_eq 0 "$DIAG_RC" "exit status without OCSPRefreshStrict"
echo "PASS"
