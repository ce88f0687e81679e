#!/usr/bin/env bash
# Graceful restarts under a handshake load, for prefork, worker and event:
# a loop of full handshakes (a new `openssl s_client -status` each, so no
# session is resumed) runs for LC_LOAD_S seconds per MPM while the server
# gets SIGUSR1 every LC_RESTART_EVERY_S seconds. The responder is blackholed
# and the certificate due, so every restart meets a leader stuck in a fetch
# and a refresh to do. Zero failed handshakes: each completes within
# HANDSHAKE_LIMIT_MS and staples a valid good response.
set -euo pipefail
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/lifecycle-lib.sh"
ocspr_t_init lifecycle_mpm_restarts

LOAD_S=${LC_LOAD_S:-60}
RESTART_EVERY_S=${LC_RESTART_EVERY_S:-10}
HANDSHAKE_LIMIT_MS=3000      # a restart must never stall a client this long
MPMS=${LC_MPMS:-prefork worker event}

engine_pki_and_front --nmin 2

# load_under_restarts MPM
load_under_restarts()
{
    local mpm=$1 port start next_restart restarts=0 handshakes=0 failed=0 max_ms=0 now
    local failures=$T/failures-$mpm.txt times=$T/handshake-ms-$mpm.txt
    echo "-- $mpm: ${LOAD_S}s of handshakes, SIGUSR1 every ${RESTART_EVERY_S}s"
    ocspr_front_control '{"fault": "none"}'
    engine_instance "load-$mpm"
    port=$(ocspr_free_port)
    lc_conf "$mpm" "$port" "$(engine_vhost "$port" good)"
    ocspr_start_httpd "$ENGINE_DIR/httpd.conf"
    engine_assert_good "$port" "warm-up staple ($mpm)"
    ocspr_front_control '{"fault": "blackhole"}'
    lc_wait_front_client 30 >/dev/null || ocspr_fail "the leader never tried the blackholed responder"
    : > "$failures"
    : > "$times"
    start=$(lc_now_ms)
    next_restart=$((start + RESTART_EVERY_S * 1000))
    while :; do
        now=$(lc_now_ms)
        [ $((now - start)) -lt $((LOAD_S * 1000)) ] || break
        if [ "$now" -ge "$next_restart" ]; then
            kill -USR1 "$(lc_parent)" || ocspr_fail "$mpm: the httpd parent is gone"
            restarts=$((restarts + 1))
            next_restart=$((next_restart + RESTART_EVERY_S * 1000))
        fi
        handshakes=$((handshakes + 1))
        if ! lc_timed_handshake "$port" 2>/dev/null; then
            echo "t+$((now - start)) ms: handshake failed after ${LC_LAST_MS} ms: $(tail -n 2 <<<"$ENGINE_LAST_OUT" | tr '\n' ' ')" >> "$failures"
        elif ! engine_staple_is_valid_good; then
            echo "t+$((now - start)) ms: staple '$ENGINE_LAST_STATUS', not a valid good response" >> "$failures"
        elif [ "$LC_LAST_MS" -gt "$HANDSHAKE_LIMIT_MS" ]; then
            echo "t+$((now - start)) ms: handshake took ${LC_LAST_MS} ms" >> "$failures"
        fi
        echo "$LC_LAST_MS" >> "$times"
    done
    failed=$(wc -l < "$failures")
    max_ms=$(sort -n "$times" | tail -n 1)
    echo "figure: $mpm: $handshakes full handshakes, $restarts graceful restarts, $failed failed;" \
        "handshake ms median $(sort -n "$times" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'), max $max_ms"
    if [ "$failed" -gt 0 ]; then
        head -n 20 "$failures" >&2
        ocspr_fail "$mpm: $failed of $handshakes handshakes failed during graceful restarts (first 20 above)"
    fi
    [ "$restarts" -ge $((LOAD_S / RESTART_EVERY_S - 1)) ] || ocspr_fail "$mpm: only $restarts restarts happened"
    [ "$handshakes" -ge $((LOAD_S / 2)) ] || ocspr_fail "$mpm: only $handshakes handshakes in ${LOAD_S}s: the load was too thin to tell"
    ocspr_pass "$mpm: all $handshakes handshakes stapled, through $restarts graceful restarts"
    ocspr_stop_httpd
    ocspr_check_error_log 'OCSPR0202: '
}

for mpm in $MPMS; do
    load_under_restarts "$mpm"
done
