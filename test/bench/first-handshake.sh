#!/usr/bin/env bash
# Benchmark, run by hand (see test/bench/README.md):
#
#   test/bench/first-handshake.sh [--module SO] [--rounds N] [--delay S]
#                                 [--minutes M] [--nmin V] [--skip-first|--skip-rate]
#
# 1. First-handshake latency with a slow responder (answers after --delay s,
#    default 3): for each mode, --rounds (default 3) fresh servers (empty
#    caches, empty store), timing the server's start, the first handshake
#    that asks for a status and the next one; printed in ms and as a ratio
#    to the no-stapling baseline of the same run:
#      baseline     no stapling at all
#      mod_ssl      SSLUseStapling On (fetches inside the first handshake)
#      ocspr        mod_ocsp_refresh, default OCSPRefreshStartupTimeout (5 s)
#      ocspr-st1    mod_ocsp_refresh, OCSPRefreshStartupTimeout 1
# 2. Responder requests per certificate per refresh window: three
#    certificates whose responses are valid --nmin minutes (default 2),
#    OCSPRefreshWindow 50, a steady handshake load, for --minutes (default 3).
#
# Same PKI, same responder front, same machine for every figure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
OCSPR_TEST_SRCDIR=${OCSPR_TEST_SRCDIR:-$(cd "$here/.." && pwd)}
OCSPR_MODULE_SO=${OCSPR_MODULE_SO:-$OCSPR_TEST_SRCDIR/../build/mod_ocsp_refresh.so}
rounds=3
delay=3
minutes=3
nmin=2
run_first=yes
run_rate=yes
while [ $# -gt 0 ]; do
    case $1 in
        --module) OCSPR_MODULE_SO=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --delay) delay=$2; shift 2 ;;
        --minutes) minutes=$2; shift 2 ;;
        --nmin) nmin=$2; shift 2 ;;
        --skip-first) run_first=no; shift ;;
        --skip-rate) run_rate=no; shift ;;
        *) echo "usage: $0 [--module SO] [--rounds N] [--delay S] [--minutes M] [--nmin V]" \
               "[--skip-first|--skip-rate]" >&2; exit 2 ;;
    esac
done
export OCSPR_TEST_SRCDIR OCSPR_MODULE_SO
. "$OCSPR_TEST_SRCDIR/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"
[ -f "$OCSPR_MODULE_SO" ] || { echo "module $OCSPR_MODULE_SO not found (--module)" >&2; exit 2; }
ocspr_t_init bench_first_handshake
echo "module $OCSPR_MODULE_SO, $(nproc) CPUs, $(openssl version)"

engine_pki_and_front

now_ms() { date +%s%3N; }

# One fresh server of MODE on PORT in instance dir ROUND; sets M_START_MS,
# M_FIRST_MS, M_FIRST (staple status), M_SECOND_MS, M_SECOND. Runs in the
# main shell so that the EXIT trap stops whatever it started.
measure_mode()
{
    local mode=$1 port=$2 round=$3 t0
    local -a opts=() pieces=()
    engine_instance "$mode-$round"
    case $mode in
        baseline)
            opts=(--no-module)
            pieces=("$(ocspr_vhost "$port" "$ENGINE_PKI/good.chain.pem" "$ENGINE_PKI/good.key")") ;;
        mod_ssl)
            opts=(--no-module)
            pieces=("SSLStaplingCache \"shmcb:$ENGINE_DIR/run/stapling(128000)\""
                "$(ocspr_vhost "$port" "$ENGINE_PKI/good.chain.pem" "$ENGINE_PKI/good.key" \
                    "SSLUseStapling On" "SSLStaplingResponderTimeout 10" \
                    "SSLStaplingReturnResponderErrors Off")") ;;
        ocspr)
            pieces=("OCSPRefreshStore \"$ENGINE_STORE\"" "$(engine_vhost "$port" good)") ;;
        ocspr-st1)
            pieces=("OCSPRefreshStore \"$ENGINE_STORE\"" "OCSPRefreshStartupTimeout 1"
                "$(engine_vhost "$port" good)") ;;
    esac
    ocspr_write_httpd_conf "$ENGINE_DIR/httpd.conf" --dir "$ENGINE_DIR" --listen "$port" \
        "${opts[@]+"${opts[@]}"}" -- "${pieces[@]}"
    t0=$(now_ms)
    ocspr_start_httpd "$ENGINE_DIR/httpd.conf" >/dev/null
    M_START_MS=$(( $(now_ms) - t0 ))
    engine_handshake "$port" >/dev/null || true
    M_FIRST_MS=$(( $(now_ms) - ENGINE_LAST_START_MS ))
    M_FIRST=$ENGINE_LAST_STATUS
    engine_handshake "$port" >/dev/null || true
    M_SECOND_MS=$(( $(now_ms) - ENGINE_LAST_START_MS ))
    M_SECOND=$ENGINE_LAST_STATUS
    ocspr_stop_httpd
}

median()
{
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

ratio()
{
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }'
}

if [ "$run_first" = yes ]; then
    echo
    echo "== 1. first handshake, responder answering after ${delay}s ($rounds rounds per mode)"
    ocspr_front_control "{\"fault\": \"delay\", \"delay\": $delay}"
    modes=(baseline mod_ssl ocspr ocspr-st1)
    declare -A starts=() firsts=() seconds_=() staples=()
    for round in $(seq "$rounds"); do
        for mode in "${modes[@]}"; do
            port=$(ocspr_free_port)
            measure_mode "$mode" "$port" "$round"
            starts[$mode]+=" $M_START_MS"
            firsts[$mode]+=" $M_FIRST_MS"
            seconds_[$mode]+=" $M_SECOND_MS"
            staples[$mode]+=" $M_FIRST/$M_SECOND"
        done
    done
    # shellcheck disable=SC2086
    base_first=$(median ${firsts[baseline]})
    # shellcheck disable=SC2086
    base_second=$(median ${seconds_[baseline]})
    printf '%-10s %10s %12s %8s %12s %8s   %s\n' mode "start ms" "1st hs ms" ratio "2nd hs ms" \
        ratio "staple 1st/2nd per round"
    for mode in "${modes[@]}"; do
        # shellcheck disable=SC2086
        s=$(median ${starts[$mode]})
        # shellcheck disable=SC2086
        f=$(median ${firsts[$mode]})
        # shellcheck disable=SC2086
        n=$(median ${seconds_[$mode]})
        printf '%-10s %10s %12s %8s %12s %8s  %s\n' "$mode" "$s" "$f" "$(ratio "$f" "$base_first")" \
            "$n" "$(ratio "$n" "$base_second")" "${staples[$mode]}"
    done
    echo "(medians; 'start ms' is -k start until every port serves, polled every 0.2 s;"
    echo " handshake times include starting openssl s_client, as the baseline does)"
    ocspr_front_control '{"fault": "none"}'
fi

if [ "$run_rate" = yes ]; then
    echo
    echo "== 2. responder requests per certificate, responses valid ${nmin} min, window 50%, ${minutes} min"
    ocspr_stop_front
    rate_front=$ENGINE_FRONT_PORT
    ocspr_start_front "$ENGINE_PKI" "$rate_front" --nmin "$nmin" >/dev/null
    engine_instance rate
    leaves=(good good-ec mustaple)
    pieces=("OCSPRefreshStore \"$ENGINE_STORE\"" "OCSPRefreshWindow 50")
    ports=()
    for leaf in "${leaves[@]}"; do
        port=$(ocspr_free_port)
        ports+=("$port")
        pieces+=("$(engine_vhost "$port" "$leaf")")
    done
    listen=()
    for port in "${ports[@]}"; do listen+=(--listen "$port"); done
    ocspr_write_httpd_conf "$ENGINE_DIR/httpd.conf" --dir "$ENGINE_DIR" "${listen[@]}" -- "${pieces[@]}"
    ocspr_start_httpd "$ENGINE_DIR/httpd.conf" >/dev/null
    t0=$SECONDS
    handshakes=0
    unstapled=0
    while [ $((SECONDS - t0)) -lt $((minutes * 60)) ]; do
        for port in "${ports[@]}"; do
            engine_handshake "$port" >/dev/null || true
            handshakes=$((handshakes + 1))
            [ "$ENGINE_LAST_STATUS" = good ] || unstapled=$((unstapled + 1))
        done
        sleep 0.5
    done
    elapsed=$((SECONDS - t0))
    requests=$(ocspr_front_requests)
    ocspr_stop_httpd
    window_s=$((nmin * 60 / 2))
    awk -v r="$requests" -v c="${#leaves[@]}" -v e="$elapsed" -v w="$window_s" -v h="$handshakes" \
        -v u="$unstapled" 'BEGIN {
        printf "certificates %d, %d s, %d handshakes (%d without a good staple), %d responder requests\n", c, e, h, u, r
        printf "requests per certificate: %.2f (1 at startup + %.2f refreshes)\n", r / c, r / c - 1
        printf "refresh windows elapsed per certificate (%d s each): %.2f\n", w, e / w
        printf "requests per certificate per window: %.2f (long runs: about 0.9, as each refresh\n", (r / c) / (e / w)
        printf "  comes 50-60%% into its response'"'"'s validity: window plus up to 10%% jitter)\n"
        printf "requests per handshake: %.4f\n", r / h
    }'
fi
