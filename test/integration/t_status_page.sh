#!/usr/bin/env bash
# The status page against a real server: after the engine's scenarios (good,
# revoked, responder down, no OCSP URL) plus a certificate whose subject and
# responder URL carry markup, quotes and a newline,
#  - ?json matches what the handshakes and the certificates show;
#  - ?prometheus is accepted by a strict parser (python3-prometheus-client)
#    and carries the same facts, hostile label values intact;
#  - /server-status?auto has OCSPRefresh* lines, totals first, that parse;
#  - the HTML page is well formed, executes nothing, and headless Chromium
#    renders it (DOM checked; desktop and phone screenshots saved under
#    $OCSPR_TEST_WORK/artifacts/).
# Needs: python3-prometheus-client, chromium (Debian packages).
set -euo pipefail
. "$OCSPR_TEST_SRCDIR/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"

ocspr_t_init status_page
ocspr_status_tools

engine_pki_and_front

# A leaf whose subject has markup, quotes, an ampersand and a raw newline,
# and whose responder URL (still our front: the query is ignored) carries a
# script. Issued by int and listed in the index, so it staples.
make_hostile_cert()
{
    local pki=$ENGINE_PKI serial
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/hostile.key" 2>/dev/null
    openssl req -new -key "$pki/hostile.key" -out "$T/hostile.csr" \
        -subj $'/O=Evil "Corp" \'q\' & co\nline2/OU=<script>alert(1)<\\/script>/CN=hostile.test'
    cat > "$T/hostile.ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
authorityInfoAccess = OCSP;URI:http://127.0.0.1:$ENGINE_FRONT_PORT/ocsp?q=\\"><script>document.title=1337</script>
EOF
    serial=$(openssl rand -hex 8 | tr 'a-f' 'A-F')
    openssl x509 -req -in "$T/hostile.csr" -CA "$pki/int.pem" -CAkey "$pki/int.key" \
        -set_serial "0x$serial" -days 30 -extfile "$T/hostile.ext" -out "$pki/hostile.pem" 2>/dev/null
    cat "$pki/hostile.pem" "$pki/int.pem" > "$pki/hostile.chain.pem"
    printf 'V\t%s\t\t%s\tunknown\t/CN=hostile.test\n' \
        "$(date -u -d '+29 days' +%y%m%d%H%M%SZ)" "$serial" >> "$pki/index.txt"
    chmod a+r "$pki"/hostile.*
}
make_hostile_cert

HTTP_PORT=$(ocspr_free_port)
P_GOOD=$(ocspr_free_port)
P_REVOKED=$(ocspr_free_port)
P_NOOCSP=$(ocspr_free_port)
P_DOWN=$(ocspr_free_port)
P_HOSTILE=$(ocspr_free_port)
DEAD_PORT=$(ocspr_free_port)     # nothing ever listens here: the responder is down

engine_instance page
ocspr_write_httpd_conf "$ENGINE_DIR/httpd.conf" --dir "$ENGINE_DIR" --listen "$HTTP_PORT" \
    --listen "$P_GOOD" --listen "$P_REVOKED" --listen "$P_NOOCSP" --listen "$P_DOWN" \
    --listen "$P_HOSTILE" -- \
    "$(engine_globals)" \
    "$(ocspr_status_location)" \
    "$(engine_vhost "$P_GOOD" good)" \
    "$(engine_vhost "$P_REVOKED" revoked)" \
    "$(engine_vhost "$P_NOOCSP" noocsp)" \
    "$(engine_vhost "$P_DOWN" mustaple "OCSPRefreshResponder http://127.0.0.1:$DEAD_PORT/ocsp")" \
    "$(engine_vhost "$P_HOSTILE" hostile)"
ocspr_start_httpd "$ENGINE_DIR/httpd.conf"
BASE=http://127.0.0.1:$HTTP_PORT

# What the clients observe.
engine_assert_good "$P_GOOD" "staple of good"
GOOD_NEXT=$(engine_epoch "$(engine_staple_field 'Next Update')")
GOOD_THIS=$(engine_epoch "$(engine_staple_field 'This Update')")
engine_handshake "$P_REVOKED" || ocspr_fail "handshake with the revoked vhost failed"
ocspr_assert_eq revoked "$ENGINE_LAST_STATUS" "staple of revoked"
REVOKED_AT=$(engine_epoch "$(engine_staple_field 'Revocation Time')")
engine_handshake "$P_HOSTILE" || ocspr_fail "handshake with the hostile vhost failed"
ocspr_assert_eq good "$ENGINE_LAST_STATUS" "staple of the hostile certificate"
engine_handshake "$P_DOWN" || ocspr_fail "handshake with the responder-down vhost failed"
ocspr_assert_eq none "$ENGINE_LAST_STATUS" "staple with the responder down"

serial_of() { openssl x509 -in "$ENGINE_PKI/$1.pem" -noout -serial | cut -d= -f2; }
export EXP_NOW=$(date +%s) EXP_GOOD_NEXT=$GOOD_NEXT EXP_GOOD_THIS=$GOOD_THIS \
    EXP_REVOKED_AT=$REVOKED_AT EXP_DEAD_PORT=$DEAD_PORT EXP_FRONT_PORT=$ENGINE_FRONT_PORT \
    EXP_SERIAL_GOOD=$(serial_of good) EXP_SERIAL_REVOKED=$(serial_of revoked) \
    EXP_SERIAL_HOSTILE=$(serial_of hostile) \
    EXP_P_GOOD=$P_GOOD EXP_P_REVOKED=$P_REVOKED EXP_P_NOOCSP=$P_NOOCSP EXP_P_DOWN=$P_DOWN \
    EXP_P_HOSTILE=$P_HOSTILE

# fetch PATH OUT: GET BASE/PATH into OUT (body) and OUT.headers; fails on
# anything but 200.
fetch()
{
    local code
    code=$(curl -sS -m 10 -o "$2" -D "$2.headers" -w '%{http_code}' "$BASE$1") \
        || ocspr_fail "GET $1 failed"
    [ "$code" = 200 ] || ocspr_fail "GET $1: HTTP $code"
}
header() { sed -n "s/^$1: *//Ip" "$2.headers" | tr -d '\r' | head -n 1; }

# ---------------------------------------------------------------- JSON
fetch '/ocsp-status?json' "$T/status.json"
ocspr_assert_eq "application/json" "$(header Content-Type "$T/status.json")" "JSON content type"
ocspr_assert_eq "no-store" "$(header Cache-Control "$T/status.json")" "JSON Cache-Control"
python3 - "$T/status.json" <<'EOF' || ocspr_fail "the JSON does not match what was observed"
import json, os, sys
raw = open(sys.argv[1], 'rb').read()
assert b'<' not in raw and b'>' not in raw, "markup characters are not escaped in the JSON"
d = json.loads(raw.decode('utf-8'))          # strict: control characters refused
E = os.environ
now = int(E['EXP_NOW'])
assert abs(d['generated_epoch'] - now) < 60, d['generated_epoch']
assert d['active'] is True and d['leader_pid'], (d['active'], d['leader_pid'])
s = d['summary']
want = dict(certificates=5, stapled=2, good=2, revoked=1, failing=1, not_applicable=1,
            pending=0, unknown=0, refresh_failing=0)
for k, v in want.items():
    assert s[k] == v, "summary %s: %r, expected %r" % (k, s[k], v)
by_port = {}
for c in d['certificates']:
    for v in c['vhosts']:
        by_port[v.rsplit(':', 1)[1]] = c
good, revoked = by_port[E['EXP_P_GOOD']], by_port[E['EXP_P_REVOKED']]
noocsp, down, hostile = by_port[E['EXP_P_NOOCSP']], by_port[E['EXP_P_DOWN']], by_port[E['EXP_P_HOSTILE']]

def check(c, **kv):
    for k, v in kv.items():
        assert c[k] == v, "%s: %s = %r, expected %r" % (c['subject'], k, c[k], v)

for c in (good, revoked, hostile):
    check(c, stapled=True, served=True, not_served_reason=None, fleet_adopted=0, fleet_published=0,
          fleet_rejected=0, fleet_last_reject_reason=None)
check(down, stapled=False, served=False, held_status=None)
check(noocsp, stapled=False, held_status=None)
assert d['fleet'] is None and d['filter'] is None, (d['fleet'], d['filter'])
assert 'version' in d
check(good, state='good', status='good', serial=E['EXP_SERIAL_GOOD'], source='network', held_status='good',
      next_update_epoch=int(E['EXP_GOOD_NEXT']), this_update_epoch=int(E['EXP_GOOD_THIS']),
      consecutive_failures=0, last_outcome='ok', key_type='RSA-2048', must_staple=False,
      subject='CN=good.test,O=ocspr test', revocation_reason=None, refresh_requested=False)
assert good['responder_url'] == 'http://127.0.0.1:%s/ocsp' % E['EXP_FRONT_PORT']
assert good['fetch_attempts'] == {'ok': 1} and good['fetch_failures'] == 0, good['fetch_attempts']
assert 0 < good['seconds_left'] <= 86400 and abs(good['seconds_left'] - (good['next_update_epoch'] - now)) < 60
assert good['next_update'].endswith('Z') and good['next_update'][10] == 'T'
assert good['next_refresh_epoch'] < good['next_update_epoch'] and good['seconds_to_next_refresh'] > 0
assert 100 < good['response_size_bytes'] < 10000 and good['last_fetch_latency_seconds'] >= 0
assert good['certificate_seconds_left'] > 300 * 86400

check(revoked, state='revoked', status='revoked', revocation_reason='keyCompromise',
      revocation_time_epoch=int(E['EXP_REVOKED_AT']), serial=E['EXP_SERIAL_REVOKED'])

check(noocsp, state='not_applicable', status='not_applicable', responder_url=None,
      seconds_left=None, next_update=None, last_attempt=None, fetch_failures=0)
assert 'no OCSP responder' in noocsp['not_applicable_reason'], noocsp['not_applicable_reason']

check(down, state='failing', status='none', last_outcome='refused', must_staple=True,
      this_update=None, seconds_left=None)
assert down['responder_url'] == 'http://127.0.0.1:%s/ocsp' % E['EXP_DEAD_PORT']
assert down['consecutive_failures'] >= 1 and down['fetch_attempts'].get('refused', 0) >= 1
assert down['fetch_failures'] == down['fetch_attempts']['refused'], down
assert E['EXP_DEAD_PORT'] in down['last_reason'], down['last_reason']

check(hostile, state='good', status='good', serial=E['EXP_SERIAL_HOSTILE'], key_type='EC-prime256v1')
assert '<script\\>alert(1)' in hostile['subject'] and '\\"Corp\\"' in hostile['subject'], hostile['subject']
assert "'q' & co" in hostile['subject'], hostile['subject']
assert hostile['responder_url'].endswith('/ocsp?q="><script>document.title=1337</script>'), hostile['responder_url']
assert s['soonest_response_expiry_epoch'] == min(c['next_update_epoch'] for c in (good, revoked, hostile))
print("JSON: %d certificates as observed" % s['certificates'])
EOF
ocspr_pass "JSON matches the handshakes and the certificates"

# Filters in the query string, for JSON and HTML; a bad value is a 400 that
# says what is wrong.
fetch "/ocsp-status?json&state=revoked,failing" "$T/filtered.json"
fetch "/ocsp-status?vhost=localhost:$P_GOOD&json" "$T/vhost.json"
fetch "/ocsp-status?state=revoked" "$T/filtered.html"
python3 - "$T/filtered.json" "$T/vhost.json" "$T/filtered.html" "$P_GOOD" <<'EOF' || ocspr_fail "filters select the wrong certificates"
import json, sys
d = json.load(open(sys.argv[1]))
assert sorted(c['state'] for c in d['certificates']) == ['failing', 'revoked'], d['certificates']
assert d['filter']['matched'] == 2 and d['summary']['certificates'] == 5, (d['filter'], d['summary'])
v = json.load(open(sys.argv[2]))
assert [c['vhosts'] for c in v['certificates']] == [['localhost:' + sys.argv[4]]], v['certificates']
html = open(sys.argv[3], encoding='utf-8').read()
assert html.count('<tr class="cert ') == 1 and 'data-state="revoked"' in html, html.count('<tr class="cert ')
assert '1 of 5 certificates match' in html
EOF
code=$(curl -sS -m 10 -o "$T/bad-filter.txt" -w '%{http_code}' "$BASE/ocsp-status?state=fine&json")
ocspr_assert_eq 400 "$code" "HTTP status of ?state=fine"
grep -q 'state=fine: unknown state (known: problems, good,' "$T/bad-filter.txt" \
    || ocspr_fail "the 400 does not say what is wrong: $(cat "$T/bad-filter.txt")"
ocspr_pass "filters (?state=, ?vhost=) select for JSON and HTML; a bad value is a clear 400"
HOSTILE_ID=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print([c["id"] for c in d["certificates"] if "hostile" in c["subject"]][0])' "$T/status.json")

# ---------------------------------------------------------------- Prometheus
fetch '/ocsp-status?prometheus' "$T/status.prom"
ocspr_assert_eq "text/plain; version=0.0.4; charset=utf-8" \
    "$(header Content-Type "$T/status.prom")" "Prometheus content type"
"$PY" - "$T/status.prom" "$T/status.json" <<'EOF' || ocspr_fail "Prometheus output rejected or wrong"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1], encoding='utf-8').read()
d = json.load(open(sys.argv[2]))
fams = {f.name: f for f in text_string_to_metric_families(text)}   # raises on any syntax error
for line in text.splitlines():
    if line.startswith('# TYPE '):
        name = line.split()[2]
        assert any(line.startswith('# HELP ' + name + ' ') for line in text.splitlines()), name
need = ['ocsp_refresh_certificates', 'ocsp_refresh_certificate_status', 'ocsp_refresh_certificate_info',
        'ocsp_refresh_response_valid_seconds', 'ocsp_refresh_next_refresh_seconds',
        'ocsp_refresh_fetch_attempts', 'ocsp_refresh_fetch_failures', 'ocsp_refresh_last_fetch_latency_seconds',
        'ocsp_refresh_consecutive_failures', 'ocsp_refresh_certificate_expiry_seconds']
need += ['ocsp_refresh_certificate_stapled', 'ocsp_refresh_build_info']
for n in need:
    assert n in fams, "missing family " + n
assert len(fams['ocsp_refresh_build_info'].samples) == 1 and fams['ocsp_refresh_build_info'].samples[0].labels['version']
assert not [n for n in fams if n.startswith('ocsp_refresh_fleet')], "fleet series without a fleet"
assert fams['ocsp_refresh_fetch_attempts'].type == 'counter'
def samples(fam, **labels):
    return [s for s in fams[fam].samples if all(s.labels.get(k) == v for k, v in labels.items())]
by_state = {s.labels['state']: s.value for s in fams['ocsp_refresh_certificates'].samples}
for k in ('good', 'revoked', 'failing', 'not_applicable'):
    assert by_state[k] == d['summary'][k], (k, by_state[k])
for c in d['certificates']:
    st = {s.labels['status']: s.value for s in samples('ocsp_refresh_certificate_status', id=c['id'])}
    assert st[c['status']] == 1 and sum(st.values()) == 1, (c['id'], st)
    stapled = samples('ocsp_refresh_certificate_stapled', id=c['id'])
    if c['responder_url']:
        assert stapled[0].value == (1 if c['stapled'] else 0), (c['id'], stapled)
    # label values come back exactly: escaping is lossless for valid text
    info = samples('ocsp_refresh_certificate_info', id=c['id'])[0]
    assert info.labels['subject'] == c['subject'], (info.labels['subject'], c['subject'])
    assert info.labels['responder'] == (c['responder_url'] or ''), info.labels
    assert info.labels['serial'] == c['serial']
    if c['seconds_left'] is not None:
        v = samples('ocsp_refresh_response_valid_seconds', id=c['id'])[0].value
        assert abs(v - c['seconds_left']) < 60, (v, c['seconds_left'])
    fails = samples('ocsp_refresh_fetch_failures', id=c['id'])
    if c['responder_url']:
        assert fails[0].value == c['fetch_failures'], (fails, c['fetch_failures'])
        for outcome, n in c['fetch_attempts'].items():
            got = samples('ocsp_refresh_fetch_attempts', id=c['id'], outcome=outcome)
            assert got and got[0].value >= n, (c['id'], outcome, got, n)
    else:
        assert not fails and not samples('ocsp_refresh_next_refresh_seconds', id=c['id'])
print("Prometheus: %d families, %d samples parsed" % (len(fams), sum(len(f.samples) for f in fams.values())))
EOF
ocspr_pass "Prometheus exposition parsed strictly and matches the JSON"

# ---------------------------------------------------------------- mod_status
fetch '/server-status?auto' "$T/server-status.auto"
python3 - "$T/server-status.auto" "$T/status.json" <<'EOF' || ocspr_fail "?auto lines wrong"
import json, re, sys
lines = open(sys.argv[1], encoding='utf-8').read().split('\n')
d = json.load(open(sys.argv[2]))
ours = [(i, l) for i, l in enumerate(lines) if l.startswith('OCSPRefresh')]
assert ours, "no OCSPRefresh lines"
kv = {}
for i, l in ours:
    m = re.fullmatch(r'(OCSPRefresh[A-Za-z0-9]+): (.*)', l)
    assert m, "unparseable line %r" % l
    assert all(ord(ch) >= 0x20 for ch in m.group(2)), l
    kv[m.group(1)] = (i, m.group(2))
assert int(kv['OCSPRefreshCertificates'][1]) == 5 and int(kv['OCSPRefreshStapled'][1]) == 2
assert int(kv['OCSPRefreshRevoked'][1]) == 1 and int(kv['OCSPRefreshFailing'][1]) == 1
assert int(kv['OCSPRefreshNotApplicable'][1]) == 1
first_cert = min(i for i, l in ours if l.startswith('OCSPRefreshCert0'))
assert all(i < first_cert for k, (i, v) in kv.items() if not k.startswith('OCSPRefreshCert')), "totals first"
for n, c in enumerate(d['certificates']):
    assert kv['OCSPRefreshCert%dId' % n][1] == c['id']
    assert kv['OCSPRefreshCert%dStatus' % n][1] == c['status']
    assert kv['OCSPRefreshCert%dState' % n][1] == c['state']
    assert int(kv['OCSPRefreshCert%dConsecutiveFailures' % n][1]) == c['consecutive_failures']
print("?auto: %d OCSPRefresh lines" % len(ours))
EOF
ocspr_pass "/server-status?auto has parseable OCSPRefresh lines, totals first"
fetch '/server-status' "$T/server-status.html"
grep -q 'OCSP stapling (mod_ocsp_refresh)' "$T/server-status.html" \
    || ocspr_fail "no mod_ocsp_refresh section in /server-status"
grep -q '<script' "$T/server-status.html" && ocspr_fail "/server-status contains <script"
ocspr_pass "/server-status has the section, hostile text escaped"

# ---------------------------------------------------------------- HTML
fetch '/ocsp-status' "$T/status.html"
ocspr_assert_eq "text/html; charset=utf-8" "$(header Content-Type "$T/status.html")" "HTML content type"
ocspr_assert_match "default-src 'none'; style-src 'sha256-" \
    "$(header Content-Security-Policy "$T/status.html")" "Content-Security-Policy"
python3 - "$T/status.html" <<'EOF' || ocspr_fail "the HTML is not as expected"
import sys
from html.parser import HTMLParser
VOID = {'meta', 'input', 'br', 'hr', 'img', 'link'}
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.tags, self.text, self.errors, self.attrs = [], [], [], [], []
    def handle_starttag(self, tag, attrs):
        self.tags.append(tag); self.attrs.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)
    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("unbalanced </%s> (open: %s)" % (tag, self.stack[-3:]))
        else:
            self.stack.pop()
    def handle_data(self, data):
        self.text.append(data)
p = P()
p.feed(open(sys.argv[1], encoding='utf-8').read())
p.close()
assert not p.errors and not p.stack, (p.errors, p.stack)
assert 'script' not in p.tags, "a <script> element is in the page"
assert all(not k.startswith('on') for t, a in p.attrs for k in a), "an event handler attribute"
text = ''.join(p.text)
assert '<script\\>alert(1)' in text and '"><script>document.title=1337</script>' in text
rows = [a for t, a in p.attrs if t == 'tr' and 'cert' in a.get('class', '')]
assert len(rows) == 5, len(rows)
states = sorted(a['data-state'] for a in rows)
assert states == ['failing', 'good', 'good', 'not_applicable', 'revoked'], states
assert 'REVOKED' in text and 'FAILING' in text and 'NOT APPLICABLE' in text and 'MUST-STAPLE' in text
assert not [a for t, a in p.attrs if t == 'form' and a.get('method') != 'get'], \
    "refresh forms shown with OCSPRefreshStatusActions off"
assert [a for t, a in p.attrs if t == 'form' and a.get('method') == 'get'], "no filter form"
print("HTML: balanced, 5 rows, no script, hostile text shown as text")
EOF
ocspr_pass "HTML page well formed, hostile text inert"

# ---------------------------------------------------------------- Chromium
ocspr_chromium 60 --dump-dom "$BASE/ocsp-status" > "$T/status.dom.html" \
    || ocspr_fail "chromium --dump-dom failed (see $T/chromium.stderr)"
python3 - "$T/status.dom.html" "$HOSTILE_ID" <<'EOF' || ocspr_fail "the DOM Chromium built is wrong"
import re, sys
dom = open(sys.argv[1], encoding='utf-8').read()
hostile = sys.argv[2]
assert '<title>OCSP stapling status: 127.0.0.1</title>' in dom, re.findall(r'<title>.*?</title>', dom)
assert '<script' not in dom.lower(), "a script element in the DOM"
assert len(re.findall(r'<tr class="cert ', dom)) == 5
row = re.search(r'<tr class="cert [^"]*" id="cert-%s".*?</tr>' % hostile, dom, re.S).group(0)
assert 'OU=\\&lt;script\\&gt;alert(1)\\&lt;/script\\&gt;' in row, row[:600]
assert '"&gt;&lt;script&gt;document.title=1337&lt;/script&gt;' in row, row[:2000]
assert 'Evil \\"Corp\\" \'q\' &amp; co\\0Aline2' in row, row[:600]
print("DOM: 5 rows, title intact, hostile text is text")
EOF
ocspr_pass "Chromium's DOM: rows present, nothing injected"
ocspr_chromium 60 --screenshot="$ARTIFACTS/status-page-desktop.png" --window-size=1280,900 "$BASE/ocsp-status" \
    || ocspr_fail "chromium --screenshot (desktop) failed"
ocspr_chromium 60 --screenshot="$ARTIFACTS/status-page-phone.png" --window-size=390,844 "$BASE/ocsp-status" \
    || ocspr_fail "chromium --screenshot (phone) failed"
for f in status-page-desktop status-page-phone; do
    [ "$(head -c 8 "$ARTIFACTS/$f.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] \
        || ocspr_fail "$ARTIFACTS/$f.png is not a PNG"
done
ocspr_pass "screenshots in $ARTIFACTS"

ocspr_stop_httpd
ocspr_check_error_log 'OCSPR0202: |OCSPR0203: '

# ---------------------------------------------------------------- nothing stapled
# Every certificate not applicable: no shared state exists, and the page
# still lists them.
echo "-- only a certificate without OCSP URL"
engine_instance none
ocspr_write_httpd_conf "$ENGINE_DIR/httpd.conf" --dir "$ENGINE_DIR" --listen "$HTTP_PORT" \
    --listen "$P_NOOCSP" -- "$(engine_globals)" \
    "<Location /ocsp-status>
    SetHandler ocsp-refresh-status
</Location>" \
    "$(engine_vhost "$P_NOOCSP" noocsp)"
ocspr_start_httpd "$ENGINE_DIR/httpd.conf"
fetch '/ocsp-status?json' "$T/none.json"
fetch '/ocsp-status?prometheus' "$T/none.prom"
fetch '/ocsp-status' "$T/none.html"
fetch '/server-status?auto' "$T/none.auto"
"$PY" - "$T/none.json" "$T/none.prom" "$T/none.auto" <<'EOF' || ocspr_fail "the page without stapling is wrong"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
d = json.load(open(sys.argv[1]))
assert d['active'] is False and d['leader_pid'] is None, d
assert [c['state'] for c in d['certificates']] == ['not_applicable'], d['certificates']
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[2]).read())}
assert fams['ocsp_refresh_active'].samples[0].value == 0
assert 'OCSPRefreshCert0State: not_applicable' in open(sys.argv[3]).read().split('\n')
EOF
grep -q 'data-state="not_applicable"' "$T/none.html" || ocspr_fail "the HTML does not list the certificate"
ocspr_pass "without stapling, the page lists the certificate as not applicable"
ocspr_stop_httpd
ocspr_check_error_log
