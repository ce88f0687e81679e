#!/usr/bin/env bash
# Certificates that cannot be stapled as they are: self-signed, expired, no
# OCSP URL (a notice, with the way to turn stapling off), https:// responder,
# Must-Staple (raises to error, and stapling off for it), SSLUseStapling On
# without SSLStaplingCache.
set -euo pipefail
. "$OCSPR_TEST_SRCDIR/integration/t_diag_common.sh"
diag_init t_diag_validity

# -- self-signed certificate with stapling on
diag_conf "$T/self.conf" "$(ocspr_vhost $DIAG_PORT "$PKI/root.pem" "$PKI/root.key" "SSLUseStapling On")"
line=$(diag_line "$T/self.conf" "SSLUseStapling On")
diag_run "$T/self.conf"
diag_expect OCSPR0408 "[self-signed]" "subject \"CN=Test Root CA,O=ocspr test\"" \
    "set \`SSLUseStapling Off\` at $T/self.conf:$line"

# -- expired leaf
diag_conf "$T/expired.conf" "$(ocspr_vhost $DIAG_PORT "$PKI/expired.chain.pem" "$PKI/expired.key" \
    "SSLUseStapling On")"
diag_run "$T/expired.conf"
diag_expect OCSPR0409 "[expired]" "expired.test" "the certificate expired on" "renew the certificate"

# -- no OCSP URL: a notice, and stapling inherited from the global scope
diag_conf "$T/noocsp.conf" "SSLUseStapling On" \
    "$(ocspr_vhost $DIAG_PORT "$PKI/noocsp.chain.pem" "$PKI/noocsp.key")"
glob=$(diag_line "$T/noocsp.conf" "SSLUseStapling On")
vline=$(diag_line "$T/noocsp.conf" "<VirtualHost")
diag_run "$T/noocsp.conf"
diag_expect OCSPR0410 "[ocsp_refresh:notice]" "[no-ocsp-url]" "names no OCSP responder" \
    "add \`SSLUseStapling Off\` inside this vhost ($T/noocsp.conf:$vline) (it inherits SSLUseStapling On from $T/noocsp.conf:$glob in the global scope)"
ocspr_assert_eq 0 "$(grep -cE '\[ocsp_refresh:(warn|error)\]' "$DIAG_OUT" || true)" "warnings for no OCSP URL"

# -- https:// responder
diag_conf "$T/https.conf" "$(ocspr_vhost $DIAG_PORT "$PKI/httpsocsp.chain.pem" "$PKI/httpsocsp.key" \
    "OCSPRefresh On")"
diag_run "$T/https.conf"
diag_expect OCSPR0411 "[https-responder]" "https://127.0.0.1:18080/ocsp" \
    "\`OCSPRefreshResponder http://127.0.0.1:18080/ocsp\`"

# -- Must-Staple without its issuer: error; Must-Staple with stapling off
diag_conf "$T/mustaple.conf" "$(ocspr_vhost $DIAG_PORT "$PKI/mustaple.pem" "$PKI/mustaple.key")"
diag_run "$T/mustaple.conf"
diag_expect OCSPR0417 "[ocsp_refresh:error]" "[must-staple-off]" "CN=mustaple.test" "\`OCSPRefresh On\`"
diag_expect OCSPR0418 "[ocsp_refresh:error]" "[client-chain]" "This certificate is Must-Staple"

# -- SSLUseStapling On without SSLStaplingCache
ocspr_write_httpd_conf "$T/nocache.conf" --listen "$DIAG_PORT" --loglevel warn -- \
    "$(ocspr_vhost $DIAG_PORT "$PKI/good.chain.pem" "$PKI/good.key" "SSLUseStapling On")"
line=$(diag_line "$T/nocache.conf" "SSLUseStapling On")
diag_run "$T/nocache.conf"
diag_expect OCSPR0412 "[no-stapling-cache]" "SSLUseStapling On (at $T/nocache.conf:$line)" \
    "AH01958" "SSLStaplingCache"
echo "PASS"
