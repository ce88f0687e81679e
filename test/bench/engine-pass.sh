#!/usr/bin/env bash
# Benchmark, run by hand (see test/bench/README.md):
#
#   test/bench/engine-pass.sh [--module SO] [--certs N] [--delay S]
#       [--startup-timeout S] [--cap S] [--sample K] [--before-rev REV]
#       [--skip-startup] [--skip-maintenance] [--skip-stop]
#
# The figures of issue 8, for the module given with --module (run it once
# per build to compare two builds):
# 1. A pass over --certs (default 200) certificates, one SNI vhost each on
#    one TLS port: the first half asks a responder front that answers at
#    once, the second half another front over the same PKI that answers
#    after --delay s (default 3) (OCSPRefreshResponder per vhost). httpd
#    lists virtual hosts last first, so the module meets the slow ones first:
#    a pass that fetches one certificate after another makes the fast ones
#    wait behind them. Per group: when the
#    last response was fetched (the status page's `fetched`), and when the
#    status JSON first said every certificate of the group is stapled (then
#    --sample handshakes, spread over the group, check what is stapled).
#    Two ways in:
#      startup      the startup prefetch, OCSPRefreshStartupTimeout
#                   --startup-timeout (default 60); t0 = `httpd -k start`
#      maintenance  OCSPRefreshStartupTimeout 1 with both fronts slow, so
#                   that the startup fetches nothing; the fast front answers
#                   at once from the moment the PID file appears (the parent
#                   forks the children, whose leader then runs the pass):
#                   t0 = that moment
#    Each scenario gives up --cap s (default 100) after t0.
# 2. Stop time: SIGTERM to the parent while the leader waits on a
#    blackholed responder (a due certificate, OCSPRefreshTimeout 30): time
#    until the parent's PID is gone, until every process of the server is
#    gone, and how many error log lines say httpd had to kill a child.
# 3. Lines of glue (mod_ocsp_refresh/mod_ocsp_refresh*.c) and core
#    (mod_ocsp_refresh/ocspr_*.c) at --before-rev (default 254eb69) and HEAD.
#
# Prints figures, passes or fails nothing. Every server it starts is stopped
# by PID when it exits (lib.sh's EXIT trap).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
OCSPR_TEST_SRCDIR=${OCSPR_TEST_SRCDIR:-$(cd "$here/.." && pwd)}
OCSPR_MODULE_SO=${OCSPR_MODULE_SO:-$OCSPR_TEST_SRCDIR/../build/mod_ocsp_refresh.so}
certs=200
delay=3
startup_timeout=60
cap=100
sample=20
before_rev=254eb69
run_startup=yes
run_maintenance=yes
run_stop=yes
usage="usage: $0 [--module SO] [--certs N] [--delay S] [--startup-timeout S] [--cap S]"
usage+=" [--sample K] [--before-rev REV] [--skip-startup] [--skip-maintenance] [--skip-stop]"
while [ $# -gt 0 ]; do
    case $1 in
        --module) OCSPR_MODULE_SO=$2; shift 2 ;;
        --certs) certs=$2; shift 2 ;;
        --delay) delay=$2; shift 2 ;;
        --startup-timeout) startup_timeout=$2; shift 2 ;;
        --cap) cap=$2; shift 2 ;;
        --sample) sample=$2; shift 2 ;;
        --before-rev) before_rev=$2; shift 2 ;;
        --skip-startup) run_startup=no; shift ;;
        --skip-maintenance) run_maintenance=no; shift ;;
        --skip-stop) run_stop=no; shift ;;
        *) echo "$usage" >&2; exit 2 ;;
    esac
done
for n in "$certs" "$delay" "$startup_timeout" "$cap" "$sample"; do
    [[ $n =~ ^[0-9]+$ ]] || { echo "$usage (whole numbers)" >&2; exit 2; }
done
if [ "$certs" -lt 2 ] || [ $((certs % 2)) != 0 ]; then
    echo "--certs: an even number, at least 2" >&2
    exit 2
fi
[ "$sample" -le $((certs / 2)) ] || sample=$((certs / 2))
# ocspr_start_httpd waits this long for a server (the stop scenario's).
OCSPR_START_TIMEOUT=$((startup_timeout + 30))
export OCSPR_TEST_SRCDIR OCSPR_MODULE_SO OCSPR_START_TIMEOUT
. "$OCSPR_TEST_SRCDIR/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/lifecycle-lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/scale-lib.sh"
[ -f "$OCSPR_MODULE_SO" ] || { echo "module $OCSPR_MODULE_SO not found (--module)" >&2; exit 2; }
OCSPR_MODULE_SO=$(realpath "$OCSPR_MODULE_SO")     # httpd resolves it from its ServerRoot
REPO=$(git -C "$OCSPR_TEST_SRCDIR" rev-parse --show-toplevel)
ocspr_t_init bench_engine_pass
echo "module $OCSPR_MODULE_SO, $(nproc) CPUs, $(openssl version)"

HALF=$((certs / 2))
ROWS=()                 # lines of the final table
declare -A STAPLED=() HANDSHAKES=()   # per group, of the current pass scenario
SAMPLE_GOOD=0
SAMPLE_MISSES=()

# ------------------------------------------------------------ PKI, fronts

SLOW_PORT=$(ocspr_free_port)
FAST_PORT=$(ocspr_free_port)
ENGINE_PKI=$T/pki
ocspr_make_pki "$ENGINE_PKI" "$SLOW_PORT"
started=$(lc_now_ms)
scale_make_sites "$ENGINE_PKI" "$SLOW_PORT" "$certs"
echo "made $certs leaf certificates in $(( $(lc_now_ms) - started )) ms"
ocspr_start_front "$ENGINE_PKI" "$SLOW_PORT" >/dev/null
ocspr_start_front "$ENGINE_PKI" "$FAST_PORT" >/dev/null

# front_set PORT JSON: switch the front on PORT.
front_set()
{
    ocspr_use_front "$1"
    ocspr_front_control "$2"
}

# front_requests PORT: OCSP requests the front on PORT has received.
front_requests()
{
    ocspr_use_front "$1"
    ocspr_front_requests
}

# ------------------------------------------------------------ pass scenarios

# pass_conf FILE HTTP_PORT TLS_PORT STARTUP_TIMEOUT: status page on
# HTTP_PORT, the sites as SNI vhosts on TLS_PORT, the first half (site0..)
# asking the fast front, the second half the slow one.
pass_conf()
{
    local file=$1 http_port=$2 tls_port=$3 timeout=$4 i responder
    {
        ocspr_httpd_base_conf --dir "$ENGINE_DIR" --listen "$http_port" --listen "$tls_port"
        engine_globals "OCSPRefreshStartupTimeout $timeout"
        ocspr_status_location
        for ((i = 0; i < certs; i++)); do
            responder=$SLOW_PORT
            [ "$i" -lt "$HALF" ] && responder=$FAST_PORT
            scale_site_vhost "$tls_port" "$i" "OCSPRefresh On" \
                "OCSPRefreshResponder http://127.0.0.1:$responder/ocsp"
        done
    } > "$file.tmp"
    mv -f "$file.tmp" "$file"
    chmod 644 "$file"
}

# start_httpd_watched CONF CMD...: `httpd -k start`; runs CMD as soon as the
# PID file appears (the startup prefetch is over, the children come next).
# Sets START_MS (start command), PIDFILE_MS and SERVE_MS (every port
# answers), and what ocspr_start_httpd sets, so the EXIT trap stops it.
start_httpd_watched()
{
    local conf=$1 pidfile tries
    shift
    pidfile=$(ocspr__conf_value "$conf" PidFile)
    rm -f "$pidfile"
    OCSPR_HTTPD_CONF=$conf
    OCSPR_HTTPD_ERRORLOG=$(ocspr__conf_value "$conf" ErrorLog)
    OCSPR_HTTPD_PID=
    OCSPR_HTTPD_CONFS+=("$conf")
    START_MS=$(lc_now_ms)
    "$HTTPD_BIN" -f "$conf" -k start </dev/null >"$conf.stderr" 2>&1 \
        || { cat "$conf.stderr" >&2; ocspr_fail "httpd -f $conf -k start failed"; }
    tries=$((OCSPR_START_TIMEOUT * 50))
    while [ ! -s "$pidfile" ]; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || ocspr_fail "no PID file within ${OCSPR_START_TIMEOUT}s"
        sleep 0.02
    done
    PIDFILE_MS=$(lc_now_ms)
    "$@"
    tries=$((OCSPR_START_TIMEOUT * 10))
    while ! ocspr__httpd_up "$pidfile"; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || ocspr_fail "httpd did not serve within ${OCSPR_START_TIMEOUT}s"
        sleep 0.1
    done
    SERVE_MS=$(lc_now_ms)
    OCSPR_HTTPD_PID=$(cat "$pidfile")
}

# status_poll URL GROUP T0_MS DEADLINE_MS: poll the status JSON every 0.5 s
# until every certificate of GROUP (fast: the first HALF sites, slow: the rest) is
# stapled, or DEADLINE_MS (wall clock) passes. Prints "MS STAPLED": ms after
# T0_MS at which the JSON said so ("-" at the deadline), and how many of the
# group were stapled then. A certificate is stapled when the row says so
# ("stapled", newer builds) or its state is good (older builds).
status_poll()
{
    python3 - "$@" "$HALF" <<'EOF'
import json, sys, time, urllib.request
url, group, t0_ms, deadline_ms, half = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    int(sys.argv[4]), int(sys.argv[5])

def in_group(row):
    i = int(row["vhosts"][0].split(".")[0][len("site"):])
    return (i < half) == (group == "fast")

stapled = 0
for _ in range(100000):
    try:
        with urllib.request.urlopen(url, timeout=10) as f:
            rows = [r for r in json.load(f)["certificates"] if in_group(r)]
        stapled = sum(1 for r in rows if r.get("stapled", r.get("state") == "good"))
    except (OSError, ValueError, KeyError):
        rows = []
    now_ms = time.time() * 1000
    if len(rows) == half and stapled == half:
        print("%d %d" % (now_ms - t0_ms, stapled))
        sys.exit(0)
    if now_ms >= deadline_ms:
        break
    time.sleep(0.5)
print("- %d" % stapled)
EOF
}

# fetched_summary JSON_FILE GROUP T0_MS: "LAST_S FETCHED" — seconds from T0
# to the newest `fetched` time of the group's held responses (1 s
# resolution: the page gives whole seconds), and how many hold one.
fetched_summary()
{
    python3 - "$@" "$HALF" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
group, t0_s, half = sys.argv[2], int(sys.argv[3]) / 1000.0, int(sys.argv[4])
times = []
for r in d["certificates"]:
    i = int(r["vhosts"][0].split(".")[0][len("site"):])
    if (i < half) == (group == "fast") and r.get("fetched_epoch"):
        times.append(r["fetched_epoch"])
print("%s %d" % ("%.0f" % max(0, max(times) - t0_s) if times else "-", len(times)))
EOF
}

# sample_handshakes TLS_PORT GROUP: --sample handshakes spread over GROUP;
# sets SAMPLE_GOOD (how many stapled a good response) and SAMPLE_MISSES
# (what the others got). Call it in this shell, not in $(...).
sample_handshakes()
{
    local tls_port=$1 group=$2 first k i
    SAMPLE_GOOD=0
    SAMPLE_MISSES=()
    first=0
    [ "$group" = slow ] && first=$HALF
    for k in $(scale_sample "$HALF" "$sample"); do
        i=$((first + k))
        if ! engine_handshake "$tls_port" "site$i.$SCALE_DOMAIN" 2>/dev/null; then
            SAMPLE_MISSES+=("site$i:handshake-failed")
        elif [ "$ENGINE_LAST_STATUS" = good ]; then
            SAMPLE_GOOD=$((SAMPLE_GOOD + 1))
        else
            SAMPLE_MISSES+=("site$i:$ENGINE_LAST_STATUS")
        fi
    done
}

# wait_stapled URL TLS_PORT GROUP T0_MS DEADLINE_MS: wait until the status
# JSON says every certificate of GROUP is stapled and the sample handshakes
# agree (a page may say good while nothing is served: then look again every
# 2 s). Sets STAPLED[GROUP] (ms after T0_MS of that JSON answer, ">CAP" at
# the deadline) and HANDSHAKES[GROUP].
wait_stapled()
{
    local url=$1 tls_port=$2 group=$3 t0=$4 deadline=$5 poll ms n tries=$((cap + 1))
    while :; do
        poll=$(status_poll "$url" "$group" "$t0" "$deadline")
        ms=${poll% *}
        n=${poll#* }
        sample_handshakes "$tls_port" "$group"
        [ "$ms" != - ] && [ "$SAMPLE_GOOD" = "$sample" ] && break
        tries=$((tries - 1))
        if [ "$ms" = - ] || [ "$(lc_now_ms)" -ge "$deadline" ] || [ "$tries" -le 0 ]; then
            ms=">$((cap * 1000))"
            break
        fi
        sleep 2
    done
    STAPLED[$group]=$ms
    HANDSHAKES[$group]="$SAMPLE_GOOD/$sample good"
    echo "$group: all stapled at $ms ms after t0 (status JSON: $n of $HALF);" \
        "handshakes: ${HANDSHAKES[$group]}"
    if [ "${#SAMPLE_MISSES[@]}" -gt 0 ]; then
        echo "  without a good staple: ${SAMPLE_MISSES[*]}"
    fi
}

# run_pass MODE: one pass scenario (startup or maintenance); adds a row per
# group to the table.
run_pass()
{
    local mode=$1 http_port tls_port timeout t0 deadline url group fetched last held
    local slow_before fast_before
    echo
    echo "== pass over $certs certificates: $mode (slow responder: ${delay}s)"
    engine_instance "pass-$mode"
    http_port=$(ocspr_free_port)
    tls_port=$(ocspr_free_port)
    front_set "$SLOW_PORT" "{\"fault\": \"delay\", \"delay\": $delay}"
    if [ "$mode" = startup ]; then
        timeout=$startup_timeout
        front_set "$FAST_PORT" '{"fault": "none"}'
    else
        timeout=1
        front_set "$FAST_PORT" "{\"fault\": \"delay\", \"delay\": $delay}"
    fi
    slow_before=$(front_requests "$SLOW_PORT")
    fast_before=$(front_requests "$FAST_PORT")
    pass_conf "$ENGINE_DIR/httpd.conf" "$http_port" "$tls_port" "$timeout"
    if [ "$mode" = startup ]; then
        start_httpd_watched "$ENGINE_DIR/httpd.conf" true
        t0=$START_MS
    else
        start_httpd_watched "$ENGINE_DIR/httpd.conf" front_set "$FAST_PORT" '{"fault": "none"}'
        t0=$PIDFILE_MS
    fi
    echo "httpd $OCSPR_HTTPD_PID: PID file after $((PIDFILE_MS - START_MS)) ms, serving after" \
        "$((SERVE_MS - START_MS)) ms (from the start command)"
    deadline=$((t0 + cap * 1000))
    url="http://127.0.0.1:$http_port/ocsp-status?json"
    for group in fast slow; do
        wait_stapled "$url" "$tls_port" "$group" "$t0" "$deadline"
    done
    curl -sS -m 30 -o "$ENGINE_DIR/final.json" "$url" || ocspr_fail "GET $url failed"
    for group in fast slow; do
        fetched=$(fetched_summary "$ENGINE_DIR/final.json" "$group" "$t0")
        last=${fetched% *}
        held=${fetched#* }
        ROWS+=("$(printf '%-12s %-5s %8s %10s %16s %12s' "$mode" "$group" "$held/$HALF" \
            "$last" "${STAPLED[$group]}" "${HANDSHAKES[$group]}")")
    done
    echo "responder requests: slow $(( $(front_requests "$SLOW_PORT") - slow_before ))," \
        "fast $(( $(front_requests "$FAST_PORT") - fast_before ))"
    ocspr_stop_httpd
}

# ------------------------------------------------------------ stop scenario

run_stop()
{
    local stop_port port parent signalled ms all_ms killed tries rc=0
    echo
    echo "== stop (SIGTERM) while the leader waits on a blackholed responder"
    stop_port=$(ocspr_free_port)
    # Responses valid 2 minutes: due about 6 s after a fetch (lc_globals).
    ocspr_start_front "$ENGINE_PKI" "$stop_port" --nmin 2 >/dev/null
    ENGINE_FRONT_PORT=$stop_port
    engine_instance stop
    port=$(ocspr_free_port)
    lc_conf "$OCSPR_MPM" "$port" \
        "$(engine_vhost "$port" good "OCSPRefreshResponder http://127.0.0.1:$stop_port/ocsp")"
    ocspr_start_httpd "$ENGINE_DIR/httpd.conf" >/dev/null
    ocspr_wait_until 20 engine_staple_good_now "$port" 2>/dev/null \
        || ocspr_fail "no good staple before the stop measurement"
    ocspr_front_control '{"fault": "blackhole"}'
    lc_wait_front_client 60 >/dev/null || ocspr_fail "the leader never tried the blackholed responder"
    parent=$(lc_parent)
    signalled=$(lc_now_ms)
    kill -TERM "$parent"
    tries=1200                          # 60 s at 50 ms
    while ! ocspr__gone "$parent"; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || { rc=1; break; }
        sleep 0.05
    done
    ms=$(( $(lc_now_ms) - signalled ))
    [ "$rc" = 0 ] || ms=">$ms"
    # lc_gone_ms counts from its call: add the parent's time.
    if all_ms=$(lc_gone_ms "$parent" 30) && [ "$rc" = 0 ]; then
        all_ms=$((ms + all_ms))
    else
        all_ms=">$all_ms"
    fi
    killed=$(grep -cE 'SIGKILL|still did not exit' "$OCSPR_HTTPD_ERRORLOG" || true)
    echo "parent $parent gone $ms ms after SIGTERM, every process after $all_ms ms;" \
        "error log lines about killed children: $killed"
    grep -E 'SIGKILL|still did not exit' "$OCSPR_HTTPD_ERRORLOG" | sed 's/^/  /' || true
    ROWS+=("$(printf '%-12s %-5s %8s %10s %16s %12s' stop - - - "$ms/$all_ms" "killed: $killed")")
    ocspr_stop_front
}

# ------------------------------------------------------------ line counts

# lines REV PATTERN: "FILES LINES" of the files of mod_ocsp_refresh/ at REV
# whose name matches the extended PATTERN.
lines()
{
    local rev=$1 pattern=$2 f files=0 total=0
    for f in $(git -C "$REPO" ls-tree --name-only "$rev" mod_ocsp_refresh/ | grep -E "$pattern"); do
        files=$((files + 1))
        total=$((total + $(git -C "$REPO" show "$rev:$f" | wc -l)))
    done
    echo "$files $total"
}

if [ "$run_startup" = yes ]; then
    run_pass startup
fi
if [ "$run_maintenance" = yes ]; then
    run_pass maintenance
fi
if [ "$run_stop" = yes ]; then
    run_stop
fi

echo
echo "== results ($OCSPR_MODULE_SO; $certs certificates, half behind a ${delay}s responder)"
if [ "${#ROWS[@]}" -gt 0 ]; then
    printf '%-12s %-5s %8s %10s %16s %12s\n' scenario group fetched "last s" "all stapled ms" handshakes
    printf '%s\n' "${ROWS[@]}"
    echo "(t0: startup = the start command, maintenance = the PID file (children forked next);"
    echo " 'last s' = newest 'fetched' of the group after t0; stop row: ms to the parent's PID"
    echo " gone / to every process gone, and error log lines about killed children)"
fi
echo
head=$(git -C "$REPO" rev-parse --short HEAD)
printf '%-6s %-22s %-22s\n' lines "before ($before_rev)" "now (HEAD $head)"
for kind in glue core; do
    pattern='^mod_ocsp_refresh/ocspr_[^/]*\.c$'
    [ "$kind" = glue ] && pattern='^mod_ocsp_refresh/mod_ocsp_refresh[^/]*\.c$'
    read -r bf bl < <(lines "$before_rev" "$pattern")
    read -r nf nl < <(lines HEAD "$pattern")
    printf '%-6s %-22s %-22s\n' "$kind" "$bl in $bf files" "$nl in $nf files"
done
# A benchmark passes nothing: no PASSED line from lib.sh's EXIT trap (which
# still stops every server; a failure still prints FAILED and the logs).
OCSPR_T_NAME=
