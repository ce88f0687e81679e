#!/usr/bin/env bash
# Every certificate stapled at scale (issue 9): N certificates (default 300),
# one SNI vhost each, one CA, one responder. On a sample of 50 vhosts spread
# over the range, every handshake gets a valid staple -- `openssl s_client
# -status` sees a successful, good, current response, and `curl
# --cert-status` verifies its signature against the test root -- after the
# start, after a graceful restart, and after a full restart with the store
# kept and the responder down. Each time the status JSON agrees with those
# handshakes: per sampled certificate ("stapled" before a handshake means
# that handshake got a staple; a handshake that got one means "stapled"
# right after), and in total (all N "stapled", and every sampled handshake
# stapled).
set -euo pipefail
. "$OCSPR_TEST_SRCDIR/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/scale-lib.sh"

ocspr_t_init scale
N=${OCSPR_SCALE_CERTS:-300}
SAMPLE_SIZE=50
[ "$N" -ge "$SAMPLE_SIZE" ] || ocspr_fail "OCSPR_SCALE_CERTS must be at least $SAMPLE_SIZE"

ENGINE_FRONT_PORT=$(ocspr_free_port)
ENGINE_PKI=$T/pki
ocspr_make_pki "$ENGINE_PKI" "$ENGINE_FRONT_PORT"
started=$SECONDS
scale_make_sites "$ENGINE_PKI" "$ENGINE_FRONT_PORT" "$N"
echo "made $N certificates in $((SECONDS - started)) s"
ocspr_start_front "$ENGINE_PKI" "$ENGINE_FRONT_PORT"

HTTP_PORT=$(ocspr_free_port)
TLS_PORT=$(ocspr_free_port)
engine_instance scale
{
    ocspr_httpd_base_conf --dir "$ENGINE_DIR" --listen "$HTTP_PORT" --listen "$TLS_PORT"
    engine_globals
    ocspr_status_location
    for ((i = 0; i < N; i++)); do
        scale_site_vhost "$TLS_PORT" "$i" "OCSPRefresh On"
    done
} > "$ENGINE_DIR/httpd.conf"
chmod 644 "$ENGINE_DIR/httpd.conf"
mapfile -t SAMPLE < <(scale_sample "$N" "$SAMPLE_SIZE")

# status_json FILE: save the status page's JSON.
status_json()
{
    curl -sS -f -m 30 -o "$1" "http://127.0.0.1:$HTTP_PORT/ocsp-status?json" \
        || ocspr_fail "GET /ocsp-status?json failed"
}

# handshake_sample OUT: one s_client and one curl handshake per sampled vhost;
# OUT gets "site<I>.scale.test STATUS CURL_RC" per vhost, where STATUS is
# "stapled" for a successful, good, current staple (anything else: what
# s_client saw) and CURL_RC is curl --cert-status's exit code.
handshake_sample()
{
    local i vhost status rc
    : > "$1"
    for i in "${SAMPLE[@]}"; do
        vhost=site$i.$SCALE_DOMAIN
        engine_handshake "$TLS_PORT" "$vhost" || ocspr_fail "handshake with $vhost failed"
        status=$ENGINE_LAST_STATUS
        engine_staple_is_valid_good && status=stapled
        rc=0
        ocspr_curl_cert_status "$TLS_PORT" "$ENGINE_PKI/root.pem" "$vhost" 2>/dev/null || rc=$?
        echo "$vhost $status $rc" >> "$1"
    done
}

# check_phase NAME all|consistent: sample the handshakes between two JSON
# snapshots. Each sampled certificate: "stapled" in the first snapshot =>
# its handshake stapled; stapled => "stapled" in the second; s_client and
# curl agree. With "all": every sampled handshake stapled, and both
# snapshots count all N as stapled.
check_phase()
{
    local name=$1 want=$2 dir=$T/$1
    mkdir -p "$dir"
    status_json "$dir/before.json"
    handshake_sample "$dir/handshakes.txt"
    status_json "$dir/after.json"
    python3 - "$dir" "$N" "$want" <<'EOF' || ocspr_fail "$name: the handshakes and the status JSON disagree"
import json, sys
d, n, want = sys.argv[1], int(sys.argv[2]), sys.argv[3]
snap = {}
for which in ('before', 'after'):
    page = json.load(open('%s/%s.json' % (d, which)))
    assert page['summary']['certificates'] == n, page['summary']
    snap[which] = (page['summary']['stapled'],
                   {c['vhosts'][0].rsplit(':', 1)[0]: c['stapled'] for c in page['certificates']})
bad = []
stapled = 0
for line in open(d + '/handshakes.txt'):
    vhost, status, curl_rc = line.split()
    got = status == 'stapled'
    stapled += got
    if (curl_rc == '0') != got:
        bad.append('%s: s_client saw %s but curl --cert-status exited %s' % (vhost, status, curl_rc))
    if snap['before'][1][vhost] and not got:
        bad.append('%s: the JSON said stapled, the handshake got %s' % (vhost, status))
    if got and not snap['after'][1][vhost]:
        bad.append('%s: the handshake got a staple, the JSON said not stapled' % vhost)
sampled = sum(1 for _ in open(d + '/handshakes.txt'))
print('%d of %d sampled handshakes stapled; JSON stapled %d then %d of %d'
      % (stapled, sampled, snap['before'][0], snap['after'][0], n))
if want == 'all':
    if stapled != sampled:
        bad.append('%d of %d sampled handshakes got no valid staple' % (sampled - stapled, sampled))
    for which in ('before', 'after'):
        if snap[which][0] != n:
            bad.append('JSON %s the handshakes: stapled %d of %d' % (which, snap[which][0], n))
for b in bad[:20]:
    print('  ' + b)
sys.exit(1 if bad else 0)
EOF
    ocspr_pass "$name: the handshakes on $SAMPLE_SIZE vhosts and the status JSON agree ($want)"
}

all_stapled()
{
    status_json "$T/wait.json"
    [ "$(scale_json_summary "$T/wait.json" stapled)" = "$N" ]
}

# ---------------------------------------------------------------- start
started=$SECONDS
ocspr_start_httpd "$ENGINE_DIR/httpd.conf"
echo "httpd with $N vhosts serving after $((SECONDS - started)) s"
check_phase start-early consistent
ocspr_wait_until 90 all_stapled \
    || ocspr_fail "not all $N certificates stapled 90 s after the start:" \
        "$(scale_json_summary "$T/wait.json" stapled) stapled"
echo "all $N stapled $((SECONDS - started)) s after the start"
check_phase start all

# ---------------------------------------------------------------- graceful restart
ocspr_httpd_graceful
check_phase graceful all

# ---------------------------------------------------------------- store kept, responder down
ocspr_stop_httpd
ocspr_stop_front
ocspr_start_httpd "$ENGINE_DIR/httpd.conf"
check_phase store-responder-down all
ocspr_assert_match "OCSPR0105: startup: $N of $N responses loaded from the store" \
    "$(grep 'OCSPR0105: ' "$OCSPR_HTTPD_ERRORLOG" | tail -n 1)" \
    "the last start, with the responder down"
ocspr_stop_httpd
ocspr_check_error_log
