# shellcheck shell=bash
# Helpers of the lifecycle integration tests (t_lifecycle_*.sh): restarts and
# stops while the responder does not answer, the startup helper process, the
# leader per generation, the store's owner. Sources engine-lib.sh (instances,
# vhosts, handshakes); source it after lib.sh.
#
#   . "$OCSPR_TEST_SRCDIR/integration/lib.sh"
#   . "$OCSPR_TEST_SRCDIR/integration/lifecycle-lib.sh"
#   ocspr_t_init lifecycle_NAME
#
# Who talks to the responder is read from the kernel, not from our logs: a
# blackholed front holds every request's connection open, so `ss -p` shows
# which process (which generation's child) holds one, as often as we look.
#
# Functions:
#   lc_now_ms                         wall clock in milliseconds
#   lc_globals                        engine_globals + certificates due soon
#   lc_conf MPM PORT VHOST...         write $ENGINE_DIR/httpd.conf (lc_globals)
#   lc_wait_surely_due "THIS UPDATE"  wait until due under any jitter
#   lc_parent                         PID of the current httpd parent
#   lc_children PID                   live child PIDs of PID
#   lc_front_clients                  "PID LOCALPORT" per connection to the front
#   lc_wait_front_client SECONDS      PID of a process connected to the front
#   lc_gone_ms PGID SECONDS           ms until a process group is gone
#   lc_assert_not_killed              no SIGKILL / "still did not exit" logged
#   lc_timed_handshake PORT [SNI]     engine_handshake; LC_LAST_MS = its duration
#   lc_make_leaves PKI N              N extra leaves leaf1..leafN (one key)
#   lc_start_httpd_timed CONF         start, watch the helper, LC_START_MS
#   lc_file_state PATH                content hash, mode, owner, mtime of PATH

. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"

# A response valid for 2 minutes (front --nmin 2) with OCSPRefreshWindow 5 is
# due about 6 s after it was fetched, and still valid for the rest of a test:
# a due certificate with a good staple to serve, the state every restart and
# stop test needs. A blackholed fetch then hangs for OCSPRefreshTimeout.
LC_REFRESH_TIMEOUT=${LC_REFRESH_TIMEOUT:-30}
# The latest refresh point any schedule can pick for such a response: 5% of
# the period plus the policy's jitter of up to 10% of it, 18 s. Each
# computation (a restart's store load too) draws its own jitter.
LC_SURELY_DUE_S=18

LC_LAST_MS=           # duration of the last lc_timed_handshake
LC_START_MS=          # lc_start_httpd_timed: ms from start to the first answer
LC_HELPER_PIDS=()     # lc_start_httpd_timed: children of the parent seen before
                      # the PID file existed (the startup helper)
LC_HELPER_SEEN_MS=    # lc_start_httpd_timed: ms from start until one was seen

lc_now_ms()
{
    date +%s%3N
}

# lc_globals: the instance's store, a 3 s tick, certificates due 5% into
# their validity, fetches that hang LC_REFRESH_TIMEOUT seconds.
lc_globals()
{
    engine_globals "OCSPRefreshWindow 5" "OCSPRefreshTimeout $LC_REFRESH_TIMEOUT"
}

# lc_conf MPM PORT VHOST...: write $ENGINE_DIR/httpd.conf for an instance
# listening on PORT with lc_globals and each VHOST piece.
lc_conf()
{
    local mpm=${1:?usage: lc_conf MPM PORT VHOST...} port=${2:?}
    shift 2
    ocspr_write_httpd_conf "$ENGINE_DIR/httpd.conf" --mpm "$mpm" --dir "$ENGINE_DIR" \
        --listen "$port" -- "$(lc_globals)" "$@"
}

# lc_wait_surely_due "THIS UPDATE": wait until a response with that
# thisUpdate (OpenSSL's date format) is due whatever jitter a schedule draws.
lc_wait_surely_due()
{
    local due
    due=$(( ($(engine_epoch "${1:?usage: lc_wait_surely_due DATE}") + LC_SURELY_DUE_S + 1) * 1000 ))
    ocspr_wait_until $((LC_SURELY_DUE_S + 5)) lc__past "$due"
}

lc__past()
{
    [ "$(lc_now_ms)" -gt "$1" ]
}

# lc_parent: PID of the current httpd parent (its PID file).
lc_parent()
{
    cat "$(ocspr__conf_value "$OCSPR_HTTPD_CONF" PidFile)" 2>/dev/null || echo "$OCSPR_HTTPD_PID"
}

# lc_children PID: the live (not zombie) children of PID, one per line.
lc_children()
{
    ps -e -o pid=,ppid=,stat= | awk -v p="${1:?usage: lc_children PID}" \
        '$2 == p && $3 !~ /^Z/ { print $1 }'
}

# lc_front_clients: one "PID LOCALPORT" line per established TCP connection
# to the current front ($ENGINE_FRONT_PORT), from the connecting process.
lc_front_clients()
{
    ss -Htnp state established "( dport = :$ENGINE_FRONT_PORT )" 2>/dev/null \
        | awk '{ n = split($3, a, ":"); port = a[n]
                 s = $0; while (match(s, /pid=[0-9]+/)) {
                     print substr(s, RSTART + 4, RLENGTH - 4), port
                     s = substr(s, RSTART + RLENGTH) } }' | sort -u
}

# lc_wait_front_client SECONDS: wait until a process is connected to the
# front (with a blackholed front: a fetch in flight) and print its PID.
lc_wait_front_client()
{
    local seconds=${1:?usage: lc_wait_front_client SECONDS} tries pid
    tries=$((seconds * 10))
    while [ "$tries" -gt 0 ]; do
        pid=$(lc_front_clients | awk 'NR == 1 { print $1 }')
        if [ -n "$pid" ]; then
            echo "$pid"
            return 0
        fi
        tries=$((tries - 1))
        sleep 0.1
    done
    return 1
}

# lc_gone_ms PGID SECONDS: poll every 50 ms until no live process of the
# group PGID is left; print the milliseconds it took from the call. False
# (printing the time waited) if the group outlived SECONDS.
lc_gone_ms()
{
    local pgid=${1:?usage: lc_gone_ms PGID SECONDS} seconds=${2:?} start tries
    start=$(lc_now_ms)
    tries=$((seconds * 20))
    while ! ocspr__gone "-$pgid"; do
        tries=$((tries - 1))
        if [ "$tries" -le 0 ]; then
            echo $(($(lc_now_ms) - start))
            return 1
        fi
        sleep 0.05
    done
    echo $(($(lc_now_ms) - start))
}

# lc_assert_not_killed: the current error log shows no child that httpd had
# to kill ("still did not exit, sending a SIGTERM/SIGKILL").
lc_assert_not_killed()
{
    local lines
    lines=$(grep -E 'SIGKILL|still did not exit' "$OCSPR_HTTPD_ERRORLOG" || true)
    if [ -n "$lines" ]; then
        printf '%s\n' "$lines" >&2
        ocspr_fail "httpd had to kill a child that did not stop (above)"
    fi
    ocspr_pass "no child had to be killed"
}

# lc_timed_handshake PORT [SNI]: engine_handshake (call it in the test's
# shell); LC_LAST_MS is how long it took, client start to exit.
lc_timed_handshake()
{
    local rc=0
    engine_handshake "$@" || rc=$?
    # shellcheck disable=SC2034 # read by the tests
    LC_LAST_MS=$(($(lc_now_ms) - ENGINE_LAST_START_MS))
    return "$rc"
}

# lc_make_leaves PKI N: N more leaf certificates leaf1..leafN issued by the
# PKI's intermediate with its OCSP URL (one shared EC key: each certificate
# is still a certificate of its own to staple), each with leafI.chain.pem,
# and listed as good in the responder's index.
lc_make_leaves()
{
    local pki=${1:?usage: lc_make_leaves PKI N} n=${2:?} i port
    port=$(cat "$pki/ports")
    (
        cd "$pki" || exit 1
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out leaf.key 2>/dev/null
        cat > lc-leaf.ext <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
authorityInfoAccess = OCSP;URI:http://127.0.0.1:$port/ocsp, caIssuers;URI:http://127.0.0.1:$port/int.cer
EXT
        for i in $(seq "$n"); do
            openssl req -new -key leaf.key -subj "/O=ocspr test/CN=leaf$i.test" 2>/dev/null \
                | openssl x509 -req -CA int.pem -CAkey int.key -set_serial "$((7000 + i))" \
                    -days 30 -extfile lc-leaf.ext -out "leaf$i.pem" 2>/dev/null
            cp leaf.key "leaf$i.key"
            cat "leaf$i.pem" int.pem > "leaf$i.chain.pem"
            printf 'V\t%s\t\t%X\tunknown\t/O=ocspr test/CN=leaf%s.test\n' \
                "$(date -u -d '+30 days' +%y%m%d%H%M%SZ)" "$((7000 + i))" "$i" >> index.txt
        done
        rm -f lc-leaf.ext
        chmod -R a+rX .
    )
}

# lc_start_httpd_timed CONF: `$HTTPD_BIN -f CONF -k start` and poll (every
# 0.1 s, at most $OCSPR_START_TIMEOUT s) until the first Listen port answers
# a TLS handshake. LC_START_MS: milliseconds from the start command to that
# answer. LC_HELPER_PIDS: every child of the httpd parent seen before the
# PID file existed; httpd forks its MPM children only after writing it, so
# these are the module's startup helper; LC_HELPER_SEEN_MS: when the first
# was seen (empty if none was). Sets the lib.sh httpd variables
# like ocspr_start_httpd (the EXIT trap stops it).
lc_start_httpd_timed()
{
    local conf=${1:?usage: lc_start_httpd_timed CONF} pidfile port start parent tries pid seen
    pidfile=$(ocspr__conf_value "$conf" PidFile)
    port=$(ocspr__conf_ports "$conf" | head -n 1)
    OCSPR_HTTPD_CONF=$conf
    OCSPR_HTTPD_ERRORLOG=$(ocspr__conf_value "$conf" ErrorLog)
    OCSPR_HTTPD_CONFS+=("$conf")
    LC_HELPER_PIDS=()
    LC_HELPER_SEEN_MS=
    rm -f "$pidfile"
    start=$(lc_now_ms)
    "$HTTPD_BIN" -f "$conf" -k start </dev/null >"$conf.stderr" 2>&1 \
        || { cat "$conf.stderr" >&2; ocspr_fail "httpd -f $conf -k start failed"; }
    tries=$((OCSPR_START_TIMEOUT * 10))
    while :; do
        # The detached parent leads its own process group; the helper is
        # its child. A child counts only if the PID file was still absent
        # after the look (MPM children come after it).
        seen=
        parent=$(ps -e -o pid=,pgid=,args= | awk -v c="$conf" \
            '$1 == $2 && index($0, c) { print $1; exit }')
        [ -n "$parent" ] && seen=$(lc_children "$parent")
        if [ ! -s "$pidfile" ]; then
            if [ -n "$seen" ] && [ -z "$LC_HELPER_SEEN_MS" ]; then
                LC_HELPER_SEEN_MS=$(($(lc_now_ms) - start))
            fi
            for pid in $seen; do
                [[ " ${LC_HELPER_PIDS[*]-} " == *" $pid "* ]] || LC_HELPER_PIDS+=("$pid")
            done
        elif ocspr_port_served "$port"; then
            break
        fi
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || ocspr_fail "httpd did not answer within ${OCSPR_START_TIMEOUT}s"
        grep -qE 'Configuration Failed|\[[a-z_0-9]*:emerg\]' "$OCSPR_HTTPD_ERRORLOG" \
            "$conf.stderr" 2>/dev/null && ocspr_fail "httpd failed to start"
        sleep 0.1
    done
    LC_START_MS=$(($(lc_now_ms) - start))
    OCSPR_HTTPD_PID=$(cat "$pidfile")
    echo "httpd: pid $OCSPR_HTTPD_PID answered ${LC_START_MS} ms after the start command;" \
        "helper process(es) seen: ${LC_HELPER_PIDS[*]:-none}"
}

# lc_file_state PATH: "sha256 mode uid:gid mtime" of PATH itself (a link's
# target is followed: PATH is the file to protect).
lc_file_state()
{
    printf '%s %s\n' "$(sha256sum < "${1:?usage: lc_file_state PATH}" | cut -d' ' -f1)" \
        "$(stat -c '%a %u:%g %Y' "$1")"
}
