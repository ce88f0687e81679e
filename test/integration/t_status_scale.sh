#!/usr/bin/env bash
# The status page with a few hundred certificates (one SNI vhost each, one
# CA), some of them failing (their responder is down):
#  - ?json counts every certificate, and says "stapled" for exactly the
#    sampled vhosts whose handshake gets a staple;
#  - the default HTML page lists the failing ones first and in full, every
#    other one on one line, stays far under 1 MB, and headless Chromium
#    renders it (DOM checked; screenshot under $OCSPR_TEST_WORK/artifacts/);
#  - the filters (?state=, ?vhost=, ?id=) select for HTML and JSON, and a
#    one-line row's link opens that certificate in full;
#  - Prometheus and ?auto stay well formed at this size.
# Prints the page sizes and how long each took to serve.
# Needs: python3-prometheus-client, chromium (Debian packages).
set -euo pipefail
. "$OCSPR_TEST_SRCDIR/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"

ocspr_t_init status_scale
N=${OCSPR_STATUS_SCALE_CERTS:-300}
FAILING=20                      # the first FAILING sites ask a responder that is down
ocspr_status_tools

ENGINE_FRONT_PORT=$(ocspr_free_port)
ENGINE_PKI=$T/pki
ocspr_make_pki "$ENGINE_PKI" "$ENGINE_FRONT_PORT"

# N leaves site0..site<N-1>.example, one EC key for all (keys are not what
# this test is about), issued by int and listed as valid in the index.
make_sites()
{
    local i serial expiry
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$ENGINE_PKI/site.key" 2>/dev/null
    # one request; `x509 -subj` names each certificate (one process each)
    openssl req -new -key "$ENGINE_PKI/site.key" -subj "/CN=site" -out "$T/site.csr" 2>/dev/null
    expiry=$(date -u -d '+29 days' +%y%m%d%H%M%SZ)
    for ((i = 0; i < N; i++)); do
        cat > "$T/site.ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:site$i.example
authorityInfoAccess = OCSP;URI:http://127.0.0.1:$ENGINE_FRONT_PORT/ocsp
EOF
        serial=$(printf '5C%014X' "$i")
        openssl x509 -req -in "$T/site.csr" -subj "/O=ocspr scale/CN=site$i.example" -CA "$ENGINE_PKI/int.pem" -CAkey "$ENGINE_PKI/int.key" \
            -set_serial "0x$serial" -days 30 -extfile "$T/site.ext" -out "$ENGINE_PKI/site$i.pem" 2>/dev/null
        cat "$ENGINE_PKI/site$i.pem" "$ENGINE_PKI/int.pem" > "$ENGINE_PKI/site$i.chain.pem"
        printf 'V\t%s\t\t%s\tunknown\t/O=ocspr scale/CN=site%d.example\n' "$expiry" "$serial" "$i" \
            >> "$ENGINE_PKI/index.txt"
    done
    chmod -R a+rX "$ENGINE_PKI"
}
started=$(date +%s)
make_sites
echo "made $N certificates in $(( $(date +%s) - started )) s"
ocspr_start_front "$ENGINE_PKI" "$ENGINE_FRONT_PORT"

HTTP_PORT=$(ocspr_free_port)
TLS_PORT=$(ocspr_free_port)
DEAD_PORT=$(ocspr_free_port)    # nothing ever listens here
engine_instance scale
site_vhost()
{
    ocspr_vhost "$TLS_PORT" "$ENGINE_PKI/site$1.chain.pem" "$ENGINE_PKI/site.key" \
        "ServerName site$1.example" "OCSPRefresh On" "${@:2}"
}
{
    ocspr_httpd_base_conf --dir "$ENGINE_DIR" --listen "$HTTP_PORT" --listen "$TLS_PORT"
    engine_globals
    ocspr_status_location
    for ((i = 0; i < N; i++)); do
        if [ "$i" -lt "$FAILING" ]; then
            site_vhost "$i" "OCSPRefreshResponder http://127.0.0.1:$DEAD_PORT/ocsp"
        else
            site_vhost "$i"
        fi
    done
} > "$ENGINE_DIR/httpd.conf"
chmod 644 "$ENGINE_DIR/httpd.conf"
ocspr_start_httpd "$ENGINE_DIR/httpd.conf"
BASE=http://127.0.0.1:$HTTP_PORT

# fetch PATH OUT: GET into OUT; prints "bytes seconds"; fails on anything but 200.
fetch()
{
    local out code
    out=$(curl -sS -m 60 -o "$2" -w '%{http_code} %{size_download} %{time_total}' "$BASE$1") \
        || ocspr_fail "GET $1 failed"
    code=${out%% *}
    [ "$code" = 200 ] || ocspr_fail "GET $1: HTTP $code"
    echo "${out#* }"
}
json_stapled()
{
    fetch '/ocsp-status?json' "$T/wait.json" >/dev/null
    python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))["summary"]
sys.exit(0 if d["stapled"] == int(sys.argv[2]) and d["failing"] == int(sys.argv[3]) else 1)' \
        "$T/wait.json" "$((N - FAILING))" "$FAILING"
}
ocspr_wait_until 180 json_stapled \
    || ocspr_fail "not every certificate is stapled (or failing) after 180 s: $(python3 -c \
        'import json,sys; print(json.load(open(sys.argv[1]))["summary"])' "$T/wait.json")"
ocspr_pass "$((N - FAILING)) of $N stapled, $FAILING failing"

# ---------------------------------------------------------------- JSON vs handshakes
read -r JSON_BYTES JSON_SECS < <(fetch '/ocsp-status?json' "$T/all.json")
SAMPLE=()
for ((i = 0; i < N; i += N / 12)); do
    SAMPLE+=("$i")
done
SAMPLE+=(1 "$FAILING" "$((N - 1))")
for i in "${SAMPLE[@]}"; do
    engine_handshake "$TLS_PORT" "site$i.example" \
        || ocspr_fail "handshake with site$i.example failed"
    echo "site$i.example $ENGINE_LAST_STATUS"
done > "$T/handshakes.txt"
python3 - "$T/all.json" "$T/handshakes.txt" "$N" "$FAILING" <<'EOF' || ocspr_fail "JSON and handshakes disagree"
import json, sys
d = json.load(open(sys.argv[1]))
n, failing = int(sys.argv[3]), int(sys.argv[4])
assert d['summary']['certificates'] == n and len(d['certificates']) == n
by_vhost = {c['vhosts'][0].rsplit(':', 1)[0]: c for c in d['certificates']}
seen = [l.split() for l in open(sys.argv[2])]
for vhost, status in seen:
    c = by_vhost[vhost]
    assert c['stapled'] == (status == 'good'), (vhost, status, c['state'], c['stapled'])
    assert c['state'] == ('failing' if int(vhost[4:].split('.')[0]) < failing else 'good'), c
print("%d sampled handshakes agree with the JSON" % len(seen))
EOF
ocspr_pass "the JSON's \"stapled\" is what the sampled handshakes got"

# ---------------------------------------------------------------- the HTML page
read -r HTML_BYTES HTML_SECS < <(fetch '/ocsp-status' "$T/page.html")
python3 - "$T/page.html" "$N" "$FAILING" <<'EOF' || ocspr_fail "the default HTML page is wrong"
import sys
html = open(sys.argv[1], encoding='utf-8').read()
n, failing = int(sys.argv[2]), int(sys.argv[3])
size = len(html.encode('utf-8'))
assert size < 1024 * 1024, size
full, brief = html.count('<tr class="cert '), html.count('<tr class="brief ')
assert full == failing and brief == n - failing, (full, brief)
# problems first, in full; then one line each
assert html.index('<tr class="cert problem"') < html.index('<tr class="brief fine"')
assert html.count('data-state="failing"') == failing
print("HTML: %d bytes, %d full rows, %d one-line rows" % (size, full, brief))
EOF
ocspr_pass "default page: the failing in full, first; the others one line each"

ocspr_chromium 90 --dump-dom "$BASE/ocsp-status" > "$T/page.dom.html" \
    || ocspr_fail "chromium --dump-dom failed (see $T/chromium.stderr)"
python3 - "$T/page.dom.html" "$N" "$FAILING" <<'EOF' || ocspr_fail "the DOM Chromium built is wrong"
import sys
dom = open(sys.argv[1], encoding='utf-8').read()
n, failing = int(sys.argv[2]), int(sys.argv[3])
assert dom.count('<tr class="cert ') == failing and dom.count('<tr class="brief ') == n - failing
assert 'site%d.example' % (n - 1) in dom and '</html>' in dom
print("DOM: %d rows rendered" % n)
EOF
ocspr_chromium 90 --screenshot="$ARTIFACTS/status-page-scale.png" --window-size=1280,1600 \
    "$BASE/ocsp-status" || ocspr_fail "chromium --screenshot failed"
ocspr_pass "Chromium renders the page with every row"

# ---------------------------------------------------------------- filters
ID=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print([c["id"] for c in d["certificates"] if c["vhosts"][0].startswith("site123.")][0])' "$T/all.json")
fetch '/ocsp-status?json&state=failing' "$T/failing.json" >/dev/null
fetch '/ocsp-status?json&vhost=site123.example' "$T/vhost.json" >/dev/null
fetch "/ocsp-status?json&id=${ID:0:12}" "$T/id.json" >/dev/null
fetch '/ocsp-status?state=good' "$T/good.html" >/dev/null
fetch "/ocsp-status?id=$ID" "$T/one.html" >/dev/null
fetch '/ocsp-status?state=failing&vhost=site123.example' "$T/none.html" >/dev/null
python3 - "$T" "$ID" "$N" "$FAILING" "$TLS_PORT" <<'EOF' || ocspr_fail "the filters select the wrong certificates"
import json, sys
t, cid, n, failing, port = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
f = json.load(open(t + '/failing.json'))
assert len(f['certificates']) == failing and {c['state'] for c in f['certificates']} == {'failing'}
assert f['filter'] == {'state': ['failing'], 'vhost': None, 'id': None, 'matched': failing}, f['filter']
assert f['summary']['certificates'] == n
v = json.load(open(t + '/vhost.json'))
assert [c['vhosts'] for c in v['certificates']] == [['site123.example:' + port]], v['certificates']
assert v['certificates'][0]['id'] == cid
i = json.load(open(t + '/id.json'))
assert [c['id'] for c in i['certificates']] == [cid], [c['id'] for c in i['certificates']]
good = open(t + '/good.html', encoding='utf-8').read()
assert good.count('<tr class="brief fine" data-state="good">') == n - failing
assert '%d of %d certificates match' % (n - failing, n) in good
# the link of a one-line row opens that certificate, in full
assert ('<a href="?id=%s">' % cid) in good
one = open(t + '/one.html', encoding='utf-8').read()
assert one.count('<tr class="cert ') == 1 and ('id="cert-%s"' % cid) in one
assert 'No certificate matches.' in open(t + '/none.html', encoding='utf-8').read()
print("filters: state, vhost, id (prefix), combined, for JSON and HTML")
EOF
ocspr_pass "filters select for JSON and HTML; a one-line row links to the full one"

# ---------------------------------------------------------------- machines
read -r PROM_BYTES PROM_SECS < <(fetch '/ocsp-status?prometheus' "$T/metrics.txt")
read -r AUTO_BYTES AUTO_SECS < <(fetch '/server-status?auto' "$T/auto.txt")
"$PY" - "$T/metrics.txt" "$T/auto.txt" "$N" "$FAILING" <<'EOF' || ocspr_fail "Prometheus or ?auto wrong"
import re, sys
from prometheus_client.parser import text_string_to_metric_families
n, failing = int(sys.argv[3]), int(sys.argv[4])
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1], encoding='utf-8').read())}
stapled = fams['ocsp_refresh_certificate_stapled'].samples
assert len(stapled) == n and sum(s.value for s in stapled) == n - failing
auto = open(sys.argv[2], encoding='utf-8').read().split('\n')
ours = [l for l in auto if l.startswith('OCSPRefresh')]
assert all(re.fullmatch(r'OCSPRefresh[A-Za-z0-9]+: [^\x00-\x1f]*', l) for l in ours)
assert 'OCSPRefreshStapled: %d' % (n - failing) in ours and 'OCSPRefreshFailing: %d' % failing in ours
print("Prometheus: %d families; ?auto: %d lines" % (len(fams), len(ours)))
EOF
ocspr_pass "Prometheus and ?auto parse at $N certificates"

echo "figures ($N certificates, $FAILING failing): HTML $HTML_BYTES bytes in $HTML_SECS s," \
     "JSON $JSON_BYTES bytes in $JSON_SECS s, Prometheus $PROM_BYTES bytes in $PROM_SECS s," \
     "?auto $AUTO_BYTES bytes in $AUTO_SECS s"
ocspr_stop_httpd
ocspr_check_error_log 'OCSPR0202: '
