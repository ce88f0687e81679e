#!/usr/bin/env bash
# A fleet exchange outage changes nothing for handshakes (issue 11). Two
# hosts share one memcached; responses are valid 2 minutes (refreshed after
# 60-72 s), so each host's leader has a due certificate while memcached is
# down. memcached is killed (SIGKILL) for OUTAGE_S seconds (default 60) while
# both hosts are probed with handshakes all along:
#   - every handshake staples a valid good response;
#   - the responder sees no request beyond the normal schedule (each host
#     refreshes at most once per 60 s: the old module turned every leader
#     check into a fetch);
#   - each host refreshed during the outage (a failed exchange read does not
#     stop a due fetch), and the status page shows the exchange's errors;
#   - without a restart, once memcached is back: a "refresh now" on host A
#     fetches and publishes again (the key reappears), and host B adopts A's
#     response from the exchange (by itself, or on "refresh now") without a
#     responder request.
set -euo pipefail
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/fleet-lib.sh"
ocspr_t_init fleet_outage

OUTAGE_S=${FLEET_OUTAGE_S:-60}
REFRESH_MIN_S=60            # 50% of a 2-minute validity period

engine_pki_and_front --nmin 2
fleet_start_backend memcache
ID=$(fleet_cert_id good)
declare -A http_of=() port_of=() pid_of=()
for h in a b; do
    http_of[$h]=$(ocspr_free_port)
    port_of[$h]=$(ocspr_free_port)
    fleet_host_conf "host-$h" "${http_of[$h]}" memcache "$(engine_vhost "${port_of[$h]}" good)"
done
ocspr_start_httpd "$T/host-a/httpd.conf"
pid_of[a]=$OCSPR_HTTPD_PID
fleet_wait_key memcache good 20 >/dev/null
ocspr_start_httpd "$T/host-b/httpd.conf"
pid_of[b]=$OCSPR_HTTPD_PID
ocspr_assert_eq fleet "$(fleet_cert_field "${http_of[b]}" "$ID" source)" \
    "host B, started after A, holds A's response"

probes=$T/probes
rm -f "$probes" "$probes.stop"
fleet_probe_loop "$probes" 2000 0.2 "${port_of[a]}" "${port_of[b]}" &
loop=$!
sleep 3
# The outage lasts OUTAGE_S, and at least until 5 s past the first due time
# of either host, so that a leader has to refresh while memcached is down.
first_due=$(for h in a b; do fleet_cert_field "${http_of[$h]}" "$ID" next_refresh_epoch; done \
    | sort -n | head -n 1)
outage_for=$(( first_due + 5 - $(date +%s) ))
[ "$outage_for" -ge "$OUTAGE_S" ] || outage_for=$OUTAGE_S
echo "-- memcached killed for ${outage_for}s (first refresh due in $(( first_due - $(date +%s) ))s)"
fleet_kill_backend memcache
down_at=$SECONDS
down_requests=$(ocspr_front_requests)
down_probes=$(wc -l < "$probes")
declare -A fetches_before=() published_before=()
for h in a b; do
    fetches_before[$h]=$(fleet_cert_field "${http_of[$h]}" "$ID" fetch_attempts)
    published_before[$h]=$(fleet_cert_field "${http_of[$h]}" "$ID" fleet_published)
done
sleep "$outage_for"
outage_s=$((SECONDS - down_at))
outage_requests=$(( $(ocspr_front_requests) - down_requests ))
outage_probes=$(( $(wc -l < "$probes") - down_probes ))
declare -A published_during=()
for h in a b; do
    published_during[$h]=$(( $(fleet_cert_field "${http_of[$h]}" "$ID" fleet_published) \
        - ${published_before[$h]} ))
    echo "host $h during the outage: fetch attempts ${fetches_before[$h]} ->" \
        "$(fleet_cert_field "${http_of[$h]}" "$ID" fetch_attempts)," \
        "published ${published_during[$h]}," \
        "exchange errors $(fleet_exchange_field "${http_of[$h]}" errors)," \
        "healthy $(fleet_exchange_field "${http_of[$h]}" healthy)," \
        "last error: $(fleet_exchange_field "${http_of[$h]}" last_error)"
done
healthy_a=$(fleet_exchange_field "${http_of[a]}" healthy)
errors_a=$(fleet_exchange_field "${http_of[a]}" errors)

echo "-- memcached back (empty) on the same port"
fleet_start_backend memcache "${FLEET_PORT[memcache]}"
up_at=$SECONDS
sleep 6     # apr_memcache retries a dead server after 5 s
requests=$(ocspr_front_requests)
sleep 1
fleet_refresh_now "${http_of[a]}" "$ID"
fleet_wait_key memcache good 20 >/dev/null
ocspr_pass "the exchange holds a response again after the outage, without a restart"
# The hosts converge on the newest response through the exchange: whichever
# holds it offers it (a pass offers what the host serves to an exchange that
# lacks it) and the other adopts it; A's refresh may itself adopt B's newer
# response rather than ask the responder.
converged() {
    local ta tb
    ta=$(fleet_cert_field "${http_of[a]}" "$ID" this_update_epoch)
    tb=$(fleet_cert_field "${http_of[b]}" "$ID" this_update_epoch)
    [ -n "$ta" ] && [ "$ta" = "$tb" ] \
        && [ "$(fleet_cert_field "${http_of[a]}" "$ID" source)$(fleet_cert_field "${http_of[b]}" "$ID" source)" != networknetwork ]
}
ocspr_wait_until 30 converged \
    || ocspr_fail "hosts A and B did not converge through the exchange after the outage" \
        "(A: $(fleet_cert_field "${http_of[a]}" "$ID" this_update_epoch)" \
        "$(fleet_cert_field "${http_of[a]}" "$ID" source), B:" \
        "$(fleet_cert_field "${http_of[b]}" "$ID" this_update_epoch)" \
        "$(fleet_cert_field "${http_of[b]}" "$ID" source))"
ocspr_pass "hosts A and B hold the same response, one of them adopted from the exchange"
after=$(( $(ocspr_front_requests) - requests ))
[ "$after" -le 1 ] || ocspr_fail "$after responder requests after the outage for one refresh"
ocspr_pass "$after responder request(s) after the outage for A's refresh"
ocspr_assert_eq True "$(fleet_exchange_field "${http_of[b]}" healthy)" \
    "host B's status page: exchange healthy again"
sleep 3
touch "$probes.stop"
wait "$loop"

read -r total crossed wrong_status none failed expired \
    < <(fleet_judge_probes "$probes" "${port_of[a]}=good:good" "${port_of[b]}=good:good")
echo "FIGURE outage: $outage_probes handshakes in ${outage_s}s without memcached;" \
    "all probes $total: $none without staple, $failed failed, $expired expired, $crossed wrong"
echo "FIGURE outage: $outage_requests responder requests from 2 hosts in ${outage_s}s"
ocspr_assert_eq "0 0 0 0 0" "$crossed $wrong_status $none $failed $expired" \
    "handshakes before, during and after the outage: wrong, missing, failed, expired staples"
[ "$outage_probes" -ge $((OUTAGE_S * 2)) ] || ocspr_fail "too few handshakes during the outage ($outage_probes)"
limit=$(( 2 * (outage_s / REFRESH_MIN_S + 1) ))
[ "$outage_requests" -le "$limit" ] \
    || ocspr_fail "$outage_requests responder requests during the ${outage_s}s outage, the schedule allows $limit"
ocspr_pass "$outage_requests responder requests during the outage (schedule: at most $limit)"
[ "$outage_requests" -ge 1 ] || ocspr_fail "no host refreshed its due certificate while memcached was down"
for h in a b; do
    ocspr_assert_eq 0 "${published_during[$h]}" "host $h: responses counted as published while memcached was down"
done
ocspr_assert_eq False "$healthy_a" "host A's status page during the outage: exchange healthy"
[ "${errors_a:-0}" -ge 1 ] || ocspr_fail "host A's status page counted no exchange errors during the outage"
# Not restarted: each parent kept its PID, and logged one generation.
for h in a b; do
    ocspr_assert_eq "${pid_of[$h]}" "$(cat "$T/host-$h/httpd.pid")" "host $h: parent PID"
    ocspr_stop_httpd "$T/host-$h/httpd.conf"
done
for h in a b; do
    ocspr_assert_eq 1 "$(grep -c 'resuming normal operations' "$T/host-$h/error.log")" \
        "host $h: generations"
    # mod_socache_memcache's own complaints while memcached was down, and ours.
    OCSPR_HTTPD_ERRORLOG=$T/host-$h/error.log OCSPR_HTTPD_CONF=$T/host-$h/httpd.conf \
        ocspr_check_error_log \
        'AH0079[01]|scache_mc|OCSPR030[5-9]: .*(memcache|exchange|fleet)'
done
echo "memcached was down ${outage_s}s, back for $((SECONDS - up_at))s before the end"
