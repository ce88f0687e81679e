#!/usr/bin/env bash
# Scenario 9: one certificate in two name-based vhosts (SNI) is fetched once,
# and a vhost with both an RSA and an ECDSA certificate staples the right
# response for whichever certificate the client's signature algorithms pick,
# over TLS 1.2 and TLS 1.3.
set -euo pipefail
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"
ocspr_t_init engine_multi_cert

engine_pki_and_front
engine_instance multi
named_port=$(ocspr_free_port)
dual_port=$(ocspr_free_port)
ocspr_write_httpd_conf "$ENGINE_DIR/httpd.conf" --dir "$ENGINE_DIR" \
    --listen "$named_port" --listen "$dual_port" -- \
    "$(engine_globals)" \
    "$(engine_vhost "$named_port" good "ServerName a.test")" \
    "$(engine_vhost "$named_port" good "ServerName b.test")" \
    "$(engine_vhost "$dual_port" good \
        "SSLCertificateFile \"$ENGINE_PKI/good-ec.chain.pem\"" \
        "SSLCertificateKeyFile \"$ENGINE_PKI/good-ec.key\"")"
ocspr_start_httpd "$ENGINE_DIR/httpd.conf"

# Two distinct certificates (good.pem in three vhosts, good-ec.pem in one):
# two fetches, whatever the number of vhosts.
ocspr_assert_eq 2 "$(ocspr_front_requests)" "responder requests at startup"
ocspr_assert_eq 2 "$(engine_log_count 'OCSPR0201: good OCSP response')" "OCSPR0201 lines"
ocspr_assert_eq 1 "$(engine_log_count "OCSPR0201: .*vhosts [^)]*a\.test:$named_port")" \
    "fetches naming a.test"
ocspr_assert_match "b\.test:$named_port" \
    "$(grep -E "OCSPR0201: .*vhosts [^)]*a\.test:$named_port" "$OCSPR_HTTPD_ERRORLOG")" \
    "the same fetch serves b.test"

serial_of() { openssl x509 -noout -serial -in "$ENGINE_PKI/$1.pem" | sed 's/^serial=//'; }
rsa_serial=$(serial_of good)
ec_serial=$(serial_of good-ec)

# assert_cert_and_staple KIND SERIAL WHAT PROTOCOL: the last handshake used
# PROTOCOL (TLSv1.2, TLSv1.3), got the KIND (RSA or EC) certificate and a good
# staple whose CertID carries its SERIAL.
assert_cert_and_staple()
{
    local kind=$1 serial=$2 what=$3 proto=$4 peer
    ocspr_assert_match "^New, $proto," "$(grep '^New, ' <<<"$ENGINE_LAST_OUT")" "$what: protocol"
    engine_staple_is_valid_good || ocspr_fail "$what: staple '$ENGINE_LAST_STATUS', not a valid good one"
    peer=$(sed -n 's/^Server public key is //p' <<<"$ENGINE_LAST_OUT")
    case $kind in
        EC) ocspr_assert_match '^256 bit' "$peer" "$what: server key (ECDSA P-256)" ;;
        RSA) ocspr_assert_match '^2048 bit' "$peer" "$what: server key (RSA 2048)" ;;
    esac
    ocspr_assert_eq "$serial" "$(engine_staple_field 'Serial Number')" "$what: serial in the staple's CertID"
}

this_a=
for sni in a.test b.test; do
    engine_assert_good "$named_port" "$sni" "staple via SNI $sni"
    ocspr_assert_eq "$rsa_serial" "$(engine_staple_field 'Serial Number')" "$sni: serial in the CertID"
    this=$(engine_staple_field 'This Update')
    [ -z "$this_a" ] && this_a=$this
    ocspr_assert_eq "$this_a" "$this" "$sni: the same response (This Update)"
done
# (curl would refuse a.test: the certificate names localhost only.)
rc=0
ocspr_curl_cert_status "$dual_port" "$ENGINE_PKI/root.pem" 2>"$ENGINE_DIR/curl.err" || rc=$?
ocspr_assert_eq 0 "$rc" "curl --cert-status, RSA+ECDSA vhost"

for proto in tls1_2 tls1_3; do
    version=TLSv1.${proto#tls1_}
    if [ "$proto" = tls1_2 ]; then
        ec_algs=ECDSA+SHA256
        rsa_algs=RSA-PSS+SHA256:RSA+SHA256
    else
        ec_algs=ecdsa_secp256r1_sha256
        rsa_algs=rsa_pss_rsae_sha256
    fi
    engine_handshake "$dual_port" localhost "-$proto" -sigalgs "$ec_algs" \
        || ocspr_fail "$proto ECDSA handshake failed"
    assert_cert_and_staple EC "$ec_serial" "$proto, sigalgs $ec_algs" "$version"
    engine_handshake "$dual_port" localhost "-$proto" -sigalgs "$rsa_algs" \
        || ocspr_fail "$proto RSA handshake failed"
    assert_cert_and_staple RSA "$rsa_serial" "$proto, sigalgs $rsa_algs" "$version"
done

# Handshakes are served from the cache: no request follows them.
for _ in 1 2 3 4 5; do
    engine_handshake "$named_port" a.test || ocspr_fail "handshake failed"
    engine_handshake "$named_port" b.test || ocspr_fail "handshake failed"
    engine_handshake "$dual_port" localhost -sigalgs ECDSA+SHA256 || ocspr_fail "handshake failed"
done
ocspr_assert_eq 2 "$(ocspr_front_requests)" "responder requests after 15 more handshakes"

ocspr_stop_httpd
# a.test and b.test are not in the test certificate (it names localhost):
# mod_ssl says so, in the config pass and at startup.
ocspr_check_error_log 'AH01909: [ab]\.test:443:0 server certificate does NOT include an ID which matches the server name'
ocspr_stop_front
