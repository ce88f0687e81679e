#!/usr/bin/env bash
# The main job, on loopback: build mod_ocsp_refresh, make a throw-away PKI,
# start OpenSSL's OCSP responder (behind a loopback-only front) and Apache
# with the module, and show the OCSP response stapled in a real handshake.
#
#   ./demo.sh          set up and start everything, print the staple
#   ./demo.sh stop     stop the demo's Apache and responder (by PID)
#
# Everything lives in $OCSPR_DEMO_DIR (default /tmp/ocspr-demo); ports are
# $OCSPR_DEMO_PORT (HTTPS, default 8443) and $OCSPR_DEMO_OCSP_PORT (default 8888).
set -euo pipefail
top=$(cd "$(dirname "$0")" && pwd)
dir=${OCSPR_DEMO_DIR:-/tmp/ocspr-demo}
port=${OCSPR_DEMO_PORT:-8443}
ocsp_port=${OCSPR_DEMO_OCSP_PORT:-8888}
httpd=${HTTPD_BIN:-/usr/sbin/apache2}
moddir=/usr/lib/apache2/modules

stop_pidfile() { # FILE WHAT
    local pid
    [ -f "$1" ] || return 0
    pid=$(cat "$1")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
        echo "stopped $2 (pid $pid)"
    fi
    rm -f "$1"
}

if [ "${1:-}" = stop ]; then
    stop_pidfile "$dir/httpd.pid" Apache
    stop_pidfile "$dir/front.pid" "OCSP responder"
    exit 0
fi

echo "== 1. packages and build"
"$top/test/install-deps.sh"
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build" -j"$(nproc)" --target mod_ocsp_refresh >/dev/null
echo "built $top/build/mod_ocsp_refresh.so"

"$0" stop >/dev/null 2>&1 || true
rm -rf "$dir"
mkdir -p "$dir"
chmod 755 "$dir"

echo "== 2. throw-away PKI (root, intermediate, OCSP responder, leaf) in $dir/pki"
"$top/test/pki/make-pki.sh" "$dir/pki" "$ocsp_port"
chmod -R a+rX "$dir/pki"

echo "== 3. OCSP responder: openssl ocsp behind a loopback front on 127.0.0.1:$ocsp_port"
python3 "$top/test/pki/ocsp-front.py" --pki "$dir/pki" --port "$ocsp_port" --ndays 1 \
    --pidfile "$dir/front.pid" --log "$dir/front.log" </dev/null >"$dir/front.err" 2>&1 &
for _ in $(seq 50); do [ -s "$dir/front.pid" ] && break; sleep 0.2; done

echo "== 4. Apache with mod_ocsp_refresh on https://127.0.0.1:$port/"
mkdir -p "$dir/store" "$dir/run" "$dir/htdocs"
user_lines=""
if [ "$(id -u)" = 0 ]; then
    user_lines=$'User www-data\nGroup www-data'
    chown www-data:www-data "$dir/store"
fi
echo "stapled by mod_ocsp_refresh" > "$dir/htdocs/index.html"
cat > "$dir/httpd.conf" <<CONF
ServerRoot "$dir"
ServerName 127.0.0.1
PidFile "$dir/httpd.pid"
DefaultRuntimeDir "$dir/run"
ErrorLog "$dir/error.log"
LogLevel warn ocsp_refresh:info
LoadModule mpm_event_module $moddir/mod_mpm_event.so
LoadModule authz_core_module $moddir/mod_authz_core.so
LoadModule authz_host_module $moddir/mod_authz_host.so
LoadModule mime_module $moddir/mod_mime.so
LoadModule socache_shmcb_module $moddir/mod_socache_shmcb.so
LoadModule ssl_module $moddir/mod_ssl.so
LoadModule status_module $moddir/mod_status.so
LoadModule ocsp_refresh_module $top/build/mod_ocsp_refresh.so
$user_lines
Listen 127.0.0.1:$port
TypesConfig /etc/mime.types
DocumentRoot "$dir/htdocs"
<Directory "$dir/htdocs">
    Require all granted
</Directory>

OCSPRefreshStore "$dir/store"

<VirtualHost 127.0.0.1:$port>
    ServerName localhost
    SSLEngine on
    SSLCertificateFile "$dir/pki/good.chain.pem"
    SSLCertificateKeyFile "$dir/pki/good.key"
    OCSPRefresh On

    # The status page: HTML, ?json and ?prometheus, for local clients only.
    <Location "/ocsp-status">
        SetHandler ocsp-refresh-status
        Require local
    </Location>
</VirtualHost>
CONF
if ! "$httpd" -f "$dir/httpd.conf" -k start </dev/null >"$dir/start.out" 2>&1; then
    cat "$dir/start.out" "$dir/error.log" >&2
    exit 1
fi
for _ in $(seq 50); do [ -s "$dir/httpd.pid" ] && break; sleep 0.2; done

echo "== 5. the very first handshake: openssl s_client -status"
openssl s_client -connect "127.0.0.1:$port" -servername localhost -status \
    -CAfile "$dir/pki/root.pem" </dev/null 2>/dev/null |
    sed -n '/^OCSP response:/,/Signature Algorithm/p' |
    grep -E "OCSP Response Status|Responder Id|Produced At|Serial Number|Cert Status|This Update|Next Update|no response sent"
echo "== 6. curl --cert-status"
if curl -sS --cert-status --cacert "$dir/pki/root.pem" \
        --resolve "localhost:$port:127.0.0.1" "https://localhost:$port/index.html"; then
    echo "curl verified the stapled OCSP response"
fi
echo "== 7. the status page: https://localhost:$port/ocsp-status (?json, ?prometheus)"
curl -sS --cacert "$dir/pki/root.pem" --resolve "localhost:$port:127.0.0.1" \
    "https://localhost:$port/ocsp-status?json" | python3 -c '
import json, sys
page = json.load(sys.stdin)
keys = ("subject", "vhosts", "state", "status", "this_update", "next_update", "next_refresh",
        "source", "last_outcome")
print(json.dumps({"summary": page["summary"],
                  "certificates": [{k: c[k] for k in keys} for c in page["certificates"]]},
                 indent=2))'
echo "== the module's log ($dir/error.log)"
grep ocsp_refresh "$dir/error.log" || true
cat <<EOF2

Running: Apache pid $(cat "$dir/httpd.pid"), OCSP responder pid $(cat "$dir/front.pid").
Responses stored in $dir/store (openssl ocsp -respin FILE -resp_text -noverify shows one).
Stop both with: ${OCSPR_DEMO_DIR:+OCSPR_DEMO_DIR=$dir }$0 stop
EOF2
