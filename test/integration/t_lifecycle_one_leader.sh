#!/usr/bin/env bash
# After a graceful restart only the new generation's leader contacts the
# responder. The responder is blackholed and both certificates are due, so
# every request holds its connection open and `ss -p` names the process
# behind it at each sample: the old generation's leader (stuck in a fetch
# when SIGUSR1 comes) must drop its connection at once (it steps down and
# abandons the fetch) and open no new one, the parent must open none, and
# one child of the new generation must contact the responder right away:
# both certificates are due before the restart whatever jitter the new
# generation's schedule draws (lc_wait_surely_due), so within
# FIRST_CONTACT_MS, not at some later tick.
set -euo pipefail
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/lifecycle-lib.sh"
ocspr_t_init lifecycle_one_leader

WATCH_S=10           # seconds sampled after SIGUSR1
STEP_DOWN_MS=1500    # an old leader still connected after this is a second leader
FIRST_CONTACT_MS=3000   # "at once", with room for a loaded machine
MPM=${LC_MPM:-event}

engine_pki_and_front --nmin 2
engine_instance one-leader
port=$(ocspr_free_port)
ec_port=$(ocspr_free_port)
lc_conf "$MPM" "$port" "Listen 127.0.0.1:$ec_port" "$(engine_vhost "$port" good)" "$(engine_vhost "$ec_port" good-ec)"
ocspr_start_httpd "$ENGINE_DIR/httpd.conf"
engine_assert_good "$port" "warm-up staple"
this=$(engine_staple_field 'This Update')
engine_assert_good "$ec_port" "warm-up staple (good-ec)"
this_ec=$(engine_staple_field 'This Update')

ocspr_front_control '{"fault": "blackhole"}'
old_leader=$(lc_wait_front_client 30) || ocspr_fail "the leader never tried the blackholed responder"
parent=$(lc_parent)
old_children=" $(lc_children "$parent" | tr '\n' ' ') "
[[ $old_children == *" $old_leader "* ]] \
    || ocspr_fail "the process connected to the responder ($old_leader) is not a child of httpd ($old_children)"
ocspr_pass "old generation: children$old_children; leader $old_leader is in a fetch"
for when in "$this" "$this_ec"; do
    lc_wait_surely_due "$when" || ocspr_fail "the certificate of $when never came due"
done
ocspr_pass "both certificates are due under any jitter (This Update $this, $this_ec)"
requests_before=$(ocspr_front_requests)
held_before=" $(lc_front_clients | awk '{ print $2 }' | tr '\n' ' ') "

# Every connection seen after the signal, as "ms pid localport generation".
samples=$T/connections.txt
: > "$samples"
start=$(lc_now_ms)
kill -USR1 "$parent"
while [ $(($(lc_now_ms) - start)) -lt $((WATCH_S * 1000)) ]; do
    now=$(($(lc_now_ms) - start))
    lc_front_clients | while read -r pid lport; do
        if [ "$pid" = "$parent" ]; then
            gen=parent
        elif [[ $old_children == *" $pid "* ]]; then
            gen=old
        else
            gen=new
        fi
        echo "$now $pid $lport $gen"
    done >> "$samples"
    sleep 0.2
done

echo "connections to the responder after SIGUSR1 (first and last sample of each):"
awk '{ k = $2 " " $3 " " $4; if (!(k in first)) { first[k] = $1; order[n++] = k } last[k] = $1 }
     END { for (i = 0; i < n; i++) printf "  %s: %s .. %s ms\n", order[i], first[order[i]], last[order[i]] }' "$samples"
old_late=$(awk -v lim="$STEP_DOWN_MS" '$4 == "old" && $1 > lim' "$samples" | head -n 1)
old_conns=$(awk -v held="$held_before" '$4 == "old" && index(held, " " $3 " ") == 0 { print $3 }' \
    "$samples" | sort -u | wc -l)
parent_conns=$(awk '$4 == "parent" { print $3 }' "$samples" | sort -u | wc -l)
new_pids=$(awk '$4 == "new" { print $2 }' "$samples" | sort -u)
first_contact=$(awk '$4 == "new" { print $1; exit }' "$samples")
echo "figure: first contact by the new generation ${first_contact:-never} ms after SIGUSR1;" \
    "connections opened after SIGUSR1 by the old generation: $old_conns, by the parent: $parent_conns;" \
    "new-generation processes contacting the responder: $(echo "$new_pids" | grep -c . || true);" \
    "front requests during the watch: $(( $(ocspr_front_requests) - requests_before ))"
if [ -n "$old_late" ]; then
    ocspr_fail "the old generation still talks to the responder ${STEP_DOWN_MS} ms after SIGUSR1 (ms pid port: ${old_late% old}): two leaders"
fi
ocspr_pass "the old generation's leader let go of the responder within ${STEP_DOWN_MS} ms"
[ "$old_conns" = 0 ] || ocspr_fail "the old generation opened $old_conns new connections after SIGUSR1"
[ "$parent_conns" = 0 ] \
    || ocspr_fail "the httpd parent (root) itself contacted the responder $parent_conns times during the restart"
[ -n "$new_pids" ] || ocspr_fail "no child of the new generation contacted the responder within ${WATCH_S}s although both certificates are due"
ocspr_assert_eq 1 "$(echo "$new_pids" | wc -l)" "new-generation processes contacting the responder"
[ "$first_contact" -le "$FIRST_CONTACT_MS" ] \
    || ocspr_fail "the new leader first contacted the responder ${first_contact} ms after SIGUSR1, although both certificates were due (limit ${FIRST_CONTACT_MS} ms)"
new_children=" $(lc_children "$parent" | tr '\n' ' ') "
[[ $new_children == *" $new_pids "* ]] \
    || ocspr_fail "the process that contacts the responder ($new_pids) is not a child of httpd ($new_children)"
ocspr_pass "only the new generation's leader ($new_pids) contacts the responder"
engine_assert_good "$port" "staple after the restart"
ocspr_stop_httpd
ocspr_check_error_log 'OCSPR0202: '
