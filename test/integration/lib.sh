# shellcheck shell=bash
# Shared library of the integration tests: source it, then call ocspr_t_init.
#
#   . "$OCSPR_TEST_SRCDIR/integration/lib.sh"
#   ocspr_t_init my_test
#
# Environment (set by ocspr_add_integration_test in test/CMakeLists.txt; the
# defaults let a script run by hand from the source tree):
#   OCSPR_TEST_SRCDIR  <repo>/test
#   OCSPR_TEST_WORK    scratch root; each test works in $OCSPR_TEST_WORK/NAME
#   OCSPR_MODULE_SO    the built mod_ocsp_refresh.so
#   HTTPD_BIN          the httpd binary (Debian: /usr/sbin/apache2)
#   OCSPR_MPM          default MPM of generated configs (event)
#
# Every function works under `set -euo pipefail`. Every wait is bounded in
# both iterations and seconds. Processes are stopped by PID (process group
# for httpd as a last resort), never by name. Everything a test starts is
# stopped by the EXIT trap, which also prints the logs when the test fails.
#
# Contract (names used by all integration tests):
#   ocspr_t_init NAME                 fresh work dir $T, traps, umask
#   ocspr_fail MSG / ocspr_pass MSG   report; ocspr_fail exits the test
#   ocspr_assert_eq EXPECTED ACTUAL [WHAT]
#   ocspr_assert_match REGEX ACTUAL [WHAT]
#   ocspr_wait_until SECONDS CMD...   poll CMD until it succeeds
#   ocspr_free_port                   a free 127.0.0.1 TCP port
#   ocspr_port_listening PORT         true if something accepts on the port
#   ocspr_make_pki DIR PORT           test PKI whose URLs use PORT
#   ocspr_server_user_dir DIR         a dir the httpd children may write
#   ocspr_start_front PKI PORT [ARGS] responder front (test/pki/ocsp-front.py)
#   ocspr_use_front PORT              make the front on PORT the current one
#   ocspr_front_control JSON          switch the front's behaviour
#   ocspr_front_requests              OCSP requests the front has served
#   ocspr_stop_front
#   ocspr_httpd_base_conf [OPTS]      print the base httpd config
#   ocspr_vhost PORT CERT KEY [LINE...]  print an SSL vhost
#   ocspr_status_location             print the /ocsp-status mount
#   ocspr_status_tools                PY, CHROMIUM, ARTIFACTS for the status tests
#   ocspr_chromium SECONDS ARGS...    one headless Chromium run, a fresh profile
#   ocspr_track_pid PID               stop PID when the test exits
#   ocspr_write_httpd_conf FILE [OPTS] [-- PIECE...]
#   ocspr_start_httpd CONF / ocspr_httpd_graceful / ocspr_httpd_restart
#   ocspr_stop_httpd [CONF]
#   ocspr_staple PORT [SNI] / ocspr_staple_status PORT [SNI]
#   ocspr_wait_staple_status EXPECTED PORT [SNI] [SECONDS]
#   ocspr_curl_cert_status PORT CAFILE [SNI]
#   ocspr_handshake_ms PORT [SNI]
#   ocspr_check_error_log [ALLOWED_REGEX]

OCSPR_TEST_SRCDIR=${OCSPR_TEST_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
OCSPR_TEST_WORK=${OCSPR_TEST_WORK:-${TMPDIR:-/tmp}/ocspr-test-work}
OCSPR_MODULE_SO=${OCSPR_MODULE_SO:-}
HTTPD_BIN=${HTTPD_BIN:-/usr/sbin/apache2}
OCSPR_MPM=${OCSPR_MPM:-event}
OCSPR_HTTPD_MODDIR=${OCSPR_HTTPD_MODDIR:-$(apxs -q LIBEXECDIR 2>/dev/null || echo /usr/lib/apache2/modules)}
# Seconds a server gets to come up or go down before the test gives up.
OCSPR_START_TIMEOUT=${OCSPR_START_TIMEOUT:-20}
OCSPR_STOP_TIMEOUT=${OCSPR_STOP_TIMEOUT:-20}

T=
OCSPR_T_NAME=
OCSPR_PORTS_GIVEN=()      # ports handed out by ocspr_free_port in this test
OCSPR_FRONT_PIDS=()       # every front started, for the EXIT trap
OCSPR_OTHER_PIDS=()       # other servers a test started (ocspr_track_pid)
declare -A OCSPR_FRONT_PID_BY_PORT=()
OCSPR_FRONT_PID=          # the current front (last started or used)
OCSPR_FRONT_LOG=
OCSPR_FRONT_CONTROL=
OCSPR_HTTPD_CONFS=()      # every httpd config started, for the EXIT trap
OCSPR_HTTPD_CONF=         # the current (last started) httpd
OCSPR_HTTPD_PID=
OCSPR_HTTPD_ERRORLOG=

# ---------------------------------------------------------------- basics

# ocspr_t_init NAME: start a test. Creates the fresh, world-readable work dir
# $T = $OCSPR_TEST_WORK/NAME (logs stay there after the test), sets a umask
# that keeps files readable by the httpd children, and traps EXIT to stop
# every front and httpd the test started and to print the logs on failure.
ocspr_t_init()
{
    OCSPR_T_NAME=${1:?usage: ocspr_t_init NAME}
    umask 022
    T=$OCSPR_TEST_WORK/$OCSPR_T_NAME
    rm -rf "$T"
    mkdir -p "$T"
    if [ -O "$OCSPR_TEST_WORK" ]; then
        chmod 755 "$OCSPR_TEST_WORK"
    fi
    chmod 755 "$T"
    trap ocspr__on_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    echo "== $OCSPR_T_NAME: work dir $T"
}

# ocspr_fail MSG: print MSG and end the test with failure (the EXIT trap
# cleans up). Call it from the test's own shell, not inside $(...).
ocspr_fail()
{
    echo "FAIL: $*" >&2
    exit 1
}

# ocspr_pass MSG: print a passed check.
ocspr_pass()
{
    echo "ok: $*"
}

# ocspr_assert_eq EXPECTED ACTUAL [WHAT]
ocspr_assert_eq()
{
    local what=${3:-value}
    if [ "$1" != "$2" ]; then
        ocspr_fail "$what: expected '$1', got '$2'"
    fi
    ocspr_pass "$what = '$2'"
}

# ocspr_assert_match REGEX ACTUAL [WHAT]: ACTUAL matches the extended REGEX.
ocspr_assert_match()
{
    local what=${3:-value}
    if ! [[ $2 =~ $1 ]]; then
        ocspr_fail "$what: '$2' does not match /$1/"
    fi
    ocspr_pass "$what matches /$1/"
}

# ocspr_wait_until SECONDS CMD...: run CMD every 0.2 s until it succeeds;
# false after SECONDS (and at most 5*SECONDS+1 tries).
ocspr_wait_until()
{
    local seconds=$1 tries deadline
    shift
    tries=$((seconds * 5 + 1))
    deadline=$((SECONDS + seconds))
    while [ "$tries" -gt 0 ]; do
        if "$@"; then
            return 0
        fi
        tries=$((tries - 1))
        if [ "$SECONDS" -ge "$deadline" ]; then
            break
        fi
        sleep 0.2
    done
    return 1
}

# ocspr_free_port: print a free 127.0.0.1 TCP port (bound to port 0 and read
# back), never one already handed out in this test.
ocspr_free_port()
{
    local port given tries=20
    while [ "$tries" -gt 0 ]; do
        tries=$((tries - 1))
        port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
        for given in "${OCSPR_PORTS_GIVEN[@]+"${OCSPR_PORTS_GIVEN[@]}"}"; do
            if [ "$given" = "$port" ]; then
                port=
                break
            fi
        done
        if [ -n "$port" ]; then
            OCSPR_PORTS_GIVEN+=("$port")
            echo "$port"
            return 0
        fi
    done
    echo "ocspr_free_port: no free port" >&2
    return 1
}

# ocspr_port_listening PORT: true if something accepts TCP on 127.0.0.1:PORT.
ocspr_port_listening()
{
    # shellcheck disable=SC2016 # $1 expands in the inner shell
    timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# ocspr_make_pki DIR PORT: the test PKI (test/pki/make-pki.sh) with every URL
# pointing at 127.0.0.1:PORT, world-readable.
ocspr_make_pki()
{
    bash "$OCSPR_TEST_SRCDIR/pki/make-pki.sh" "$1" "$2"
    chmod -R a+rX "$1"
}

# ocspr_server_user_dir DIR: create DIR writable by the httpd children
# (www-data when the test runs as root, else the test's own user).
ocspr_server_user_dir()
{
    mkdir -p "$1"
    if [ "$(id -u)" = 0 ]; then
        chown www-data:www-data "$1"
    fi
    chmod 755 "$1"
}

# ------------------------------------------------------- responder front

# ocspr_start_front PKI PORT [EXTRA ARGS]: start test/pki/ocsp-front.py on
# 127.0.0.1:PORT over PKI and wait until it listens. Its files are
# $T/front-PORT.{pid,log,stderr,json} (.json is the control file, initially
# no fault). It becomes the current front for the functions below.
ocspr_start_front()
{
    local pki=${1:?usage: ocspr_start_front PKI PORT [ARGS]} port=${2:?}
    shift 2
    local base=$T/front-$port pid
    OCSPR_FRONT_LOG=$base.log
    OCSPR_FRONT_CONTROL=$base.json
    rm -f "$base.pid" "$OCSPR_FRONT_LOG"
    echo '{"fault": "none"}' > "$OCSPR_FRONT_CONTROL"
    python3 "$OCSPR_TEST_SRCDIR/pki/ocsp-front.py" --pki "$pki" --port "$port" \
        --pidfile "$base.pid" --log "$OCSPR_FRONT_LOG" --control "$OCSPR_FRONT_CONTROL" \
        "$@" </dev/null >"$base.stderr" 2>&1 &
    pid=$!
    OCSPR_FRONT_PIDS+=("$pid")
    OCSPR_FRONT_PID_BY_PORT[$port]=$pid
    OCSPR_FRONT_PID=$pid
    if ! ocspr_wait_until 10 test -s "$base.pid"; then
        cat "$base.stderr" >&2
        ocspr_fail "responder front on port $port did not start"
    fi
    touch "$OCSPR_FRONT_LOG"
    echo "front: pid $pid on 127.0.0.1:$port"
}

# ocspr_use_front PORT: make the front started on PORT the current one (for
# tests that run several fronts).
ocspr_use_front()
{
    local port=${1:?usage: ocspr_use_front PORT}
    [ -n "${OCSPR_FRONT_PID_BY_PORT[$port]:-}" ] || ocspr_fail "no front was started on port $port"
    OCSPR_FRONT_PID=${OCSPR_FRONT_PID_BY_PORT[$port]}
    OCSPR_FRONT_LOG=$T/front-$port.log
    OCSPR_FRONT_CONTROL=$T/front-$port.json
}

# ocspr_front_control JSON: replace the current front's control file
# atomically, e.g. ocspr_front_control '{"fault": "delay", "delay": 3}'.
ocspr_front_control()
{
    [ -n "$OCSPR_FRONT_CONTROL" ] || ocspr_fail "ocspr_front_control: no front started"
    printf '%s\n' "$1" > "$OCSPR_FRONT_CONTROL.tmp"
    mv -f "$OCSPR_FRONT_CONTROL.tmp" "$OCSPR_FRONT_CONTROL"
}

# ocspr_front_requests: print how many OCSP requests the current front has
# received so far (log lines whose fault field is not "-"; CA file
# downloads are not counted).
ocspr_front_requests()
{
    if [ -z "$OCSPR_FRONT_LOG" ] || [ ! -f "$OCSPR_FRONT_LOG" ]; then
        echo 0
        return 0
    fi
    awk -F'\t' '$6 != "-" { n++ } END { print n + 0 }' "$OCSPR_FRONT_LOG"
}

# ocspr_stop_front [PID]: stop the current front (or PID): SIGTERM, then
# SIGKILL after 5 s.
# shellcheck disable=SC2120 # the argument is optional
ocspr_stop_front()
{
    local pid=${1:-$OCSPR_FRONT_PID}
    [ -n "$pid" ] || return 0
    ocspr__stop_pid "$pid" 5
    if [ "$pid" = "$OCSPR_FRONT_PID" ]; then
        OCSPR_FRONT_PID=
    fi
}

# ------------------------------------------------------------ httpd config

# ocspr_httpd_base_conf [OPTIONS]: print the base config on stdout.
#   --mpm event|worker|prefork   (default $OCSPR_MPM)
#   --listen PORT                a `Listen 127.0.0.1:PORT` line; repeatable
#   --module / --no-module       load $OCSPR_MODULE_SO or not (default: load)
#   --loglevel "LEVELS"          default "warn ocsp_refresh:info ssl:warn"
#   --dir DIR                    instance dir (default $T): DIR/root is the
#                                ServerRoot, DIR/httpd.pid, DIR/error.log,
#                                DIR/access.log, DIR/run, DIR/htdocs
# Two httpd running at once need two --dir.
ocspr_httpd_base_conf()
{
    local mpm=$OCSPR_MPM module=yes loglevel="warn ocsp_refresh:info ssl:warn" dir=$T
    local -a listen=()
    while [ $# -gt 0 ]; do
        case $1 in
            --mpm) mpm=$2; shift 2 ;;
            --listen) listen+=("$2"); shift 2 ;;
            --module) module=yes; shift ;;
            --no-module) module=no; shift ;;
            --loglevel) loglevel=$2; shift 2 ;;
            --dir) dir=$2; shift 2 ;;
            *) echo "ocspr_httpd_base_conf: unknown option $1" >&2; return 2 ;;
        esac
    done
    case $mpm in
        event|worker|prefork) ;;
        *) echo "ocspr_httpd_base_conf: unknown MPM $mpm" >&2; return 2 ;;
    esac
    if [ "$module" = no ]; then
        # httpd refuses a LogLevel for a module that is not loaded.
        loglevel=$(echo "$loglevel" | sed -E 's/(^| )ocsp_refresh:[^ ]*//g')
    elif [ ! -f "$OCSPR_MODULE_SO" ]; then
        echo "ocspr_httpd_base_conf: OCSPR_MODULE_SO '$OCSPR_MODULE_SO' not found" >&2
        return 2
    fi
    mkdir -p "$dir/root" "$dir/run" "$dir/htdocs"
    chmod 755 "$dir" "$dir/root" "$dir/run" "$dir/htdocs"
    echo "ok" > "$dir/htdocs/index.html"
    local m=$OCSPR_HTTPD_MODDIR port
    cat <<EOF
# Generated by test/integration/lib.sh
ServerRoot "$dir/root"
ServerName 127.0.0.1
PidFile "$dir/httpd.pid"
DefaultRuntimeDir "$dir/run"
ErrorLog "$dir/error.log"
LogLevel $loglevel
Timeout 10
GracefulShutdownTimeout 5

LoadModule mpm_${mpm}_module $m/mod_mpm_${mpm}.so
<IfModule !unixd_module>
    LoadModule unixd_module $m/mod_unixd.so
</IfModule>
<IfModule !log_config_module>
    LoadModule log_config_module $m/mod_log_config.so
</IfModule>
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule mime_module $m/mod_mime.so
LoadModule socache_shmcb_module $m/mod_socache_shmcb.so
LoadModule ssl_module $m/mod_ssl.so
LoadModule status_module $m/mod_status.so
EOF
    if [ "$module" = yes ]; then
        echo "LoadModule ocsp_refresh_module $OCSPR_MODULE_SO"
    fi
    if [ "$(id -u)" = 0 ]; then
        printf 'User www-data\nGroup www-data\n'
    fi
    for port in "${listen[@]+"${listen[@]}"}"; do
        echo "Listen 127.0.0.1:$port"
    done
    if [ "$mpm" = prefork ]; then
        cat <<EOF
StartServers 2
MinSpareServers 1
MaxSpareServers 4
ServerLimit 8
MaxRequestWorkers 8
EOF
    else
        cat <<EOF
StartServers 2
ServerLimit 4
ThreadLimit 8
ThreadsPerChild 8
MinSpareThreads 8
MaxSpareThreads 24
MaxRequestWorkers 32
EOF
    fi
    cat <<EOF
TypesConfig /etc/mime.types
LogFormat "%h %t \"%r\" %>s %b %{SSL_PROTOCOL}x" ocspr
CustomLog "$dir/access.log" ocspr
DocumentRoot "$dir/htdocs"
<Directory />
    Require all denied
</Directory>
<Directory "$dir/htdocs">
    Require all granted
</Directory>
<Location /server-status>
    SetHandler server-status
    Require all granted
</Location>
SSLSessionCache "shmcb:$dir/run/ssl_scache(512000)"
EOF
}

# ocspr_track_pid PID: have the EXIT trap stop PID (a server the test
# started itself, e.g. memcached).
ocspr_track_pid()
{
    OCSPR_OTHER_PIDS+=("$1")
}

# ocspr_status_tools: the status page tests' judges. Sets PY (a python3 with
# prometheus_client: Debian's has python3-prometheus-client, one earlier in
# PATH such as pyenv or a venv may not), CHROMIUM (the real browser) and
# ARTIFACTS (screenshots, kept after the test); fails naming the package to
# install when one is missing.
ocspr_status_tools()
{
    local candidate
    PY=
    for candidate in python3 /usr/bin/python3; do
        if "$candidate" -c 'import prometheus_client' 2>/dev/null; then
            PY=$candidate
            break
        fi
    done
    [ -n "$PY" ] || ocspr_fail "python3-prometheus-client is not installed (apt-get install python3-prometheus-client)"
    CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
    [ -n "$CHROMIUM" ] || ocspr_fail "chromium is not installed (apt-get install chromium)"
    ARTIFACTS=$OCSPR_TEST_WORK/artifacts
    mkdir -p "$ARTIFACTS"
}

# ocspr_chromium SECONDS ARGS...: run $CHROMIUM (ocspr_status_tools) headless
# with ARGS, a throw-away profile and at most SECONDS; its stderr goes to
# $T/chromium.stderr. Returns Chromium's status (124 on the time limit).
ocspr_chromium()
{
    local seconds=$1 profile rc=0
    shift
    profile=$(mktemp -d "$T/chromium-XXXXXX")
    HOME=$profile timeout "$seconds" "$CHROMIUM" --headless --no-sandbox --disable-gpu \
        --disable-quic --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --disable-dev-shm-usage --hide-scrollbars \
        --user-data-dir="$profile" "$@" 2>>"$T/chromium.stderr" || rc=$?
    rm -rf "$profile"
    return "$rc"
}

# ocspr_status_location: print the status page mount, /ocsp-status for
# local clients (loads mod_authz_host for `Require local`).
ocspr_status_location()
{
    cat <<EOF
<IfModule !authz_host_module>
    LoadModule authz_host_module $OCSPR_HTTPD_MODDIR/mod_authz_host.so
</IfModule>
<Location /ocsp-status>
    SetHandler ocsp-refresh-status
    Require local
</Location>
EOF
}

# ocspr_vhost PORT CERT KEY [DIRECTIVE...]: print an SSL vhost on
# 127.0.0.1:PORT with ServerName localhost; each extra argument is one line
# inside the vhost (a later ServerName overrides).
ocspr_vhost()
{
    local port=${1:?usage: ocspr_vhost PORT CERT KEY [DIRECTIVE...]} cert=${2:?} key=${3:?} line
    shift 3
    echo "<VirtualHost 127.0.0.1:$port>"
    echo "    ServerName localhost"
    echo "    SSLEngine on"
    echo "    SSLCertificateFile \"$cert\""
    echo "    SSLCertificateKeyFile \"$key\""
    for line in "$@"; do
        echo "    $line"
    done
    echo "</VirtualHost>"
}

# ocspr_write_httpd_conf FILE [BASE OPTIONS] [-- PIECE...]: write the base
# config (options of ocspr_httpd_base_conf) followed by each PIECE (text,
# typically $(ocspr_vhost ...) or single directives) to FILE.
ocspr_write_httpd_conf()
{
    local file=${1:?usage: ocspr_write_httpd_conf FILE [OPTIONS] [-- PIECE...]}
    shift
    local -a opts=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        opts+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    {
        ocspr_httpd_base_conf "${opts[@]+"${opts[@]}"}"
        local piece
        for piece in "$@"; do
            printf '%s\n' "$piece"
        done
    } > "$file.tmp"
    mv -f "$file.tmp" "$file"
    chmod 644 "$file"
}

# --------------------------------------------------------------- httpd run

# Value of the first DIRECTIVE in CONF, quotes removed.
ocspr__conf_value()
{
    awk -v d="$2" '$1 == d { v = $2; gsub(/"/, "", v); print v; exit }' "$1"
}

# Ports of the Listen lines of CONF.
ocspr__conf_ports()
{
    awk '$1 == "Listen" { n = split($2, a, ":"); print a[n] }' "$1"
}

# ocspr_port_served PORT: true once an httpd child answers on PORT: a TLS
# handshake completes, or a plain HTTP server answers the ClientHello.
ocspr_port_served()
{
    timeout 5 python3 - "$1" <<'EOF' 2>/dev/null
import socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3) as s:
        with ctx.wrap_socket(s, server_hostname="localhost"):
            pass
except ssl.SSLError as e:
    # a plain-HTTP port answers the ClientHello with an HTTP error
    sys.exit(0 if "WRONG_VERSION_NUMBER" in str(e) or "record layer" in str(e) else 1)
except OSError:
    sys.exit(1)
EOF
}

# Lines of the error log saying the server (re)started.
ocspr__httpd_generations()
{
    local n
    n=$(grep -c 'resuming normal operations' "$OCSPR_HTTPD_ERRORLOG" 2>/dev/null) || true
    echo "${n:-0}"
}

ocspr__pid_alive()
{
    kill -0 "$1" 2>/dev/null
}

ocspr__httpd_up()
{
    local pidfile=$1 port
    [ -s "$pidfile" ] || return 1
    for port in $(ocspr__conf_ports "$OCSPR_HTTPD_CONF"); do
        ocspr_port_served "$port" || return 1
    done
}

# ocspr_start_httpd CONF: `$HTTPD_BIN -f CONF -k start`, then wait (at most
# $OCSPR_START_TIMEOUT s) until the PID file exists and every Listen port is
# served. Sets OCSPR_HTTPD_PID and OCSPR_HTTPD_ERRORLOG; this httpd becomes
# the current one. Startup output goes to CONF.stderr.
ocspr_start_httpd()
{
    local conf=${1:?usage: ocspr_start_httpd CONF} pidfile deadline
    pidfile=$(ocspr__conf_value "$conf" PidFile)
    OCSPR_HTTPD_CONF=$conf
    OCSPR_HTTPD_ERRORLOG=$(ocspr__conf_value "$conf" ErrorLog)
    OCSPR_HTTPD_PID=
    OCSPR_HTTPD_CONFS+=("$conf")
    if ! "$HTTPD_BIN" -f "$conf" -k start </dev/null >"$conf.stderr" 2>&1; then
        cat "$conf.stderr" >&2
        ocspr_fail "httpd -f $conf -k start failed"
    fi
    deadline=$((SECONDS + OCSPR_START_TIMEOUT))
    while ! ocspr__httpd_up "$pidfile"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            ocspr_fail "httpd did not come up within ${OCSPR_START_TIMEOUT}s"
        fi
        if grep -qE 'Configuration Failed|\[[a-z_0-9]*:emerg\]' "$OCSPR_HTTPD_ERRORLOG" \
            "$conf.stderr" 2>/dev/null; then
            ocspr_fail "httpd failed to start"
        fi
        sleep 0.2
    done
    OCSPR_HTTPD_PID=$(cat "$pidfile")
    echo "httpd: pid $OCSPR_HTTPD_PID ($conf)"
}

# Signal the current httpd and wait until it has reloaded its config and
# serves its ports again.
ocspr__httpd_reload()
{
    local signal=$1 before deadline
    [ -n "$OCSPR_HTTPD_PID" ] || ocspr_fail "no httpd running"
    before=$(ocspr__httpd_generations)
    kill "-$signal" "$OCSPR_HTTPD_PID"
    deadline=$((SECONDS + OCSPR_START_TIMEOUT))
    while [ "$(ocspr__httpd_generations)" -le "$before" ] \
        || ! ocspr__httpd_up "$(ocspr__conf_value "$OCSPR_HTTPD_CONF" PidFile)"; do
        ocspr__pid_alive "$OCSPR_HTTPD_PID" || ocspr_fail "httpd exited on $signal"
        if [ "$SECONDS" -ge "$deadline" ]; then
            ocspr_fail "httpd did not come back within ${OCSPR_START_TIMEOUT}s after $signal"
        fi
        sleep 0.2
    done
}

# ocspr_httpd_graceful: graceful restart (SIGUSR1) of the current httpd,
# waiting until the new generation serves. Children of the old generation
# may still finish connections they had accepted.
ocspr_httpd_graceful()
{
    ocspr__httpd_reload USR1
}

# ocspr_httpd_restart: full restart (SIGHUP): children are killed, the
# config re-read, the parent PID stays.
ocspr_httpd_restart()
{
    ocspr__httpd_reload HUP
}

# ocspr__stop_pid PID SECONDS [GROUP]: SIGTERM PID, wait SECONDS for it (and
# its process group GROUP, if given) to go; then SIGKILL.
ocspr__stop_pid()
{
    local pid=$1 seconds=$2 group=${3:-} target
    target=$pid
    [ -n "$group" ] && target=-$group
    ocspr__pid_alive "$pid" && kill -TERM "$pid" 2>/dev/null
    if ! ocspr_wait_until "$seconds" ocspr__gone "$target"; then
        echo "warning: $target still alive after ${seconds}s, SIGKILL" >&2
        kill -KILL -- "$target" 2>/dev/null || true
        ocspr_wait_until 5 ocspr__gone "$target" || return 1
    fi
    # reap it if it is our child (a front); an httpd was detached
    wait "$pid" 2>/dev/null || true
    return 0
}

# ocspr__gone PID | -PGID: true once the process (or every process of the
# group) has exited; zombies count as gone (a container's init may be slow
# to reap the orphans of a detached httpd).
ocspr__gone()
{
    local alive
    if [ "${1#-}" != "$1" ]; then
        alive=$(ps -e -o pgid=,stat= | awk -v g="${1#-}" '$1 == g && $2 !~ /^Z/' | head -n 1)
    else
        alive=$(ps -o stat= -p "$1" | grep -v '^Z' || true)
    fi
    [ -z "$alive" ]
}

# ocspr_stop_httpd [CONF]: stop the current httpd (or the one of CONF) by the
# PID in its PID file: SIGTERM, wait up to $OCSPR_STOP_TIMEOUT s for the
# parent and its children (its process group: httpd -k start detaches into
# its own session), then SIGKILL the group.
# shellcheck disable=SC2120 # the argument is optional
ocspr_stop_httpd()
{
    ocspr__stop_httpd_conf "${1:-$OCSPR_HTTPD_CONF}" || ocspr_fail "httpd would not stop"
}

ocspr__stop_httpd_conf()
{
    local conf=$1 pidfile pid
    [ -n "$conf" ] || return 0
    pidfile=$(ocspr__conf_value "$conf" PidFile)
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [ -z "$pid" ] && [ "$conf" = "$OCSPR_HTTPD_CONF" ]; then
        pid=$OCSPR_HTTPD_PID
    fi
    if [ "$conf" = "$OCSPR_HTTPD_CONF" ]; then
        OCSPR_HTTPD_PID=
    fi
    [ -n "$pid" ] || return 0
    ocspr__stop_pid "$pid" "$OCSPR_STOP_TIMEOUT" "$pid"
}

# ------------------------------------------------------------------ clients

# ocspr_staple PORT [SNI]: one `openssl s_client -status` handshake with
# 127.0.0.1:PORT (SNI default localhost); prints the OCSP part: "no response
# sent", or the response status and Cert Status / This Update / Next Update
# (and revocation) lines. Fails if the handshake fails.
ocspr_staple()
{
    local port=${1:?usage: ocspr_staple PORT [SNI]} sni=${2:-localhost} out
    out=$(timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername "$sni" \
        -status </dev/null 2>&1) || true
    if ! grep -q '^OCSP response:' <<<"$out"; then
        echo "ocspr_staple: handshake with port $port failed:" >&2
        tail -n 5 <<<"$out" >&2
        return 1
    fi
    if grep -q '^OCSP response: no response sent' <<<"$out"; then
        echo "no response sent"
    else
        grep -E '^ *(OCSP Response Status|Cert Status|This Update|Next Update|Revocation (Time|Reason)):' \
            <<<"$out" | sed 's/^ *//' || true
    fi
}

# ocspr_staple_status PORT [SNI]: print exactly good, revoked, unknown or
# none (nothing stapled, or a response without a certificate status).
# Fails (printing none) if the handshake fails.
ocspr_staple_status()
{
    local out status
    out=$(ocspr_staple "$@") || { echo none; return 1; }
    status=$(sed -n 's/^Cert Status: *//p' <<<"$out" | head -n 1)
    case $status in
        good|revoked|unknown) echo "$status" ;;
        *) echo none ;;
    esac
}

# ocspr_wait_staple_status EXPECTED PORT [SNI] [SECONDS]: repeat handshakes
# (every 0.5 s, at most SECONDS, default 15) until the staple status is
# EXPECTED; prints the last status seen, fails if it never matched.
ocspr_wait_staple_status()
{
    local expected=$1 port=$2 sni=${3:-localhost} seconds=${4:-15} status deadline tries
    deadline=$((SECONDS + seconds))
    tries=$((seconds * 2 + 1))
    while :; do
        status=$(ocspr_staple_status "$port" "$sni" || true)
        tries=$((tries - 1))
        if [ "$status" = "$expected" ] || [ "$tries" -le 0 ] || [ "$SECONDS" -ge "$deadline" ]; then
            break
        fi
        sleep 0.5
    done
    echo "$status"
    [ "$status" = "$expected" ]
}

# ocspr_curl_cert_status PORT CAFILE [SNI]: fetch https://SNI:PORT/ (SNI
# default localhost, resolved to 127.0.0.1) with `curl --cert-status`,
# verifying the chain against CAFILE; returns curl's exit code (0: a valid
# good staple; 91: no or bad staple, or revoked).
ocspr_curl_cert_status()
{
    local port=${1:?usage: ocspr_curl_cert_status PORT CAFILE [SNI]} cafile=${2:?} sni=${3:-localhost}
    local rc=0
    curl -sS -o /dev/null -m 10 --cert-status --cacert "$cafile" \
        --resolve "$sni:$port:127.0.0.1" "https://$sni:$port/" || rc=$?
    return "$rc"
}

# ocspr_handshake_ms PORT [SNI]: milliseconds one `openssl s_client -status`
# run against PORT takes (process start included: compare with a baseline
# measured the same way).
ocspr_handshake_ms()
{
    local port=${1:?usage: ocspr_handshake_ms PORT [SNI]} sni=${2:-localhost} start end
    start=$(date +%s%N)
    timeout 30 openssl s_client -connect "127.0.0.1:$port" -servername "$sni" -status \
        </dev/null >/dev/null 2>&1 || true
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}

# ocspr_check_error_log [ALLOWED_REGEX]: fail listing every warn, error,
# crit, alert or emerg line of the current httpd's error log, every child
# crash and sanitizer report in it, and every line httpd printed at startup,
# that does not match the extended ALLOWED_REGEX.
ocspr_check_error_log()
{
    local allowed=${1:-} log=${OCSPR_HTTPD_ERRORLOG:-$T/error.log} bad
    bad=$( {
        grep -E '\[[a-z_0-9]*:(warn|error|crit|alert|emerg)\]' "$log" 2>/dev/null || true
        # A child that died on a signal (a crash, a sanitizer abort) is logged
        # only at notice level, and sanitizer reports carry no level at all.
        grep -E 'exit signal (Segmentation|Aborted|Bus|Illegal|Floating)|AddressSanitizer|runtime error:' \
            "$log" 2>/dev/null || true
        if [ -n "$OCSPR_HTTPD_CONF" ]; then
            grep -v '^[[:space:]]*$' "$OCSPR_HTTPD_CONF.stderr" 2>/dev/null || true
        fi
    } | { if [ -n "$allowed" ]; then grep -Ev -- "$allowed" || true; else cat; fi; } )
    if [ -n "$bad" ]; then
        printf '%s\n' "$bad" >&2
        # The machine's fault, not the module's: apache2-bin is newer than libssl3.
        if grep -q 'AH01882' <<<"$bad"; then
            ocspr_fail "AH01882 in $log: mod_ssl was built against a newer OpenSSL than the" \
                "libssl3 installed. Fix: apt-get install --only-upgrade libssl3 openssl libssl-dev" \
                "(or ./test/install-deps.sh), then rerun"
        fi
        ocspr_fail "unexpected lines in $log (above)"
    fi
    ocspr_pass "no unexpected warnings in $log"
}

# ------------------------------------------------------------------ cleanup

ocspr__show_log()
{
    if [ -s "$1" ]; then
        echo "---- $1 (last ${2:-50} lines)" >&2
        tail -n "${2:-50}" "$1" >&2
    fi
}

ocspr__on_exit()
{
    local rc=$? conf pid
    set +e
    trap - EXIT
    for conf in "${OCSPR_HTTPD_CONFS[@]+"${OCSPR_HTTPD_CONFS[@]}"}"; do
        ocspr__stop_httpd_conf "$conf" || echo "httpd of $conf would not stop" >&2
    done
    for pid in "${OCSPR_FRONT_PIDS[@]+"${OCSPR_FRONT_PIDS[@]}"}" \
               "${OCSPR_OTHER_PIDS[@]+"${OCSPR_OTHER_PIDS[@]}"}"; do
        ocspr__stop_pid "$pid" 5
    done
    if [ "$rc" != 0 ] && [ -n "$T" ]; then
        for conf in "${OCSPR_HTTPD_CONFS[@]+"${OCSPR_HTTPD_CONFS[@]}"}"; do
            ocspr__show_log "$conf.stderr"
            ocspr__show_log "$(ocspr__conf_value "$conf" ErrorLog)" 80
        done
        for pid in "$T"/front-*.log; do
            ocspr__show_log "$pid" 20
            ocspr__show_log "${pid%.log}.stderr" 20
        done
        echo "== $OCSPR_T_NAME: FAILED (rc $rc); files in $T" >&2
    elif [ -n "$OCSPR_T_NAME" ]; then
        echo "== $OCSPR_T_NAME: PASSED"
    fi
    exit "$rc"
}
