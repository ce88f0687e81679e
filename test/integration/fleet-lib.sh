# shellcheck shell=bash
# Helpers of the fleet integration tests (t_fleet_*.sh): a real memcached or
# redis-server on loopback as the fleet exchange, raw access to its keys (to
# look at what the module published and to forge records), Apache hosts that
# share it, handshake probes that check whose staple was served, and the
# status page's JSON and refresh action. Source it after lib.sh and
# engine-lib.sh (its PKI, instance dirs and vhosts).
#
#   . "$OCSPR_TEST_SRCDIR/integration/lib.sh"
#   . "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"
#   . "$OCSPR_TEST_SRCDIR/integration/fleet-lib.sh"
#   ocspr_t_init fleet_NAME
#
# Backends are named by their socache provider: memcache or redis.
#   fleet_start_backend KIND [PORT]   start memcached/redis-server (PORT: reuse
#                                     it, e.g. after a kill); FLEET_PORT[KIND],
#                                     FLEET_PID[KIND]
#   fleet_kill_backend KIND           SIGKILL it (an outage), wait until gone
#   fleet_spec KIND                   "memcache:127.0.0.1:PORT" for OCSPRefreshCache
#   fleet_loadmodule KIND             the provider's LoadModule line
#   fleet_kv KIND OP [ARGS]           raw access: keys | get KEY FILE |
#                                     set KEY FILE [TTL] | expiry KEY
#   fleet_record_info REC             id, status, times of a record file
#   fleet_record_forge OUT HDR BODY [fresh]   a record with HDR's header
#                                     around another body
#   fleet_cert_id LEAF                SHA-1 of LEAF's DER (the module's id), hex
#   fleet_cert_serial LEAF            LEAF's serial as OpenSSL prints it
#   fleet_key_of KIND LEAF            the key holding LEAF's record, or nothing
#   fleet_wait_key KIND LEAF SECONDS  wait for it; prints it
#   fleet_host_conf NAME HTTP_PORT KIND [PIECE...]  $T/NAME/httpd.conf of a
#                                     fleet host with the status page on
#                                     HTTP_PORT; pieces as ocspr_write_httpd_conf
#   fleet_probe PORT                  one handshake: "SERIAL STATUS NEXT_EPOCH START_MS"
#   fleet_probe_loop OUT N PAUSE PORT...  up to N handshakes cycling over PORTs,
#                                     one line per handshake ("PORT " + probe) in
#                                     OUT, until OUT.stop exists
#   fleet_judge_probes OUT PORT=LEAF:STATUS...   count wrong staples in OUT
#   fleet_json HTTP_PORT              the status page's ?json
#   fleet_cert_field HTTP_PORT ID FIELD   one certificate's JSON field
#   fleet_exchange_field HTTP_PORT FIELD  a field of the JSON's "fleet" object
#   fleet_refresh_now HTTP_PORT ID    the page's "refresh now" action
#   fleet_expect_adoption HTTP_PORT ID THIS_UPDATE   wait for a host to adopt
#                                     that response (refresh now after 8 s)

declare -A FLEET_PORT=() FLEET_PID=()

# ------------------------------------------------------------- backends

# fleet_start_backend memcache|redis [PORT]: start the server on
# 127.0.0.1:PORT (default a free port), tracked for the EXIT trap; wait
# until it answers.
fleet_start_backend()
{
    local kind=${1:?usage: fleet_start_backend memcache|redis [PORT]} port=${2:-} pid
    [ -n "$port" ] || port=$(ocspr_free_port)
    case $kind in
        memcache)
            command -v memcached >/dev/null \
                || ocspr_fail "memcached is not installed (test/install-deps.sh installs it)"
            local user=()
            [ "$(id -u)" = 0 ] && user=(-u nobody)
            memcached -l 127.0.0.1 -p "$port" -U 0 -m 16 "${user[@]}" \
                >>"$T/memcached-$port.log" 2>&1 &
            ;;
        redis)
            command -v redis-server >/dev/null \
                || ocspr_fail "redis-server is not installed (test/install-deps.sh installs it)"
            mkdir -p "$T/redis-$port"
            # No persistence: a restarted server starts empty, like memcached.
            redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
                --dir "$T/redis-$port" --protected-mode yes \
                >>"$T/redis-$port.log" 2>&1 &
            ;;
        *) ocspr_fail "fleet_start_backend: unknown backend $kind" ;;
    esac
    pid=$!
    ocspr_track_pid "$pid"
    FLEET_PORT[$kind]=$port
    FLEET_PID[$kind]=$pid
    ocspr_wait_until 10 fleet__answers "$kind" || ocspr_fail "$kind server on port $port did not answer"
    echo "$kind: pid $pid on 127.0.0.1:$port"
}

fleet__answers()
{
    fleet_kv "$1" keys >/dev/null 2>&1
}

# fleet_kill_backend KIND: SIGKILL the server (no goodbye to its clients) and
# wait until its port is closed.
fleet_kill_backend()
{
    local kind=${1:?usage: fleet_kill_backend KIND}
    kill -KILL "${FLEET_PID[$kind]}"
    wait "${FLEET_PID[$kind]}" 2>/dev/null || true
    ocspr_wait_until 10 fleet__port_closed "${FLEET_PORT[$kind]}" \
        || ocspr_fail "$kind still listens after SIGKILL"
}

fleet__port_closed()
{
    ! ocspr_port_listening "$1"
}

fleet_spec()
{
    echo "${1:?usage: fleet_spec KIND}:127.0.0.1:${FLEET_PORT[$1]:?no $1 server started}"
}

fleet_loadmodule()
{
    echo "LoadModule socache_${1:?usage: fleet_loadmodule KIND}_module $OCSPR_HTTPD_MODDIR/mod_socache_$1.so"
}

# fleet_kv KIND OP [ARGS]: talk to the backend's own protocol (memcached
# text protocol, redis RESP), byte-exact:
#   keys              every key, one a line (memcached: lru_crawler metadump)
#   get KEY FILE      the value into FILE; status 1 when absent
#   set KEY FILE [TTL]   store FILE's bytes (TTL seconds, default none)
#   expiry KEY        the key's expiry as seconds since the epoch (0: none)
fleet_kv()
{
    local kind=${1:?usage: fleet_kv KIND OP [ARGS]}
    shift
    python3 -c "$FLEET_KV_PY" "$kind" "${FLEET_PORT[$kind]:?no $kind server started}" "$@"
}

FLEET_KV_PY='
import socket, sys, urllib.parse

kind, port, op, args = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
sock = socket.create_connection(("127.0.0.1", port), timeout=5)
buf = b""

def read_line():
    global buf
    while b"\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            sys.exit("%s: connection closed" % kind)
        buf += chunk
    line, buf = buf.split(b"\r\n", 1)
    return line

def read_exact(n):
    global buf
    while len(buf) < n + 2:
        chunk = sock.recv(65536)
        if not chunk:
            sys.exit("%s: connection closed" % kind)
        buf += chunk
    data, buf = buf[:n], buf[n + 2:]
    return data

def redis(*words):
    out = b"*%d\r\n" % len(words)
    for w in words:
        w = w if isinstance(w, bytes) else str(w).encode()
        out += b"$%d\r\n%s\r\n" % (len(w), w)
    sock.sendall(out)
    return redis_reply()

def redis_reply():
    line = read_line()
    t, rest = line[:1], line[1:]
    if t == b"-":
        sys.exit("redis: " + rest.decode())
    if t in (b"+", b":"):
        return rest
    if t == b"$":
        return None if int(rest) < 0 else read_exact(int(rest))
    if t == b"*":
        return [redis_reply() for _ in range(int(rest))]
    sys.exit("redis: unexpected reply %r" % line)

def mc(command):
    sock.sendall(command)

def mc_metadump():
    """key -> fields of every item; the dump ends each item with a bare
    newline and the whole with END CRLF."""
    mc(b"lru_crawler metadump all\r\n")
    text = b""
    while not (text == b"END\r\n" or text.endswith(b"\nEND\r\n")):
        if text.startswith((b"ERROR", b"BUSY", b"CLIENT_ERROR", b"SERVER_ERROR")) and text.endswith(b"\r\n"):
            sys.exit("memcached: " + text.decode().strip())
        chunk = sock.recv(65536)
        if not chunk:
            sys.exit("memcached: connection closed")
        text += chunk
    items = {}
    for entry in text.split(b"\n"):
        if not entry.startswith(b"key="):
            continue
        fields = dict(f.split(b"=", 1) for f in entry.split(b" ") if b"=" in f)
        items[fields[b"key"]] = fields
    return items

if op == "keys":
    if kind == "redis":
        keys = redis("KEYS", "*")
    else:
        keys = [urllib.parse.unquote_to_bytes(k) for k in mc_metadump()]
    for k in sorted(keys):
        print(k.decode("latin-1"))
elif op == "get":
    key, path = args[0].encode("latin-1"), args[1]
    if kind == "redis":
        value = redis("GET", key)
    else:
        mc(b"get " + key + b"\r\n")
        line = read_line()
        value = None
        if line.startswith(b"VALUE "):
            value = read_exact(int(line.split()[3]))
            read_line()
    if value is None:
        sys.exit(1)
    with open(path, "wb") as f:
        f.write(value)
elif op == "set":
    key, path = args[0].encode("latin-1"), args[1]
    ttl = int(args[2]) if len(args) > 2 else 0
    data = open(path, "rb").read()
    if kind == "redis":
        reply = redis("SET", key, data, "EX", ttl) if ttl else redis("SET", key, data)
    else:
        mc(b"set %s 0 %d %d\r\n%s\r\n" % (key, ttl, len(data), data))
        reply = read_line()
    if reply not in (b"OK", b"STORED"):
        sys.exit("%s: set failed: %r" % (kind, reply))
elif op == "expiry":
    key = args[0].encode("latin-1")
    if kind == "redis":
        ms = int(redis("PEXPIRETIME", key))
        print(0 if ms < 0 else ms // 1000)
    else:
        items = {urllib.parse.unquote_to_bytes(k): v for k, v in mc_metadump().items()}
        if key not in items:
            sys.exit(1)
        print(max(int(items[key][b"exp"]), 0))
else:
    sys.exit("fleet_kv: unknown operation " + op)
'

# ---------------------------------------------------------------- records
# The record the module publishes (include/ocspr_record.h, version 2): a
# 60-byte header, big-endian, times in microseconds since the epoch:
#   0 magic "OCSR" | 4 version 2 | 5 cert status | 6 reserved (2)
#   8 certificate id (20) | 28 fetched | 36 thisUpdate | 44 nextUpdate
#   52 DER length (4) | 56 reserved (4) | 60 the DER OCSPResponse
# A forgery that only a full validation of the DER can catch needs a header
# that is right in every other respect, so the forging code knows the layout;
# it refuses any other version rather than forge something meaningless.

# fleet_record_info REC: "ID_HEX STATUS THIS_UPDATE NEXT_UPDATE DER_LEN"
# (times in seconds since the epoch) of the record in file REC.
fleet_record_info()
{
    python3 -c "$FLEET_RECORD_PY" info "${1:?usage: fleet_record_info REC}"
}

# fleet_record_forge OUT HEADER_REC BODY [fresh]: write to OUT a record with
# HEADER_REC's header (its certificate id and status) around BODY: the DER
# inside another record file, a raw DER file, or "random:N" (N random bytes
# that are not DER); the length field always matches. "fresh" makes the
# header claim fetched = thisUpdate = now, nextUpdate = now + 1 day: newer
# than anything a host holds.
fleet_record_forge()
{
    python3 -c "$FLEET_RECORD_PY" forge "${1:?usage: fleet_record_forge OUT HEADER_REC BODY [fresh]}" \
        "${2:?}" "${3:?}" "${4:-}"
}

FLEET_RECORD_PY='
import os, struct, sys, time

HDR = struct.Struct(">4sBBH20sqqqII")
MAGIC, VERSION = b"OCSR", 2

def parse(path):
    data = open(path, "rb").read()
    if len(data) < HDR.size or data[:4] != MAGIC:
        sys.exit("%s is not a mod_ocsp_refresh record" % path)
    fields = list(HDR.unpack_from(data))
    if fields[1] != VERSION:
        sys.exit("%s is a version %d record; fleet-lib.sh forges version %d only: "
                 "update it from include/ocspr_record.h" % (path, fields[1], VERSION))
    return fields, data[HDR.size:]

op = sys.argv[1]
if op == "info":
    f, body = parse(sys.argv[2])
    print(f[4].hex(), f[2], f[6] // 1000000, f[7] // 1000000, f[8])
elif op == "forge":
    out, header_rec, body_spec, fresh = sys.argv[2:6]
    f, _ = parse(header_rec)
    if body_spec.startswith("random:"):
        body = bytearray(os.urandom(int(body_spec[7:])))
        if body[0] == 0x30:
            body[0] = 0x00
        body = bytes(body)
    else:
        body = open(body_spec, "rb").read()
        if body[:4] == MAGIC:
            body = parse(body_spec)[1]
    if fresh == "fresh":
        now = int(time.time()) * 1000000
        f[5], f[6], f[7] = now, now, now + 86400 * 1000000
    f[8] = len(body)
    with open(out, "wb") as o:
        o.write(HDR.pack(*f) + body)
else:
    sys.exit("unknown operation " + op)
'

# ---------------------------------------------------------- certificates

# fleet_cert_id LEAF: the certificate id mod_ssl hands the module (SHA-1 of
# the DER of $ENGINE_PKI/LEAF.pem), lower-case hex.
fleet_cert_id()
{
    openssl x509 -in "$ENGINE_PKI/${1:?usage: fleet_cert_id LEAF}.pem" -outform DER \
        | sha1sum | cut -d' ' -f1
}

# fleet_cert_serial LEAF: the serial in upper-case hex without leading zeros
# (how fleet_probe reports the serial of a staple's CertID).
fleet_cert_serial()
{
    openssl x509 -in "$ENGINE_PKI/${1:?usage: fleet_cert_serial LEAF}.pem" -noout -serial \
        | sed 's/^serial=//; s/^0*//'
}

# fleet_key_of KIND LEAF: the key of the backend that holds LEAF's record:
# the providers store "<namespace>:" + the hex of the module's binary key,
# which contains the certificate id.
fleet_key_of()
{
    local id
    id=$(fleet_cert_id "$2")
    fleet_kv "$1" keys | grep -i -- "$id" || true
}

fleet__has_key()
{
    [ -n "$(fleet_key_of "$1" "$2")" ]
}

# fleet_wait_key KIND LEAF SECONDS: wait until LEAF's record is in the
# backend; print its key.
fleet_wait_key()
{
    ocspr_wait_until "${3:?usage: fleet_wait_key KIND LEAF SECONDS}" fleet__has_key "$1" "$2" \
        || ocspr_fail "no record for $2 appeared in $1 within $3 s (keys: $(fleet_kv "$1" keys | tr '\n' ' '))"
    fleet_key_of "$1" "$2"
}

# ------------------------------------------------------------------ hosts

# fleet_host_conf NAME HTTP_PORT KIND [PIECE...]: the config of a fleet host
# in the fresh instance dir $T/NAME (engine_instance: a store of its own):
# the provider module, OCSPRefreshCache on the KIND backend, a 3 s tick, the
# status page (with its refresh action) on HTTP_PORT, then each PIECE
# (vhosts, more directives). Listens on HTTP_PORT and on every vhost port.
fleet_host_conf()
{
    local name=${1:?usage: fleet_host_conf NAME HTTP_PORT KIND [PIECE...]} http=${2:?} kind=${3:?}
    shift 3
    local -a listen=(--listen "$http")
    local port
    engine_instance "$name"
    for port in $(printf '%s\n' "$@" | sed -n 's/^<VirtualHost 127\.0\.0\.1:\([0-9]*\)>.*/\1/p'); do
        listen+=(--listen "$port")
    done
    ocspr_write_httpd_conf "$ENGINE_DIR/httpd.conf" --dir "$ENGINE_DIR" "${listen[@]}" -- \
        "$(fleet_loadmodule "$kind")" \
        "$(engine_globals "OCSPRefreshCache $(fleet_spec "$kind")" "OCSPRefreshStatusActions On")" \
        "$(ocspr_status_location)" "$@"
}

# ----------------------------------------------------------------- probes

# fleet_probe PORT: one `openssl s_client -status` handshake; prints
# "SERIAL STATUS NEXT_UPDATE_EPOCH START_MS" for the stapled response's
# CertID serial (upper-case hex, no leading zeros), its status and
# nextUpdate; "- none - START_MS" when nothing was stapled and
# "- failed - START_MS" when the handshake failed.
fleet_probe()
{
    local port=${1:?usage: fleet_probe PORT} start out
    start=$(date +%s%3N)
    out=$(timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername localhost -status \
        </dev/null 2>&1) || true
    awk -v start="$start" '
        /^OCSP response:/ { seen = 1; if ($0 ~ /no response sent/) none = 1; ocsp = 1; next }
        ocsp && /^---/ { ocsp = 0 }
        ocsp && /Serial Number:/ && serial == "" { serial = $NF; sub(/^0+/, "", serial) }
        ocsp && /Cert Status:/ && status == "" { status = $NF }
        ocsp && /Next Update:/ && next_update == "" { sub(/^ *Next Update: */, ""); next_update = $0 }
        END {
            if (!seen) { print "- failed - " start; exit }
            if (none || status == "") { print "- none - " start; exit }
            cmd = "date -u -d \"" next_update "\" +%s"
            cmd | getline epoch
            close(cmd)
            print (serial == "" ? "-" : serial), status, (epoch == "" ? "-" : epoch), start
        }' <<<"$out"
}

# fleet_probe_loop OUT N PAUSE PORT...: up to N handshakes, cycling over
# the PORTs, PAUSE seconds apart, appending "PORT SERIAL STATUS NEXT_EPOCH
# START_MS" lines to OUT; ends early once the file OUT.stop exists or the
# test's shell has exited (a failed test). Meant to run in the background (&)
# while the test does other things.
fleet_probe_loop()
{
    local out=${1:?usage: fleet_probe_loop OUT N PAUSE PORT...} n=${2:?} pause=${3:?} i=0 port
    shift 3
    local -a ports=("$@")
    # $$ is the test's own shell, also in this background subshell.
    while [ "$i" -lt "$n" ] && [ ! -e "$out.stop" ] && kill -0 "$$" 2>/dev/null; do
        port=${ports[$((i % ${#ports[@]}))]}
        echo "$port $(fleet_probe "$port")" >>"$out"
        i=$((i + 1))
        [ "$pause" = 0 ] || sleep "$pause"
    done
}

# fleet_judge_probes OUT PORT=LEAF:STATUS...: check every probe line of OUT
# against the certificate each port serves: its serial and the expected
# status, a nextUpdate after the handshake started. Prints
#   "TOTAL WRONG_CERT WRONG_STATUS NONE FAILED EXPIRED"
# and the first offending lines (prefixed "bad:") on stderr.
fleet_judge_probes()
{
    local out=${1:?usage: fleet_judge_probes OUT PORT=LEAF:STATUS...} spec expect=""
    shift
    for spec in "$@"; do
        local port=${spec%%=*} leaf=${spec#*=}
        local status=${leaf#*:}
        leaf=${leaf%%:*}
        expect+="$port $(fleet_cert_serial "$leaf") $status"$'\n'
    done
    awk -v expect="$expect" '
        BEGIN {
            n = split(expect, lines, "\n")
            for (i = 1; i <= n; i++) if (split(lines[i], f, " ") == 3) { serial[f[1]] = f[2]; status[f[1]] = f[3] }
        }
        {
            total++
            bad = ""
            if ($3 == "failed") { failed++; bad = "handshake failed" }
            else if ($3 == "none") { none++; bad = "nothing stapled" }
            else {
                if ($2 != serial[$1]) { wrong_cert++; bad = "staple for serial " $2 ", not " serial[$1] }
                else if ($3 != status[$1]) { wrong_status++; bad = "status " $3 ", expected " status[$1] }
                if ($4 == "-" || $4 * 1000 <= $5) { expired++; bad = bad " expired staple (nextUpdate " $4 ")" }
            }
            if (bad != "" && shown++ < 10) print "bad: port " $1 " at " $5 ": " bad > "/dev/stderr"
        }
        END { print total + 0, wrong_cert + 0, wrong_status + 0, none + 0, failed + 0, expired + 0 }' "$out"
}

# ------------------------------------------------------------ status page

# fleet_json HTTP_PORT: the status page as JSON.
fleet_json()
{
    curl -sS -m 10 "http://127.0.0.1:${1:?usage: fleet_json HTTP_PORT}/ocsp-status?json"
}

# fleet_cert_field HTTP_PORT ID FIELD: FIELD of the certificate ID in the
# status JSON (empty when the field is absent, "None" for null).
fleet_cert_field()
{
    fleet_json "$1" | python3 -c 'import json, sys
cert = [c for c in json.load(sys.stdin)["certificates"] if c["id"] == sys.argv[1]]
print(cert[0].get(sys.argv[2], "") if cert else "")' "${2:?}" "${3:?usage: fleet_cert_field HTTP_PORT ID FIELD}"
}

# fleet_exchange_field HTTP_PORT FIELD: FIELD of the status JSON's "fleet"
# object (the exchange's health and totals).
fleet_exchange_field()
{
    fleet_json "$1" | python3 -c 'import json, sys
fleet = json.load(sys.stdin).get("fleet") or {}
print(fleet.get(sys.argv[1], ""))' "${2:?usage: fleet_exchange_field HTTP_PORT FIELD}"
}

# fleet_expect_adoption HTTP_PORT ID THIS_UPDATE: wait until the host holds,
# taken from the exchange (source fleet), the response whose thisUpdate is
# THIS_UPDATE (epoch): a maintenance pass may find it by itself; after 8 s
# the page's "refresh now" asks for it. False when it never does.
fleet_expect_adoption()
{
    ocspr_wait_until 8 fleet__holds_from_fleet "$@" && return 0
    fleet_refresh_now "$1" "$2"
    ocspr_wait_until 20 fleet__holds_from_fleet "$@"
}

fleet__holds_from_fleet()
{
    [ "$(fleet_cert_field "$1" "$2" this_update_epoch)" = "$3" ] \
        && [ "$(fleet_cert_field "$1" "$2" source)" = fleet ]
}

# fleet_refresh_now HTTP_PORT ID: post the status page's own "refresh now"
# form for certificate ID (as a browser would: the token from the page, a
# same-origin Origin); fails unless the page answers 303.
fleet_refresh_now()
{
    local http=${1:?usage: fleet_refresh_now HTTP_PORT ID} id=${2:?} page token code
    page=http://127.0.0.1:$http/ocsp-status
    token=$(curl -sS -m 10 "$page" | python3 -c '
import sys
from html.parser import HTMLParser
class Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields, self.found = None, {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.fields = {}
        elif tag == "input" and self.fields is not None and "name" in a:
            self.fields[a["name"]] = a.get("value", "")
    def handle_endtag(self, tag):
        if tag == "form" and self.fields is not None:
            if self.fields.get("id") == sys.argv[1]:
                self.found = self.fields
            self.fields = None
f = Forms()
f.feed(sys.stdin.read())
print(f.found.get("token", ""))' "$id")
    [ -n "$token" ] || ocspr_fail "the status page on port $http has no refresh form for $id"
    code=$(curl -sS -m 10 -o /dev/null -w '%{http_code}' -H "Origin: http://127.0.0.1:$http" \
        --data-urlencode action=refresh --data-urlencode "id=$id" \
        --data-urlencode "token=$token" "$page") || ocspr_fail "POST to $page failed"
    [ "$code" = 303 ] || ocspr_fail "refresh now for $id on port $http: HTTP $code, expected 303"
}
