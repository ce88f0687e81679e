#!/usr/bin/env bash
# Scenario 2: a responder that answers after 3 s, with OCSPRefreshStartupTimeout
# 1. The server starts after about one second, no handshake ever waits for the
# responder (handshake times with the module are compared with a vhost
# without stapling in the same server), and a staple appears once the
# background fetch succeeds.
set -euo pipefail
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"
ocspr_t_init engine_slow_responder

# A handshake with the module may take at most FACTOR times the baseline's
# median plus SLACK_MS: generous (the machine may be busy), yet far below
# the responder's 3 s.
FACTOR=5
SLACK_MS=200
DELAY_S=3

engine_pki_and_front
ocspr_front_control "{\"fault\": \"delay\", \"delay\": $DELAY_S}"
engine_instance slow
port=$(ocspr_free_port)
base_port=$(ocspr_free_port)
# The baseline vhost serves the same certificate without OCSPRefresh: same
# key, same chain, nothing stapled.
ocspr_write_httpd_conf "$ENGINE_DIR/httpd.conf" --dir "$ENGINE_DIR" \
    --listen "$port" --listen "$base_port" -- \
    "$(engine_globals "OCSPRefreshStartupTimeout 1" "OCSPRefreshTimeout 10")" \
    "$(engine_vhost "$port" good)" \
    "$(ocspr_vhost "$base_port" "$ENGINE_PKI/good.chain.pem" "$ENGINE_PKI/good.key")"

start=$(date +%s%3N)
ocspr_start_httpd "$ENGINE_DIR/httpd.conf"
startup_ms=$(( $(date +%s%3N) - start ))
echo "startup took $startup_ms ms (responder delay ${DELAY_S}s, startup timeout 1 s)"
[ "$startup_ms" -lt $(( DELAY_S * 1000 )) ] \
    || ocspr_fail "startup took $startup_ms ms: it waited for the ${DELAY_S}s responder"
ocspr_pass "the server served before the responder answered"

median()
{
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# Interleave the two vhosts so both see the same machine load.
mod_ms=()
base_ms=()
for _ in 1 2 3 4 5 6; do
    base_ms+=("$(ocspr_handshake_ms "$base_port")")
    mod_ms+=("$(ocspr_handshake_ms "$port")")
done
base_median=$(median "${base_ms[@]}")
limit=$(( base_median * FACTOR + SLACK_MS ))
echo "handshake ms, no stapling : ${base_ms[*]} (median $base_median)"
echo "handshake ms, module      : ${mod_ms[*]} (median $(median "${mod_ms[@]}"), limit $limit)"
for ms in "${mod_ms[@]}"; do
    [ "$ms" -lt "$limit" ] || ocspr_fail "a handshake with the module took $ms ms (limit $limit)"
done
ocspr_pass "no handshake waited for the responder"

engine_handshake "$base_port" || ocspr_fail "baseline handshake failed"
ocspr_assert_eq none "$ENGINE_LAST_STATUS" "staple of the vhost without OCSPRefresh"

# The startup attempt ran out of time; the leader retries in the background
# (after the policy's backoff). Keep measuring while waiting: handshakes
# during the background fetch must not wait either.
deadline=$((SECONDS + 120))
during=()
appeared=
while [ "$SECONDS" -lt "$deadline" ]; do
    ms=$(ocspr_handshake_ms "$port")
    during+=("$ms")
    [ "$ms" -lt "$limit" ] || ocspr_fail "a handshake took $ms ms while the module waited for the responder (limit $limit)"
    engine_handshake "$port" || ocspr_fail "handshake failed"
    if [ "$ENGINE_LAST_STATUS" = good ]; then
        appeared=$SECONDS
        break
    fi
    ocspr_assert_eq none "$ENGINE_LAST_STATUS" "staple while the responder is slow" >/dev/null
    sleep 1
done
[ -n "$appeared" ] || ocspr_fail "no staple 120 s after start with a ${DELAY_S}s responder"
echo "handshake ms while waiting: ${#during[@]} handshakes, median $(median "${during[@]}"), max $(printf '%s\n' "${during[@]}" | sort -n | tail -n 1)"
engine_assert_good "$port" "staple after the background fetch"
echo "staple appeared about $(( ($(date +%s%3N) - start) / 1000 )) s after start"
ocspr_assert_eq 1 "$(engine_log_count 'OCSPR0201: good OCSP response')" "responses fetched"
ocspr_stop_httpd
# The startup attempt times out: exactly that warning is expected.
ocspr_check_error_log 'OCSPR0202: OCSP fetch for CN=good\.test.* failed \(timeout'
ocspr_stop_front
