#!/usr/bin/env bash
# The responder front (test/pki/ocsp-front.py) does what every fault mode
# promises, so that tests built on it fail only for the module's faults.
set -euo pipefail
# shellcheck source=lib.sh
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
ocspr_t_init front_faults

port=$(ocspr_free_port)
pki=$T/pki
ocspr_make_pki "$pki" "$port"
ocspr_start_front "$pki" "$port"
url=http://127.0.0.1:$port/ocsp
sent=0   # OCSP requests this test made; the front's log must agree

openssl ocsp -issuer "$pki/int.pem" -cert "$pki/good.pem" -no_nonce -reqout "$T/good.req" 2>/dev/null
openssl ocsp -issuer "$pki/int.pem" -cert "$pki/revoked.pem" -no_nonce -reqout "$T/revoked.req" 2>/dev/null

# post REQUEST [CURL ARGS]: POST to the front; the response lands in
# $T/resp.der; sets out="HTTP-CODE BYTES" and curl_rc (curl's exit code).
post()
{
    local req=$1
    shift
    sent=$((sent + 1))
    curl_rc=0
    out=$(curl -sS -o "$T/resp.der" -w '%{http_code} %{size_download}' \
        -H 'Content-Type: application/ocsp-request' --data-binary "@$req" "$@" "$url" \
        2>"$T/curl.err") || curl_rc=$?
}

resp_text()
{
    openssl ocsp -respin "$T/resp.der" -resp_text -noverify 2>&1
}

# verify_resp CERT: verify the response's signature and CertID against the
# test root, the way a client would.
verify_resp()
{
    openssl ocsp -respin "$T/resp.der" -issuer "$pki/int.pem" -cert "$pki/$1.pem" \
        -CAfile "$pki/root.pem" -verify_other "$pki/int.pem" >"$T/verify.out" 2>&1
}

# --- no fault: a valid, verifiable response
post "$T/good.req"
ocspr_assert_eq "200" "${out% *}" "no fault: HTTP status"
ocspr_assert_match 'Cert Status: good' "$(resp_text)" "no fault: response"
verify_resp good || { cat "$T/verify.out" >&2; ocspr_fail "no fault: response does not verify"; }
ocspr_pass "no fault: response verifies against the test root"
post "$T/revoked.req"
ocspr_assert_match 'Cert Status: revoked' "$(resp_text)" "revoked certificate"

# --- GET (RFC 5019): /ocsp/<url-encoded base64 of the DER request>
encoded=$(base64 -w0 "$T/good.req" | python3 -c \
    'import sys, urllib.parse; print(urllib.parse.quote(sys.stdin.read(), safe=""))')
code=$(curl -sS -o "$T/resp.der" -w '%{http_code}' "$url/$encoded")
sent=$((sent + 1))
ocspr_assert_eq "200" "$code" "GET: HTTP status"
ocspr_assert_match 'Cert Status: good' "$(resp_text)" "GET: response"

# --- a request openssl cannot parse gets malformedRequest
head -c 40 /dev/urandom > "$T/junk.req"
post "$T/junk.req"
ocspr_assert_match 'Responder Error: malformedrequest' "$(resp_text)" "junk request"

# --- control: signer and validity
ocspr_front_control '{"signer": "ocsp-noeku", "nmin": 5}'
post "$T/good.req"
text=$(resp_text)
ocspr_assert_match 'Responder Id: .*CN = Test OCSP No EKU' "$text" "signer override"
this=$(date -d "$(sed -n 's/^ *This Update: //p' <<<"$text")" +%s)
next=$(date -d "$(sed -n 's/^ *Next Update: //p' <<<"$text")" +%s)
ocspr_assert_eq "300" "$((next - this))" "nmin 5: nextUpdate - thisUpdate (s)"

# --- delay: answers normally, late
ocspr_front_control '{"fault": "delay", "delay": 2}'
start=$(date +%s%N)
post "$T/good.req"
elapsed=$((($(date +%s%N) - start) / 1000000))
ocspr_assert_eq "200" "${out% *}" "delay: HTTP status"
ocspr_assert_match 'Cert Status: good' "$(resp_text)" "delay: response"
[ "$elapsed" -ge 2000 ] || ocspr_fail "delay: answered after ${elapsed} ms, expected >= 2000"
ocspr_pass "delay: answered after ${elapsed} ms"

# --- http500
ocspr_front_control '{"fault": "http500"}'
post "$T/good.req"
ocspr_assert_eq "500" "${out% *}" "http500: HTTP status"

# --- garbage: 200 but not an OCSP response
ocspr_front_control '{"fault": "garbage"}'
post "$T/good.req"
ocspr_assert_eq "200" "${out% *}" "garbage: HTTP status"
if openssl ocsp -respin "$T/resp.der" -resp_text -noverify >/dev/null 2>&1; then
    ocspr_fail "garbage: openssl parsed the garbage"
fi
ocspr_pass "garbage: not parseable"

# --- oversize: 2 MiB
ocspr_front_control '{"fault": "oversize"}'
post "$T/good.req"
ocspr_assert_eq "200 2097152" "$out" "oversize: HTTP status and bytes"

# --- blackhole: the client times out
ocspr_front_control '{"fault": "blackhole"}'
start=$(date +%s%N)
post "$T/good.req" -m 2
elapsed=$((($(date +%s%N) - start) / 1000000))
ocspr_assert_eq "28" "$curl_rc" "blackhole: curl exit code (timeout)"
[ "$elapsed" -lt 4000 ] || ocspr_fail "blackhole: curl -m 2 took ${elapsed} ms"
ocspr_pass "blackhole: curl gave up after ${elapsed} ms"

# --- trylater: a valid OCSPResponse with status tryLater
ocspr_front_control '{"fault": "trylater"}'
post "$T/good.req"
ocspr_assert_eq "200 5" "$out" "trylater: HTTP status and bytes"
ocspr_assert_eq "3003 0a01 03" "$(od -An -tx1 "$T/resp.der" | tr -d ' \n' | sed -E 's/(....)(....)(..)/\1 \2 \3/')" \
    "trylater: DER"
ocspr_assert_match 'Responder Error: trylater \(3\)' "$(resp_text)" "trylater: parses"

# --- close: no answer at all
ocspr_front_control '{"fault": "close"}'
post "$T/good.req"
ocspr_assert_eq "52" "$curl_rc" "close: curl exit code (empty reply)"

# --- wrongkey: parses, but does not verify against int
ocspr_front_control '{"fault": "wrongkey"}'
post "$T/good.req"
ocspr_assert_eq "200" "${out% *}" "wrongkey: HTTP status"
ocspr_assert_match 'Cert Status: good' "$(resp_text)" "wrongkey: parses"
if verify_resp good; then
    ocspr_fail "wrongkey: response signed by int-otherkey verified"
fi
ocspr_pass "wrongkey: verification fails ($(grep -m1 -iE 'error|fail' "$T/verify.out" || true))"

# --- a malformed control file means no fault
ocspr_front_control '{"fault": '
post "$T/good.req"
ocspr_assert_eq "200" "${out% *}" "broken control file: HTTP status"
ocspr_assert_match 'Cert Status: good' "$(resp_text)" "broken control file: response"
ocspr_front_control '{"fault": "none"}'

# --- AIA caIssuers downloads (not counted as OCSP requests)
curl -sS -o "$T/int.cer" "http://127.0.0.1:$port/int.cer"
cmp -s "$T/int.cer" "$pki/int.der" || ocspr_fail "/int.cer differs from int.der"
ocspr_pass "/int.cer serves int.der"
curl -sS "http://127.0.0.1:$port/root.cer" | openssl x509 -inform DER -noout -fingerprint \
    > "$T/root.fp"
ocspr_assert_eq "$(openssl x509 -in "$pki/root.pem" -noout -fingerprint)" "$(cat "$T/root.fp")" \
    "/root.cer fingerprint"
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nothing")
ocspr_assert_eq "404" "$code" "unknown path"

# --- the request log counts OCSP requests
ocspr_assert_eq "$sent" "$(ocspr_front_requests)" "OCSP requests in the front's log"

# --- ::1, when the host has IPv6 loopback
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
    port6=$(ocspr_free_port)
    ocspr_start_front "$pki" "$port6" --host ::1
    curl -sS -g -o "$T/int6.cer" "http://[::1]:$port6/int.cer"
    cmp -s "$T/int6.cer" "$pki/int.der" || ocspr_fail "::1: /int.cer differs"
    ocspr_pass "front on [::1]:$port6 serves"
    ocspr_stop_front
    ocspr_use_front "$port"
else
    echo "skip: no IPv6 loopback"
fi

# --- SIGTERM stops the front promptly even with a connection blackholed
ocspr_front_control '{"fault": "blackhole"}'
curl -sS -m 30 -o /dev/null --data-binary "@$T/good.req" "$url" 2>/dev/null &
held=$!
last_request_blackholed() { tail -n 1 "$OCSPR_FRONT_LOG" | grep -q 'blackhole$'; }
ocspr_wait_until 5 last_request_blackholed || ocspr_fail "blackholed request not logged"
start=$(date +%s%N)
ocspr_stop_front
elapsed=$((($(date +%s%N) - start) / 1000000))
[ "$elapsed" -lt 3000 ] || ocspr_fail "front took ${elapsed} ms to stop"
ocspr_pass "front stopped in ${elapsed} ms with a blackholed connection open"
wait "$held" || true
if ocspr_port_listening "$port"; then
    ocspr_fail "port $port still listening after the front stopped"
fi
ocspr_pass "port $port closed"
