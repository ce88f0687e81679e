#!/usr/bin/env bash
# A healthy configuration: several vhosts, an RSA+ECDSA pair, a vhost in an
# Include'd file, the issuer from an inherited SSLCACertificateFile, a
# Must-Staple certificate with stapling on. No warning, one summary line.
# OCSPRefreshDiagnostics Off silences even that.
set -euo pipefail
. "$OCSPR_TEST_SRCDIR/integration/t_diag_common.sh"
diag_init t_diag_healthy

cat > "$T/included.conf" <<CONF
<VirtualHost 127.0.0.1:$DIAG_PORT>
    ServerName included.test
    SSLEngine on
    SSLCertificateFile "$PKI/good.pem"
    SSLCertificateKeyFile "$PKI/good.key"
    OCSPRefresh On
</VirtualHost>
CONF
diag_conf "$T/healthy.conf" \
    "SSLUseStapling On" \
    "SSLCACertificateFile \"$PKI/ca-chain.pem\"" \
    "$(ocspr_vhost $DIAG_PORT "$PKI/good.chain.pem" "$PKI/good.key" \
        "SSLCertificateFile \"$PKI/good-ec.chain.pem\"" \
        "SSLCertificateKeyFile \"$PKI/good-ec.key\"")" \
    "$(ocspr_vhost $DIAG_PORT "$PKI/mustaple.chain.pem" "$PKI/mustaple.key" \
        "ServerName mustaple.test")" \
    "$(ocspr_vhost $DIAG_PORT "$PKI/revoked.pem" "$PKI/revoked.key" \
        "ServerName chainfile.test" "SSLCertificateChainFile \"$PKI/ca-chain.pem\"")" \
    "Include \"$T/included.conf\""
diag_run "$T/healthy.conf"
# Certificates are counted once however many vhosts use them (the included
# vhost serves good's): good, good-ec, mustaple, revoked.
diag_healthy ': diagnostics: 4 SSL vhosts, 4 certificates ready for stapling, 0 findings$'

diag_conf "$T/off.conf" "OCSPRefreshDiagnostics Off" \
    "$(ocspr_vhost $DIAG_PORT "$PKI/good.pem" "$PKI/good.key" "SSLUseStapling On")"
diag_run "$T/off.conf"
ocspr_assert_eq 0 "$(grep -c 'OCSPR04' "$DIAG_OUT" || true)" "diagnostics lines when Off"
ocspr_assert_eq 0 "$DIAG_RC" "exit status"
echo "PASS"
