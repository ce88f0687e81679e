#!/usr/bin/env bash
# Scenario 6: a responder answering garbage, HTTP 500, tryLater, a response
# signed with the wrong key (and, cheaply, an oversized body, a closed
# connection and silence). Nothing bad is ever stapled:
#   1. with no response held, nothing is stapled ("none");
#   2. a good response already held stays in service, unchanged (same This
#      Update, same store file), while refreshes fail;
#   3. once the responder is healthy again, a newer response replaces it.
# Refreshes are forced by a graceful restart (the store keeps the held
# response) and by a short validity: 2 minutes, refreshed after 5%.
set -euo pipefail
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"
ocspr_t_init engine_faults

FAULTS=(garbage http500 trylater wrongkey oversize close blackhole)
engine_pki_and_front --nmin 2
engine_instance faults
port=$(ocspr_free_port)
ocspr_write_httpd_conf "$ENGINE_DIR/httpd.conf" --dir "$ENGINE_DIR" --listen "$port" -- \
    "$(engine_globals "OCSPRefreshWindow 5" "OCSPRefreshTimeout 2")" \
    "$(engine_vhost "$port" good)"

set_fault() { ocspr_front_control "{\"fault\": \"$1\"}"; }
saw_fault() { [ "$(engine_front_requests_with "$1")" -gt "$2" ]; }
store_sum() { cat "$ENGINE_STORE"/* 2>/dev/null | md5sum | cut -d' ' -f1; }

# wait_fault_request FAULT BEFORE: a request answered with FAULT, beyond the
# BEFORE seen earlier, within 40 s (a restart's prefetch, or the leader's
# next attempt).
wait_fault_request()
{
    ocspr_wait_until 40 saw_fault "$1" "$2" \
        || ocspr_fail "no request reached the front while it answered '$1'"
    ocspr_pass "the module asked the front while it answered '$1'"
}

# expect_staple STATUS [THIS_UPDATE] WHAT: three handshakes, each stapling
# STATUS (and, for good, a valid response with that This Update).
expect_staple()
{
    local status=$1 this=$2 what=$3 i
    for i in 1 2 3; do
        engine_handshake "$port" || ocspr_fail "$what: handshake failed"
        ocspr_assert_eq "$status" "$ENGINE_LAST_STATUS" "$what: staple status ($i)" >/dev/null
        if [ "$status" = good ]; then
            engine_staple_is_valid_good || ocspr_fail "$what: staple is not a valid good response"
            ocspr_assert_eq "$this" "$(engine_staple_field 'This Update')" "$what: This Update" >/dev/null
        fi
    done
    ocspr_pass "$what: 3 handshakes stapled '$status'${this:+ (This Update $this)}"
}

echo "-- 1. nothing held: nothing is stapled"
first=1
for fault in "${FAULTS[@]}"; do
    set_fault "$fault"
    before=$(engine_front_requests_with "$fault")
    if [ -n "$first" ]; then
        ocspr_start_httpd "$ENGINE_DIR/httpd.conf"
        first=
    else
        ocspr_httpd_graceful
    fi
    wait_fault_request "$fault" "$before"
    expect_staple none "" "fault $fault, nothing held"
    rc=0
    ocspr_curl_cert_status "$port" "$ENGINE_PKI/root.pem" 2>/dev/null || rc=$?
    [ "$rc" != 0 ] || ocspr_fail "curl --cert-status passed with fault $fault and nothing held"
    [ -z "$(ls -A "$ENGINE_STORE")" ] || ocspr_fail "fault $fault: something was written to the store"
done
ocspr_assert_eq 0 "$(engine_log_count 'OCSPR0201: ')" "responses accepted so far"

echo "-- 2. a good response held: it stays in service"
set_fault none
ocspr_httpd_graceful
ocspr_wait_until 20 engine_staple_good_now "$port" || ocspr_fail "no good staple with a healthy responder"
engine_assert_good "$port" "warm-up"
held=$(engine_staple_field 'This Update')
sum=$(store_sum)
[ -n "$(ls -A "$ENGINE_STORE")" ] || ocspr_fail "the store is empty after a fetch"
for fault in "${FAULTS[@]}"; do
    set_fault "$fault"
    before=$(engine_front_requests_with "$fault")
    ocspr_httpd_graceful
    expect_staple good "$held" "first handshakes after a graceful restart, fault $fault"
    wait_fault_request "$fault" "$before"
    expect_staple good "$held" "fault $fault, response held"
    ocspr_assert_eq "$sum" "$(store_sum)" "store file after fault $fault" >/dev/null
done
ocspr_pass "the held response (This Update $held) stayed in service and in the store"
held_next=$(engine_staple_field 'Next Update')
[ "$(engine_epoch "$held_next")" -gt "$(date +%s)" ] \
    || ocspr_fail "the test ran past the held response's nextUpdate: make it faster"

echo "-- 3. healthy again: a newer response replaces it"
set_fault none
newer() { engine_handshake "$port" && [ "$ENGINE_LAST_STATUS" = good ] \
    && [ "$(engine_staple_field 'This Update')" != "$held" ]; }
ocspr_wait_until 60 newer || ocspr_fail "no newer response within 60 s of the responder's recovery"
engine_assert_good "$port" "after recovery"
[ "$(store_sum)" != "$sum" ] || ocspr_fail "the store still holds the old response"
ocspr_pass "the store holds the newer response"

ocspr_stop_httpd
# Failures are summarised per responder and pass (details at LogLevel info).
ocspr_check_error_log 'OCSPR0202: responder 127\.0\.0\.1:[0-9]+: 1 of 1 OCSP requests failed in this pass'
ocspr_stop_front
