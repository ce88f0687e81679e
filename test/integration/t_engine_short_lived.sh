#!/usr/bin/env bash
# Scenarios 8 and 3 in one run, on responses valid for 2 minutes (front
# --nmin 2), OCSPRefreshWindow 50 and the default OCSPRefreshCheckInterval
# (60 s: the maintenance thread must wake at the due time, not on its tick):
#   A. responder healthy for ~130 s, checked every 10 s and hammered with
#      handshakes: the staple is always valid, each certificate is refreshed
#      about once a minute (the responder count stays in range), never once
#      per handshake;
#   B. responder stopped: each staple stays in service until its nextUpdate,
#      then NOTHING is stapled (never an expired response).
set -euo pipefail
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"
ocspr_t_init engine_short_lived

PHASE_A_S=${ENGINE_PHASE_A_S:-130}
BURST=10                 # handshakes per certificate between two checks

engine_pki_and_front --nmin 2
engine_instance short
rsa_port=$(ocspr_free_port)
ec_port=$(ocspr_free_port)
ports=("$rsa_port" "$ec_port")
ocspr_write_httpd_conf "$ENGINE_DIR/httpd.conf" --dir "$ENGINE_DIR" \
    --listen "$rsa_port" --listen "$ec_port" -- \
    "OCSPRefreshStore \"$ENGINE_STORE\"" \
    "OCSPRefreshWindow 50" \
    "$(engine_vhost "$rsa_port" good)" \
    "$(engine_vhost "$ec_port" good-ec)"
start=$SECONDS
ocspr_start_httpd "$ENGINE_DIR/httpd.conf"

fetches_for() { engine_log_count "OCSPR0201: good OCSP response .*\\(vhosts localhost:$1\\) from http"; }

echo "-- A. healthy responder, ${PHASE_A_S}s"
declare -A seen_this=()
handshakes=0
checks=0
while [ $((SECONDS - start)) -lt "$PHASE_A_S" ] && [ "$checks" -lt 60 ]; do
    checks=$((checks + 1))
    for port in "${ports[@]}"; do
        engine_handshake "$port" || ocspr_fail "handshake with $port failed"
        engine_staple_is_valid_good \
            || ocspr_fail "t+$((SECONDS - start))s port $port: staple '$ENGINE_LAST_STATUS' is not a valid good response"
        seen_this["$port $(engine_staple_field 'This Update')"]=1
        for _ in $(seq "$BURST"); do
            engine_handshake "$port" || ocspr_fail "handshake with $port failed"
            [ "$ENGINE_LAST_STATUS" = good ] || ocspr_fail "t+$((SECONDS - start))s port $port: staple '$ENGINE_LAST_STATUS'"
        done
        handshakes=$((handshakes + BURST + 1))
    done
    sleep 10
done
elapsed=$((SECONDS - start))
requests=$(ocspr_front_requests)
echo "phase A: ${elapsed}s, $checks checks, $handshakes handshakes, $requests responder requests"
# One fetch at startup, then one per 60-72 s (50% of 120 s plus up to 10%
# jitter) plus the wake-up latency.
lo=$((1 + elapsed / 80))
hi=$((2 + elapsed / 55))
total=0
for port in "${ports[@]}"; do
    n=$(fetches_for "$port")
    total=$((total + n))
    distinct=$(printf '%s\n' "${!seen_this[@]}" | grep -c "^$port " || true)
    echo "port $port: $n fetches, $distinct distinct responses stapled"
    if [ "$n" -lt "$lo" ] || [ "$n" -gt "$hi" ]; then
        ocspr_fail "port $port: $n fetches in ${elapsed}s, expected $lo..$hi (about one a minute)"
    fi
    [ "$distinct" -ge 2 ] || ocspr_fail "port $port: the staple was never renewed in ${elapsed}s"
done
ocspr_pass "each certificate fetched $lo..$hi times in ${elapsed}s"
ocspr_assert_eq "$total" "$requests" "responder requests = fetches (no failed attempt, nothing per handshake)"
[ "$handshakes" -ge $((requests * 20)) ] || ocspr_fail "too few handshakes to tell ($handshakes)"
ocspr_pass "$handshakes handshakes, $requests responder requests"

echo "-- B. responder down"
ocspr_stop_front
declare -A held_this=() held_next_ms=()
last_next_ms=0
for port in "${ports[@]}"; do
    engine_assert_good "$port" "port $port right after the responder stopped"
    held_this[$port]=$(engine_staple_field 'This Update')
    held_next_ms[$port]=$(( $(engine_epoch "$(engine_staple_field 'Next Update')") * 1000 ))
    [ "${held_next_ms[$port]}" -gt "$last_next_ms" ] && last_next_ms=${held_next_ms[$port]}
done
echo "phase B ends about $(( (last_next_ms - $(date +%s%3N)) / 1000 + 10 ))s from now"
declare -A good_after_stop=() none_after_expiry=()
tries=0
while [ "$(date +%s%3N)" -lt $((last_next_ms + 10000)) ] && [ "$tries" -lt 60 ]; do
    tries=$((tries + 1))
    for port in "${ports[@]}"; do
        # engine_handshake fails the test on any expired staple.
        engine_handshake "$port" || ocspr_fail "handshake with $port failed"
        next=${held_next_ms[$port]}
        if [ "$ENGINE_LAST_START_MS" -lt $((next - 2000)) ]; then
            engine_staple_is_valid_good \
                || ocspr_fail "port $port: '$ENGINE_LAST_STATUS' before the held response's nextUpdate"
            ocspr_assert_eq "${held_this[$port]}" "$(engine_staple_field 'This Update')" \
                "port $port: the held response" >/dev/null
            good_after_stop[$port]=$(( ${good_after_stop[$port]:-0} + 1 ))
        elif [ "$ENGINE_LAST_START_MS" -ge "$next" ]; then
            ocspr_assert_eq none "$ENGINE_LAST_STATUS" "port $port after nextUpdate" >/dev/null
            none_after_expiry[$port]=$(( ${none_after_expiry[$port]:-0} + 1 ))
        fi
    done
    sleep 4
done
for port in "${ports[@]}"; do
    echo "port $port: ${good_after_stop[$port]:-0} good staples before nextUpdate, ${none_after_expiry[$port]:-0} 'none' after it"
    [ "${good_after_stop[$port]:-0}" -ge 1 ] || ocspr_fail "port $port: never checked before its nextUpdate"
    [ "${none_after_expiry[$port]:-0}" -ge 2 ] || ocspr_fail "port $port: too few checks after its nextUpdate"
done
ocspr_pass "staples stayed valid until nextUpdate, then nothing was stapled"
echo "OCSPR0204 (expired) lines: $(engine_log_count 'OCSPR0204: ')"
echo "total run time $((SECONDS - start))s"

ocspr_stop_httpd
# The dead responder: failed attempts, then the expiry of the held responses.
ocspr_check_error_log 'OCSPR0202: responder 127\.0\.0\.1:[0-9]+: [0-9]+ of [0-9]+ OCSP requests failed in this pass \(refused: [0-9]+\)|OCSPR0204: [0-9]+ OCSP responses expired'
