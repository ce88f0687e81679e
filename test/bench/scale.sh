#!/usr/bin/env bash
# Benchmark, run by hand (see test/bench/README.md): stapling at scale (issue 9).
#
#   test/bench/scale.sh [--module SO] [--n "1 100 1000 5000"] [--modes "none mod_ssl ocspr"]
#                       [--idle SECONDS] [--load SECONDS] [--sample K]
#
# For each N (certificates, one SNI vhost each, one CA, one responder) and
# each mode -- none (no stapling), mod_ssl (SSLUseStapling On), ocspr (this
# module, OCSPRefresh On, defaults and a store) -- one fresh server, measured:
#   start       seconds from `apache2 -k start` to the first TLS answer
#   warm start  the same for a second start (ocspr: with the store holding
#               valid responses)
#   prefetch    ocspr: the startup helper's time and what it fetched
#               (OCSPR0105), and when the status page first counted all N
#               stapled
#   RSS         parent, and the largest child, after the load below
#   handshakes  --load seconds of full handshakes asking for a status, one
#               client, on one vhost: handshakes/s, p50 and p99 in ms
#   coverage    valid good staples on --sample vhosts spread over the range
#   first       the first handshake (asking for a status) on a vhost nobody
#               has visited, right after the start: ms, and what it stapled
#   idle CPU    CPU time of every httpd process over --idle seconds, in %
#   status      ocspr: the default HTML status page and ?json, size and time
# and once, the responder front's own capacity: OCSP requests per second with
# 1 and with 4 (the module's default per responder) clients in parallel.
# Ratios are to "none" at the same N, measured in the same run. Prints a
# table; no pass or fail.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
OCSPR_TEST_SRCDIR=${OCSPR_TEST_SRCDIR:-$(cd "$here/.." && pwd)}
OCSPR_MODULE_SO=${OCSPR_MODULE_SO:-$OCSPR_TEST_SRCDIR/../build/mod_ocsp_refresh.so}
NS="1 100 1000 5000"
MODES="none mod_ssl ocspr"
IDLE=60
LOAD=10
SAMPLE_K=100
while [ $# -gt 0 ]; do
    case $1 in
        --module) OCSPR_MODULE_SO=$2; shift 2 ;;
        --n) NS=$2; shift 2 ;;
        --modes) MODES=$2; shift 2 ;;
        --idle) IDLE=$2; shift 2 ;;
        --load) LOAD=$2; shift 2 ;;
        --sample) SAMPLE_K=$2; shift 2 ;;
        *) echo "usage: $0 [--module SO] [--n \"1 100 1000 5000\"] [--modes \"none mod_ssl ocspr\"]" \
               "[--idle S] [--load S] [--sample K]" >&2; exit 2 ;;
    esac
done
[ -f "$OCSPR_MODULE_SO" ] || { echo "module $OCSPR_MODULE_SO not found (--module)" >&2; exit 2; }
OCSPR_MODULE_SO=$(realpath "$OCSPR_MODULE_SO")    # httpd reads it relative to its ServerRoot
export OCSPR_TEST_SRCDIR OCSPR_MODULE_SO
# Thousands of vhosts take a while to load, twice (httpd's trial pass).
export OCSPR_START_TIMEOUT=${OCSPR_START_TIMEOUT:-600}
. "$OCSPR_TEST_SRCDIR/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/scale-lib.sh"
ocspr_t_init bench_scale
echo "module $OCSPR_MODULE_SO, $(nproc) CPUs, $(openssl version), $($HTTPD_BIN -v | head -n 1)"

MAX_N=0
for n in $NS; do
    [ "$n" -gt "$MAX_N" ] && MAX_N=$n
done
ENGINE_FRONT_PORT=$(ocspr_free_port)
ENGINE_PKI=$T/pki
ocspr_make_pki "$ENGINE_PKI" "$ENGINE_FRONT_PORT"
started=$SECONDS
scale_make_sites "$ENGINE_PKI" "$ENGINE_FRONT_PORT" "$MAX_N"
echo "made $MAX_N certificates in $((SECONDS - started)) s"
ocspr_start_front "$ENGINE_PKI" "$ENGINE_FRONT_PORT"
RESULTS=$T/results.tsv
: > "$RESULTS"

# The measuring client: full TLS handshakes in-process (python3 + libssl
# through ctypes), so that a handshake costs what the server makes it cost,
# not a process start. Asks for a status (status_request) unless told not to.
CLIENT=$T/tls_client.py
cat > "$CLIENT" <<'EOF'
import ctypes, socket, struct, sys, time

ssl = ctypes.CDLL("libssl.so.3")
crypto = ctypes.CDLL("libcrypto.so.3")
P = ctypes.c_void_p
for lib, name, res, args in (
        (ssl, "TLS_client_method", P, []), (ssl, "SSL_CTX_new", P, [P]),
        (ssl, "SSL_new", P, [P]), (ssl, "SSL_set_fd", ctypes.c_int, [P, ctypes.c_int]),
        (ssl, "SSL_ctrl", ctypes.c_long, [P, ctypes.c_int, ctypes.c_long, P]),
        (ssl, "SSL_connect", ctypes.c_int, [P]), (ssl, "SSL_shutdown", ctypes.c_int, [P]),
        (ssl, "SSL_free", None, [P]),
        (crypto, "d2i_OCSP_RESPONSE", P, [P, ctypes.POINTER(P), ctypes.c_long]),
        (crypto, "OCSP_response_status", ctypes.c_int, [P]),
        (crypto, "OCSP_response_get1_basic", P, [P]),
        (crypto, "OCSP_resp_get0", P, [P, ctypes.c_int]),
        (crypto, "OCSP_single_get0_status", ctypes.c_int,
         [P, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(P), ctypes.POINTER(P), ctypes.POINTER(P)]),
        (crypto, "OCSP_check_validity", ctypes.c_int, [P, P, ctypes.c_long, ctypes.c_long]),
        (crypto, "OCSP_BASICRESP_free", None, [P]), (crypto, "OCSP_RESPONSE_free", None, [P])):
    f = getattr(lib, name)
    f.restype, f.argtypes = res, args
SET_HOSTNAME, SET_STATUS_TYPE, GET_OCSP_RESP = 55, 65, 70
ctx = ssl.SSL_CTX_new(ssl.TLS_client_method())

def staple_is_good(der_ptr, length):
    """A successful response whose first SingleResponse is good and current."""
    cursor = P(der_ptr)
    resp = crypto.d2i_OCSP_RESPONSE(None, ctypes.byref(cursor), length)
    if not resp:
        return False
    good = False
    if crypto.OCSP_response_status(resp) == 0:
        bs = crypto.OCSP_response_get1_basic(resp)
        single = crypto.OCSP_resp_get0(bs, 0) if bs else None
        if single:
            reason, rev, this, nxt = ctypes.c_int(), P(), P(), P()
            status = crypto.OCSP_single_get0_status(single, ctypes.byref(reason), ctypes.byref(rev),
                                                    ctypes.byref(this), ctypes.byref(nxt))
            good = status == 0 and bool(nxt) and crypto.OCSP_check_validity(this, nxt, 300, -1) == 1
        if bs:
            crypto.OCSP_BASICRESP_free(bs)
    crypto.OCSP_RESPONSE_free(resp)
    return good

def handshake(port, sni, status=True):
    """(seconds, 'good'|'other'|'none'), or None when no handshake completed."""
    start = time.perf_counter()
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    except OSError:
        return None
    # OpenSSL reads the descriptor itself: blocking, bounded by the kernel.
    sock.settimeout(None)
    for opt in (socket.SO_RCVTIMEO, socket.SO_SNDTIMEO):
        sock.setsockopt(socket.SOL_SOCKET, opt, struct.pack("ll", 30, 0))
    s = ssl.SSL_new(ctx)
    try:
        ssl.SSL_set_fd(s, sock.fileno())
        ssl.SSL_ctrl(s, SET_HOSTNAME, 0, ctypes.c_char_p(sni.encode()))
        if status:
            ssl.SSL_ctrl(s, SET_STATUS_TYPE, 1, None)
        if ssl.SSL_connect(s) != 1:
            return None
        elapsed = time.perf_counter() - start
        der = P()
        length = ssl.SSL_ctrl(s, GET_OCSP_RESP, 0, ctypes.byref(der))
        got = "none" if length <= 0 or not der else \
              ("good" if staple_is_good(der.value, length) else "other")
        ssl.SSL_shutdown(s)
        return elapsed, got
    finally:
        ssl.SSL_free(s)
        sock.close()

def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100.0 * len(values)))]

cmd, port = sys.argv[1], int(sys.argv[2])
if cmd == "probe":            # probe PORT SNI T0_EPOCH_MS LIMIT_S: ms from T0 to a TLS answer
    sni, t0, limit = sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    end = time.time() + limit
    while time.time() < end:
        if handshake(port, sni, status=False):
            print(int(time.time() * 1000) - t0)
            sys.exit(0)
        time.sleep(0.02)
    print("-")
elif cmd == "first":          # first PORT SNI: one handshake: "ms status"
    r = handshake(port, sys.argv[3])
    print("%.1f %s" % (r[0] * 1000, r[1]) if r else "- failed")
elif cmd == "load":           # load PORT SNI SECONDS: "per_s p50_ms p99_ms stapled_fraction"
    sni, seconds = sys.argv[3], float(sys.argv[4])
    times, good = [], 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        r = handshake(port, sni)
        if r:
            times.append(r[0])
            good += r[1] == "good"
    total = sum(times)
    print("%.0f %.2f %.2f %.2f" % (len(times) / total, pct(times, 50) * 1000,
                                   pct(times, 99) * 1000, good / float(len(times))))
elif cmd == "coverage":       # coverage PORT SNI...: "good of sampled"
    results = [handshake(port, sni) for sni in sys.argv[3:]]
    print("%d/%d" % (sum(1 for r in results if r and r[1] == "good"), len(results)))
EOF

now_ms() { date +%s%3N; }
mb() { awk -v kb="${1:-0}" 'BEGIN { printf "%.1f", kb / 1024 }'; }

# ---------------------------------------------------------------- the responder alone
# capacity CLIENTS SECONDS: OCSP requests per second the front answers.
capacity()
{
    python3 - "$ENGINE_FRONT_PORT" "$T/capacity.req" "$1" "$2" <<'EOF'
import http.client, sys, threading, time
port, body = int(sys.argv[1]), open(sys.argv[2], "rb").read()
clients, seconds = int(sys.argv[3]), float(sys.argv[4])
done = [0] * clients
end = time.time() + seconds
def run(k):
    while time.time() < end:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("POST", "/ocsp", body, {"Content-Type": "application/ocsp-request"})
        r = c.getresponse()
        if r.status == 200 and r.read():
            done[k] += 1
        c.close()
threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
start = time.time()
for t in threads: t.start()
for t in threads: t.join()
print("%.1f" % (sum(done) / (time.time() - start)))
EOF
}
openssl ocsp -issuer "$ENGINE_PKI/int.pem" -cert "$SCALE_SITES/site0.chain.pem" -no_nonce \
    -reqout "$T/capacity.req" >/dev/null 2>&1
CAPACITY_1=$(capacity 1 5)
CAPACITY_4=$(capacity 4 5)
echo "responder front alone: $CAPACITY_1 requests/s with 1 client, $CAPACITY_4 with 4"

# ---------------------------------------------------------------- one server
# write_conf MODE N HTTP_PORT TLS_PORT: the instance's httpd.conf.
write_conf()
{
    local mode=$1 n=$2 http=$3 tls=$4 i
    local -a opts=() vhost_lines=()
    case $mode in
        none) opts=(--no-module) ;;
        mod_ssl)
            opts=(--no-module)
            vhost_lines=("SSLUseStapling On" "SSLStaplingResponderTimeout 10"
                         "SSLStaplingReturnResponderErrors Off") ;;
        ocspr) vhost_lines=("OCSPRefresh On") ;;
    esac
    {
        ocspr_httpd_base_conf --dir "$ENGINE_DIR" --listen "$http" --listen "$tls" \
            "${opts[@]+"${opts[@]}"}"
        case $mode in
            mod_ssl)
                # room for every response (mod_ssl's default cache is far smaller)
                echo "SSLStaplingCache \"shmcb:$ENGINE_DIR/run/stapling($((n * 4096 + 512000)))\"" ;;
            ocspr)
                echo "OCSPRefreshStore \"$ENGINE_STORE\""
                ocspr_status_location ;;
        esac
        for ((i = 0; i < n; i++)); do
            scale_site_vhost "$tls" "$i" "${vhost_lines[@]+"${vhost_lines[@]}"}"
        done
    } > "$ENGINE_DIR/httpd.conf"
    chmod 644 "$ENGINE_DIR/httpd.conf"
}

# start_timed TLS_PORT: start the instance's httpd, in this shell (so that
# the EXIT trap knows it); sets START_T0 (epoch ms) and START_MS (ms to the
# first TLS answer on site0, a handshake without a status request).
start_timed()
{
    local tls=$1 probe
    START_T0=$(now_ms)
    python3 "$CLIENT" probe "$tls" "site0.$SCALE_DOMAIN" "$START_T0" "$OCSPR_START_TIMEOUT" \
        > "$ENGINE_DIR/probe.out" &
    probe=$!
    ocspr_start_httpd "$ENGINE_DIR/httpd.conf" >/dev/null
    wait "$probe" || true
    START_MS=$(cat "$ENGINE_DIR/probe.out")
}

# cpu_ticks PID...: utime + stime of the processes, in clock ticks.
cpu_ticks()
{
    local pid total=0
    for pid in "$@"; do
        [ -r "/proc/$pid/stat" ] || continue
        total=$((total + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat")))
    done
    echo "$total"
}

children() { ps -o pid= --ppid "$OCSPR_HTTPD_PID" | tr -d ' '; }

all_stapled()
{
    curl -sS -f -m 30 -o "$ENGINE_DIR/wait.json" "http://127.0.0.1:$1/ocsp-status?json" 2>/dev/null \
        && [ "$(scale_json_summary "$ENGINE_DIR/wait.json" stapled)" = "$2" ]
}

# page_figures HTTP_PORT QUERY: "KB seconds" of one status page request.
page_figures()
{
    curl -sS -f -m 120 -o /dev/null -w '%{size_download} %{time_total}' \
        "http://127.0.0.1:$1/ocsp-status$2" | awk '{ printf "%.0f %.3f", $1 / 1024, $2 }'
}

# measure N MODE: one row of results.
measure()
{
    local n=$1 mode=$2 http tls start first stapled_after="-" prefetch="-" load cov
    local parent_rss child_rss ticks0 ticks1 idle_cpu html="-" json="-" warm hz
    local -a sample=() pids=()
    http=$(ocspr_free_port)
    tls=$(ocspr_free_port)
    engine_instance "$mode-$n"
    write_conf "$mode" "$n" "$http" "$tls"
    start_timed "$tls"
    start=$START_MS
    first=$(python3 "$CLIENT" first "$tls" "site$((n - 1)).$SCALE_DOMAIN")
    if [ "$mode" = ocspr ]; then
        prefetch=$(sed -n 's/.*OCSPR0105: startup: .*; \([0-9]*\) fetched.* in \([0-9]*\) ms.*/\2 ms, \1 fetched/p' \
            "$OCSPR_HTTPD_ERRORLOG" | tail -n 1)
        if ocspr_wait_until $((120 + n / 20)) all_stapled "$http" "$n"; then
            stapled_after=$(awk -v ms=$(($(now_ms) - START_T0)) 'BEGIN { printf "%.1f", ms / 1000 }')
        else
            stapled_after="never ($(scale_json_summary "$ENGINE_DIR/wait.json" stapled))"
        fi
    fi
    mapfile -t sample < <(scale_sample "$n" "$SAMPLE_K" | sed "s/.*/site&.$SCALE_DOMAIN/")
    cov=$(python3 "$CLIENT" coverage "$tls" "${sample[@]}")
    load=$(python3 "$CLIENT" load "$tls" "site0.$SCALE_DOMAIN" "$LOAD")
    parent_rss=$(ps -o rss= -p "$OCSPR_HTTPD_PID" | tr -d ' ')
    mapfile -t pids < <(children)
    child_rss=$(ps -o rss= -p "$(IFS=,; echo "${pids[*]}")" | sort -n | tail -n 1 | tr -d ' ')
    if [ "$mode" = ocspr ]; then
        html=$(page_figures "$http" "")
        json=$(page_figures "$http" "?json")
    fi
    hz=$(getconf CLK_TCK)
    ticks0=$(cpu_ticks "$OCSPR_HTTPD_PID" "${pids[@]}")
    sleep "$IDLE"
    ticks1=$(cpu_ticks "$OCSPR_HTTPD_PID" "${pids[@]}")
    idle_cpu=$(awk -v d=$((ticks1 - ticks0)) -v hz="$hz" -v s="$IDLE" 'BEGIN { printf "%.2f", d / hz / s * 100 }')
    ocspr_stop_httpd
    start_timed "$tls"
    warm=$START_MS
    ocspr_stop_httpd
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$mode" "$start" \
        "$warm" "$prefetch" "$stapled_after" "$(mb "$parent_rss")" "$(mb "$child_rss")" \
        "$load" "$cov" "$first" "$idle_cpu" "$html" "$json" "$(date +%s)" >> "$RESULTS"
    echo "N=$n $mode: start ${start} ms, warm ${warm} ms, prefetch ${prefetch}, all stapled" \
        "after ${stapled_after} s, RSS $(mb "$parent_rss")/$(mb "$child_rss") MB, load ($LOAD s:" \
        "per_s p50 p99 stapled) $load, coverage $cov, first $first, idle CPU ${idle_cpu}%," \
        "status HTML $html, JSON $json"
}

for n in $NS; do
    for mode in $MODES; do
        measure "$n" "$mode"
    done
done

# ---------------------------------------------------------------- the table
python3 - "$RESULTS" "$CAPACITY_1" "$CAPACITY_4" "$LOAD" "$IDLE" "$SAMPLE_K" <<'EOF'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
cap1, cap4, load_s, idle_s, sample_k = sys.argv[2:7]
base = {r[0]: r for r in rows if r[1] == "none"}

def ratio(value, n, col, pick=lambda v: v):
    b = base.get(n)
    try:
        v, bv = float(pick(value)), float(pick(b[col]))
        return "%s (%.2f×)" % (pick(value), v / bv) if b is not None and bv else pick(value)
    except (TypeError, ValueError):
        return pick(value)

print()
print("Responder front alone: %s OCSP requests/s (1 client), %s (4 clients)." % (cap1, cap4))
print("Handshakes: %s s of full handshakes asking for a status, one client, one vhost; "
      "coverage on %s sampled vhosts; idle CPU over %s s; ratios to `none` at the same N."
      % (load_s, sample_k, idle_s))
print()
head = ["N", "mode", "start ms", "warm start ms", "prefetch", "all stapled after s",
        "RSS parent/child MB", "handshakes/s", "p50 ms", "p99 ms", "coverage",
        "first handshake ms (staple)", "idle CPU %", "status HTML KB / s", "JSON KB / s"]
print("| " + " | ".join(head) + " |")
print("|" + "---|" * len(head))
for r in rows:
    n, mode, start, warm, prefetch, after, prss, crss, load, cov, first, idle, html, js = r[:14]
    per_s, p50, p99, stapled = (load.split() + ["-"] * 4)[:4]
    f_ms, f_st = (first.split() + ["-"] * 2)[:2]
    pick = lambda i: (lambda v: v.split()[i])
    print("| " + " | ".join([
        n, mode, ratio(start, n, 2), ratio(warm, n, 3), prefetch, after, "%s / %s" % (prss, crss),
        ratio(load, n, 8, pick(0)), ratio(load, n, 8, pick(1)), ratio(load, n, 8, pick(2)),
        cov, "%s (%s)" % (f_ms, f_st), idle,
        html.replace(" ", " / "), js.replace(" ", " / ")]) + " |")
EOF
echo "raw figures: $RESULTS"
