#!/usr/bin/env bash
# Scenario 7: the refreshing child (the leader, named by its OCSPR0107 line)
# is killed with SIGKILL: another child takes over within one
# OCSPRefreshCheckInterval (a new OCSPR0107 line with another PID) and the
# refreshes go on (the responder sees new requests, the new leader logs
# OCSPR0201). Done twice, so a leader that itself took over is replaced too.
set -euo pipefail
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"
ocspr_t_init engine_leader_takeover

INTERVAL=3
# Responses valid 2 minutes, refreshed after 5% of that (6 s plus up to 12 s
# of jitter): refreshes are frequent enough to watch.
engine_pki_and_front --nmin 2
engine_instance leader
port=$(ocspr_free_port)
ocspr_write_httpd_conf "$ENGINE_DIR/httpd.conf" --dir "$ENGINE_DIR" --listen "$port" -- \
    "$(engine_globals "OCSPRefreshCheckInterval $INTERVAL" "OCSPRefreshWindow 5")" \
    "$(engine_vhost "$port" good)"
ocspr_start_httpd "$ENGINE_DIR/httpd.conf"
engine_assert_good "$port" "staple after start"

leader_count() { engine_leader_pids | wc -l; }
# Predicates for ocspr_wait_until, which re-runs a command (not an expansion).
more_leader_lines() { [ "$(leader_count)" -gt "$1" ]; }
fetched_by() { grep -qE "\[pid $1:.*OCSPR0201: good" "$OCSPR_HTTPD_ERRORLOG"; }
ocspr_wait_until 10 more_leader_lines 0 || ocspr_fail "no OCSPR0107 leader line"

for round in 1 2; do
    leader=$(engine_leader_pids | tail -n 1)
    ocspr__pid_alive "$leader" || ocspr_fail "leader $leader of the last OCSPR0107 line is not alive"
    ocspr_assert_eq "$OCSPR_HTTPD_PID" "$(ps -o ppid= -p "$leader" | tr -d ' ')" \
        "parent of leader $leader"
    lines=$(leader_count)
    requests=$(ocspr_front_requests)
    kill -KILL "$leader"
    killed_ms=$(date +%s%3N)
    echo "round $round: SIGKILL to leader $leader"
    # Polls every 0.2 s: one interval plus polling and scheduling slack.
    if ! ocspr_wait_until $((INTERVAL * 3)) more_leader_lines "$lines"; then
        ocspr_fail "no new leader $((INTERVAL * 3)) s after killing $leader"
    fi
    took_ms=$(( $(date +%s%3N) - killed_ms ))
    new=$(engine_leader_pids | tail -n 1)
    echo "round $round: child $new took over after $took_ms ms (check interval ${INTERVAL}s)"
    [ "$new" != "$leader" ] || ocspr_fail "the new OCSPR0107 line names the killed child $leader"
    [ "$took_ms" -le $(( INTERVAL * 1000 + 1000 )) ] \
        || ocspr_fail "takeover took $took_ms ms, more than one check interval (${INTERVAL}s) + 1 s"
    ocspr_pass "round $round: leader $leader replaced by $new within one check interval"

    # The refreshes go on, from the new leader.
    ocspr_wait_until 45 fetched_by "$new" \
        || ocspr_fail "new leader $new fetched nothing within 45 s"
    [ "$(ocspr_front_requests)" -gt "$requests" ] || ocspr_fail "the responder saw no new request"
    ocspr_pass "round $round: leader $new refreshed (responder requests $requests -> $(ocspr_front_requests))"
    engine_assert_good "$port" "staple after round $round"
done

ocspr_stop_httpd
ocspr_check_error_log
ocspr_stop_front
