#!/usr/bin/env bash
# The issuer search fails: leaf only; issuer ignored because of an inherited
# SSLCertificateChainFile; right name but another key; intermediates of
# another chain; issuer in an SSLCACertificatePath without hash links.
set -euo pipefail
. "$OCSPR_TEST_SRCDIR/integration/t_diag_common.sh"
diag_init t_diag_issuer

int_subject="CN=Test Intermediate CA,O=ocspr test"
leaf_akid=$(diag_akid "$PKI/good.pem")

# -- leaf only: issuer subject and key id, caIssuers URL, where to append it
diag_conf "$T/leaf.conf" "$(ocspr_vhost $DIAG_PORT "$PKI/good.pem" "$PKI/good.key" \
    "ServerName leaf.test" "SSLUseStapling On")"
line=$(diag_line "$T/leaf.conf" "SSLCertificateFile \"$PKI/good.pem\"")
vline=$(diag_line "$T/leaf.conf" "<VirtualHost")
diag_run "$T/leaf.conf"
diag_expect OCSPR0402 "[ocsp_refresh:error]" "[issuer-missing]" "vhost leaf.test:$DIAG_PORT ($T/leaf.conf:$vline)" \
    "SSLCertificateFile at $T/leaf.conf:$line" "\"$int_subject\" with key id $leaf_akid" \
    "http://127.0.0.1:18080/int.cer" "openssl x509 -inform DER -outform PEM >> $PKI/good.pem" \
    "$(openssl x509 -in "$PKI/good.pem" -noout -serial | cut -d= -f2)"
ocspr_assert_eq 0 "$DIAG_RC" "exit status without OCSPRefreshStrict"

# -- the issuer is in the certificate file, a global SSLCertificateChainFile hides it
diag_conf "$T/override.conf" "SSLCertificateChainFile \"$PKI/root.pem\"" \
    "$(ocspr_vhost $DIAG_PORT "$PKI/good.chain.pem" "$PKI/good.key" "OCSPRefresh On")"
line=$(diag_line "$T/override.conf" "SSLCertificateChainFile")
diag_run "$T/override.conf"
diag_expect OCSPR0403 "[chain-file-overrides]" "subject \"$int_subject\"" \
    "SSLCertificateChainFile $PKI/root.pem is set (at $T/override.conf:$line in the global scope)" \
    "add \`SSLCertificateChainFile $PKI/good.chain.pem\` to this vhost"

# -- an intermediate with the right name and another key
cat "$PKI/good.pem" "$PKI/int-otherkey.pem" > "$T/otherkey.pem"
diag_conf "$T/otherkey.conf" "$(ocspr_vhost $DIAG_PORT "$T/otherkey.pem" "$PKI/good.key" \
    "SSLUseStapling On")"
diag_run "$T/otherkey.conf"
diag_expect OCSPR0404 "[issuer-other-key]" "signed by key id $leaf_akid" \
    "that one has key id $(diag_skid "$PKI/int-otherkey.pem")" \
    "keep the server certificate in $T/otherkey.pem and replace the certificates after it" \
    "{ openssl x509 -in $T/otherkey.pem; curl -s"

# -- intermediates of another chain, listed against the one needed
cat "$PKI/good.pem" "$PKI/other-root.pem" > "$T/foreign.pem"
diag_conf "$T/foreign.conf" "$(ocspr_vhost $DIAG_PORT "$T/foreign.pem" "$PKI/good.key" \
    "SSLUseStapling On")"
diag_run "$T/foreign.conf"
diag_expect OCSPR0405 "[foreign-intermediate]" \
    "\"CN=Other Root CA,O=ocspr elsewhere\" (key id $(diag_skid "$PKI/other-root.pem"))" \
    "needs its issuer \"$int_subject\" with key id $leaf_akid"

# -- the issuer in SSLCACertificatePath, but no hash link
mkdir -p "$T/capath"
cp "$PKI/int.pem" "$T/capath/intermediate.pem"
diag_conf "$T/capath.conf" "$(ocspr_vhost $DIAG_PORT "$PKI/good.pem" "$PKI/good.key" \
    "SSLUseStapling On" "SSLCACertificatePath \"$T/capath\"")"
diag_run "$T/capath.conf"
diag_expect OCSPR0414 "[ca-path-not-hashed]" "$T/capath/intermediate.pem" \
    "openssl rehash $T/capath"
openssl rehash "$T/capath" 2>/dev/null
diag_run "$T/capath.conf"
diag_healthy ', 1 certificates ready for stapling, 0 findings$'
echo "PASS"
