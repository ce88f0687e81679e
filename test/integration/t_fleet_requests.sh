#!/usr/bin/env bash
# One fetch per fleet (issue 11): three Apache hosts share one memcached and
# staple two certificates (RSA and ECDSA) whose responses are valid for
# FLEET_NMIN minutes (default 1); one more host, alone (its own shmcb, no
# exchange), staples the same certificates from a second responder front, at
# the same time, as the baseline. Over FLEET_PERIODS validity periods
# (default 3) the fleet's responder requests per certificate per period must
# stay close to the lone host's (refresh at 50% of the period: about two),
# and fail above 1.5 times it; every host staples a valid good response all
# along. Without coordination three hosts asked 5.7 times per period.
set -euo pipefail
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/fleet-lib.sh"
ocspr_t_init fleet_requests

NMIN=${FLEET_NMIN:-1}
PERIODS=${FLEET_PERIODS:-3}
HOSTS=(a b c)
LEAVES=(good good-ec)
PERIOD_S=$((NMIN * 60))
RUN_S=$((PERIODS * PERIOD_S))

engine_pki_and_front --nmin "$NMIN"
fleet_front=$ENGINE_FRONT_PORT
solo_front=$(ocspr_free_port)
ocspr_start_front "$ENGINE_PKI" "$solo_front" --nmin "$NMIN"
ocspr_use_front "$fleet_front"
fleet_start_backend memcache

# vhost_pieces PORT...: one vhost per certificate of LEAVES.
vhost_pieces()
{
    local i=0 port
    for port in "$@"; do
        engine_vhost "$port" "${LEAVES[$i]}"
        i=$((i + 1))
    done
}

declare -A http_of=() ports_of=()
all_ports=()
for h in "${HOSTS[@]}"; do
    http_of[$h]=$(ocspr_free_port)
    ports_of[$h]="$(ocspr_free_port) $(ocspr_free_port)"
    read -ra ports <<<"${ports_of[$h]}"
    fleet_host_conf "host-$h" "${http_of[$h]}" memcache "OCSPRefreshWindow 50" \
        "$(vhost_pieces "${ports[@]}")"
    all_ports+=("${ports[@]}")
done
# The lone host: the same policy, no exchange, its own responder front.
engine_instance solo
ports_of[solo]="$(ocspr_free_port) $(ocspr_free_port)"
read -ra ports <<<"${ports_of[solo]}"
ocspr_write_httpd_conf "$ENGINE_DIR/httpd.conf" --dir "$ENGINE_DIR" \
    --listen "${ports[0]}" --listen "${ports[1]}" -- \
    "$(engine_globals "OCSPRefreshWindow 50" \
        "OCSPRefreshResponder http://127.0.0.1:$solo_front/ocsp")" \
    "$(vhost_pieces "${ports[@]}")"
all_ports+=("${ports[@]}")

solo_start=$SECONDS
ocspr_start_httpd "$T/solo/httpd.conf"
fleet_start=$SECONDS
for h in "${HOSTS[@]}"; do
    ocspr_start_httpd "$T/host-$h/httpd.conf"
done

echo "-- ${RUN_S}s: $PERIODS periods of ${PERIOD_S}s, a probe of every vhost every 10 s"
probes=$T/probes
rm -f "$probes"
checks=0
while [ $((SECONDS - fleet_start)) -lt "$RUN_S" ] && [ "$checks" -lt $((RUN_S / 5)) ]; do
    checks=$((checks + 1))
    for port in "${all_ports[@]}"; do
        echo "$port $(fleet_probe "$port")" >>"$probes"
    done
    sleep 10
done
fleet_elapsed=$((SECONDS - fleet_start))
solo_elapsed=$((SECONDS - solo_start))
fleet_requests=$(ocspr_front_requests)
ocspr_use_front "$solo_front"
solo_requests=$(ocspr_front_requests)

expect=()
for h in "${HOSTS[@]}" solo; do
    read -ra ports <<<"${ports_of[$h]}"
    expect+=("${ports[0]}=${LEAVES[0]}:good" "${ports[1]}=${LEAVES[1]}:good")
done
# Requests per certificate per validity period, fleet and lone host alike.
rate() { # REQUESTS SECONDS -> requests per certificate per period, 2 decimals
    awk -v r="$1" -v s="$2" -v c="${#LEAVES[@]}" -v p="$PERIOD_S" \
        'BEGIN { printf "%.2f", r / c / (s / p) }'
}
fleet_rate=$(rate "$fleet_requests" "$fleet_elapsed")
solo_rate=$(rate "$solo_requests" "$solo_elapsed")
ratio=$(awk -v f="$fleet_rate" -v s="$solo_rate" 'BEGIN { printf "%.2f", (s > 0 ? f / s : 99) }')
echo "FIGURE fleet of ${#HOSTS[@]} hosts: $fleet_requests responder requests for ${#LEAVES[@]}" \
    "certificates in ${fleet_elapsed}s = $fleet_rate per certificate per ${PERIOD_S}s period"
echo "FIGURE one host alone: $solo_requests requests in ${solo_elapsed}s = $solo_rate per" \
    "certificate per period; fleet/alone = $ratio"
adopted=0
published=0
rejected=0
for h in "${HOSTS[@]}"; do
    a=$(fleet_exchange_field "${http_of[$h]}" adopted)
    p=$(fleet_exchange_field "${http_of[$h]}" published)
    r=$(fleet_exchange_field "${http_of[$h]}" rejected)
    echo "host $h: adopted $a, published $p, rejected $r"
    adopted=$((adopted + ${a:-0}))
    published=$((published + ${p:-0}))
    rejected=$((rejected + ${r:-0}))
done
echo "fleet totals: adopted $adopted, published $published, rejected $rejected"

read -r total crossed wrong_status none failed expired < <(fleet_judge_probes "$probes" "${expect[@]}")
echo "probes: $total handshakes, $crossed crossed, $wrong_status wrong status," \
    "$none without staple, $failed failed, $expired expired"
[ "$total" -ge $(( ${#all_ports[@]} * (RUN_S / 15) )) ] || ocspr_fail "too few probes ($total)"
ocspr_assert_eq "0 0 0 0 0" "$crossed $wrong_status $none $failed $expired" \
    "wrong, missing, failed and expired staples on every host"

# The lone host follows the policy (about 2 per period at 50%, 10% jitter).
awk -v s="$solo_rate" 'BEGIN { exit !(s >= 1.2 && s <= 3) }' \
    || ocspr_fail "the lone host made $solo_rate requests per certificate per period, expected about 2"
ocspr_pass "the lone host: $solo_rate requests per certificate per period"
awk -v f="$fleet_rate" -v s="$solo_rate" 'BEGIN { exit !(f <= 1.5 * s) }' \
    || ocspr_fail "the fleet asked $fleet_rate times per certificate per period, more than 1.5 x the lone host's $solo_rate"
ocspr_pass "the fleet asks $ratio times as often as one host (limit 1.5)"
[ "$adopted" -ge $(( ${#LEAVES[@]} * (${#HOSTS[@]} - 1) )) ] \
    || ocspr_fail "only $adopted responses adopted from the exchange by the fleet"
ocspr_assert_eq 0 "$rejected" "fleet records rejected (only genuine ones were published)"

for h in solo "${HOSTS[@]}"; do
    dir=$T/host-$h
    [ "$h" = solo ] && dir=$T/solo
    ocspr_stop_httpd "$dir/httpd.conf"
    OCSPR_HTTPD_ERRORLOG=$dir/error.log OCSPR_HTTPD_CONF=$dir/httpd.conf ocspr_check_error_log
done
