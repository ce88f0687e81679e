#!/usr/bin/env bash
# OCSPRefreshStartupTimeout is a hard deadline for the startup prefetch,
# which runs in a helper process (the server's user) that the parent kills
# when the time is up. The time bounded is from the moment the helper is
# first seen (a child of httpd before its PID file exists) to the first
# HTTPS answer: reading the configuration (two passes over 50 certificates)
# comes before it and varies with the machine's load. Without a helper, it
# is the whole time from the start command. For scale, the same 50 vhosts
# with OCSPRefresh Off are started first (a figure, not a bound).
#   1. 50 certificates, responder blackholed (each fetch would hang for
#      LC_REFRESH_TIMEOUT s): answered within timeout + 1 s.
#   2. A fetch stuck where no timeout reaches it (name resolution): the
#      test-only hook OCSPR_TEST_HELPER_HANG=1 in httpd's environment makes
#      the startup helper sleep forever before it fetches (the module honours
#      it only when set; nothing else reads it). Responder healthy, HANG_CERTS
#      certificates (50 fetched at once by the leader as the children start
#      would be 50 `openssl ocsp` runs competing with the first handshake):
#      answered within timeout + 1 s, the helper is gone, and no request
#      reached the responder before the parent stopped it (the hook was honoured:
#      otherwise this run would test nothing).
set -euo pipefail
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/lifecycle-lib.sh"
ocspr_t_init lifecycle_startup_deadline

STARTUP_TIMEOUT=3
CERTS=50
HANG_CERTS=5
MPM=${LC_MPM:-event}

engine_pki_and_front
lc_make_leaves "$ENGINE_PKI" "$CERTS"

# start_many NAME on|off [N]: a fresh instance with N (default $CERTS) SNI
# vhosts (leaf1 first, the default), started with lc_start_httpd_timed.
start_many()
{
    local name=$1 stapling=$2 n=${3:-$CERTS} port i
    local -a vhosts=() extra=()
    engine_instance "$name"
    port=$(ocspr_free_port)
    [ "$stapling" = on ] && extra=("OCSPRefresh On")
    for i in $(seq "$n"); do
        vhosts+=("$(ocspr_vhost "$port" "$ENGINE_PKI/leaf$i.chain.pem" "$ENGINE_PKI/leaf$i.key" \
            "ServerName leaf$i.test" "${extra[@]+"${extra[@]}"}")")
    done
    lc_conf "$MPM" "$port" "OCSPRefreshStartupTimeout $STARTUP_TIMEOUT" "${vhosts[@]}"
    lc_start_httpd_timed "$ENGINE_DIR/httpd.conf"
    PORT=$port
}

# helpers_gone: every helper process seen at startup has exited.
helpers_gone()
{
    local pid
    for pid in "${LC_HELPER_PIDS[@]+"${LC_HELPER_PIDS[@]}"}"; do
        ocspr__gone "$pid" || return 1
    done
}

# log_epoch_ms LINE: the time of an error log line, ms since the epoch.
log_epoch_ms()
{
    date -d "$(sed -E 's/^\[[A-Za-z]+ ([^]]*) ([0-9]{4})\].*/\1 \2/' <<<"$1")" +%s%3N
}

# front_requests_before MS: OCSP requests the front received before MS.
front_requests_before()
{
    local n=0 when fault
    while IFS=$'\t' read -r when _ _ _ _ fault; do
        [ "$fault" = - ] && continue
        [ "$(date -d "$when" +%s%3N)" -lt "$1" ] && n=$((n + 1))
    done < "$OCSPR_FRONT_LOG"
    echo "$n"
}

# prefetch_ms: ms from the helper's first sighting (else from the start
# command) to the first answer, of the last lc_start_httpd_timed.
prefetch_ms()
{
    echo $((LC_START_MS - ${LC_HELPER_SEEN_MS:-0}))
}

# since_what: what prefetch_ms counts from.
since_what()
{
    if [ -n "$LC_HELPER_SEEN_MS" ]; then
        echo "the startup helper was first seen"
    else
        echo "the start command (no startup helper was seen)"
    fi
}

limit=$(((STARTUP_TIMEOUT + 1) * 1000))
echo "-- 0. for scale: the same vhosts with OCSPRefresh Off"
start_many baseline off
baseline=$LC_START_MS
echo "figure: start to first HTTPS answer, $CERTS vhosts, OCSPRefresh Off: ${baseline} ms"
ocspr_stop_httpd

echo "-- 1. $CERTS certificates, responder blackholed"
ocspr_front_control '{"fault": "blackhole"}'
start_many blackhole on
took=$(prefetch_ms)
echo "figure: $CERTS certificates, responder blackholed, OCSPRefreshStartupTimeout $STARTUP_TIMEOUT:" \
    "helper seen ${LC_HELPER_SEEN_MS:-never} ms after the start command, first HTTPS answer" \
    "${LC_START_MS} ms after it: ${took} ms of prefetch (baseline start ${baseline} ms)"
[ "$took" -le "$limit" ] \
    || ocspr_fail "the server answered ${took} ms after $(since_what) (limit ${limit} ms)"
ocspr_pass "answered within ${limit} ms of the prefetch's start"
ocspr_wait_until 5 helpers_gone || ocspr_fail "the startup helper (${LC_HELPER_PIDS[*]-}) is still running"
ocspr_stop_httpd
ocspr_check_error_log 'OCSPR0106: |OCSPR0202: '

echo "-- 2. the startup helper hangs (OCSPR_TEST_HELPER_HANG=1), responder healthy"
ocspr_front_control '{"fault": "none"}'
: > "$OCSPR_FRONT_LOG"
OCSPR_TEST_HELPER_HANG=1 start_many hang on "$HANG_CERTS"
took=$(prefetch_ms)
echo "figure: hung startup helper, $HANG_CERTS certificates, OCSPRefreshStartupTimeout $STARTUP_TIMEOUT:" \
    "helper seen ${LC_HELPER_SEEN_MS:-never} ms after the start command, first HTTPS answer" \
    "${LC_START_MS} ms after it: ${took} ms of prefetch (baseline start ${baseline} ms)"
[ "$took" -le "$limit" ] \
    || ocspr_fail "with a hung helper the server answered ${took} ms after $(since_what) (limit ${limit} ms)"
ocspr_pass "answered within ${limit} ms of the prefetch's start"
# The parent logs OCSPR0106 once it has killed the helper, before it forks
# the children: a request before that line can only be the helper's. (Not
# "resuming normal operations": the MPM writes it after forking the
# children, whose leader may have fetched by then.)
stopped=$(grep 'OCSPR0106: ' "$OCSPR_HTTPD_ERRORLOG" | tail -n 1)
[ -n "$stopped" ] || ocspr_fail "no OCSPR0106 line: the parent did not report stopping the hung helper"
early=$(front_requests_before "$(log_epoch_ms "$stopped")")
ocspr_assert_eq 0 "$early" "OCSP requests before the hung helper was stopped (it fetched nothing)"
[ "${#LC_HELPER_PIDS[@]}" -ge 1 ] || ocspr_fail "no startup helper process was seen (a child of httpd before it wrote its PID file)"
ocspr_wait_until 5 helpers_gone || ocspr_fail "the hung startup helper (${LC_HELPER_PIDS[*]}) is still running"
ocspr_pass "the startup helper (${LC_HELPER_PIDS[*]}) is gone"
# What the helper did not fetch, the leader fetches.
ocspr_wait_staple_status good "$PORT" leaf1.test 30 >/dev/null || ocspr_fail "leaf1 was never stapled after the hung start"
ocspr_pass "leaf1 stapled by the leader after the hung start"
ocspr_stop_httpd
ocspr_check_error_log 'OCSPR0106: '
