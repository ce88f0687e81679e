#!/usr/bin/env bash
# Files in the wrong shape: a DER chain file (mod_ssl silently loads nothing),
# a PKCS#7 certificate file, leaf and intermediate in the wrong order, a file
# without any certificate.
set -euo pipefail
. "$OCSPR_TEST_SRCDIR/integration/t_diag_common.sh"
diag_init t_diag_format

# -- DER where PEM is expected: the conversion command
diag_conf "$T/der.conf" "$(ocspr_vhost $DIAG_PORT "$PKI/good.pem" "$PKI/good.key" \
    "SSLUseStapling On" "SSLCertificateChainFile \"$PKI/int.der\"")"
line=$(diag_line "$T/der.conf" "SSLCertificateChainFile")
diag_run "$T/der.conf"
diag_expect OCSPR0406 "[not-pem]" "SSLCertificateChainFile $PKI/int.der (at $T/der.conf:$line) is DER" \
    "\`openssl x509 -inform DER -in $PKI/int.der -out $PKI/int.der.pem\`"
ocspr_assert_eq 1 "$(grep -cE '\[ocsp_refresh:(warn|error)\]' "$DIAG_OUT")" "findings (no second one for the same cause)"

# -- PKCS#7 certificate file
openssl crl2pkcs7 -nocrl -certfile "$PKI/good.chain.pem" -outform DER -out "$T/good.p7b"
diag_conf "$T/p7.conf" "$(ocspr_vhost $DIAG_PORT "$T/good.p7b" "$PKI/good.key" "SSLUseStapling On")"
diag_run "$T/p7.conf"
diag_expect OCSPR0406 "SSLCertificateFile $T/good.p7b" "is PKCS#7" "refuses to start" \
    "\`openssl pkcs7 -in $T/good.p7b -inform DER -print_certs"

# -- intermediate before the leaf
cat "$PKI/int.pem" "$PKI/good.pem" > "$T/reversed.pem"
diag_conf "$T/order.conf" "$(ocspr_vhost $DIAG_PORT "$T/reversed.pem" "$PKI/good.key" \
    "SSLUseStapling On")"
diag_run "$T/order.conf"
diag_expect OCSPR0407 "[wrong-order]" "CA certificate \"CN=Test Intermediate CA,O=ocspr test\"" \
    "position 2" "reorder $T/reversed.pem: the server certificate \"CN=good.test,O=ocspr test\" first"

# -- a file without a certificate
printf 'not a certificate\n' > "$T/empty.pem"
diag_conf "$T/empty.conf" "$(ocspr_vhost $DIAG_PORT "$T/empty.pem" "$PKI/good.key")"
diag_run "$T/empty.conf"
diag_expect OCSPR0401 "[unreadable]" "SSLCertificateFile $T/empty.pem" "holds no certificate"
echo "PASS"
