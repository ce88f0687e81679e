#!/usr/bin/env bash
# The status page of a host with a fleet exchange (a real memcached):
#  - JSON, Prometheus, ?auto and the HTML page name the exchange and report
#    its health and the responses published to it, with the same numbers;
#  - with memcached killed and a refresh asked for, every format says the
#    exchange fails (errors, last error), while handshakes keep their staple.
# Needs: memcached, python3-prometheus-client, chromium (Debian packages).
set -euo pipefail
. "$OCSPR_TEST_SRCDIR/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/fleet-lib.sh"

ocspr_t_init status_fleet
ocspr_status_tools

engine_pki_and_front
fleet_start_backend memcache
SPEC=$(fleet_spec memcache)
HTTP_PORT=$(ocspr_free_port)
P_GOOD=$(ocspr_free_port)
fleet_host_conf host "$HTTP_PORT" memcache "$(engine_vhost "$P_GOOD" good)"
ocspr_start_httpd "$ENGINE_DIR/httpd.conf"
BASE=http://127.0.0.1:$HTTP_PORT
engine_assert_good "$P_GOOD" "staple with the exchange up"
ID=$(fleet_cert_id good)

published() { [ "$(fleet_cert_field "$HTTP_PORT" "$ID" fleet_published)" -ge 1 ]; }
ocspr_wait_until 20 published || ocspr_fail "the fetched response was not published to $SPEC"

# snapshot WHEN: every format of the page into $T/WHEN.{json,prom,auto,html}.
snapshot()
{
    curl -sS -m 10 -o "$T/$1.json" "$BASE/ocsp-status?json" \
        && curl -sS -m 10 -o "$T/$1.prom" "$BASE/ocsp-status?prometheus" \
        && curl -sS -m 10 -o "$T/$1.auto" "$BASE/server-status?auto" \
        && curl -sS -m 10 -o "$T/$1.html" "$BASE/ocsp-status" \
        || ocspr_fail "GET of the status page ($1) failed"
}

# judge WHEN HEALTHY: the four formats agree with each other and say HEALTHY.
judge()
{
    "$PY" - "$T/$1" "$2" "$SPEC" "$ID" <<'EOF'
import json, re, sys
from html.parser import HTMLParser
from prometheus_client.parser import text_string_to_metric_families
base, healthy, spec, cid = sys.argv[1], sys.argv[2] == 'yes', sys.argv[3], sys.argv[4]
d = json.load(open(base + '.json'))
f = d['fleet']
assert f['exchange'] == spec, f
assert f['healthy'] is healthy, f
assert (f['errors'] == 0) is healthy and (f['last_error'] is None) is healthy, f
assert f['last_ok_epoch'] and f['published'] >= 1, f
c = [c for c in d['certificates'] if c['id'] == cid][0]
assert c['stapled'] and c['source'] == 'network' and c['fleet_published'] == f['published'], c
fams = {x.name: x for x in text_string_to_metric_families(open(base + '.prom', encoding='utf-8').read())}
assert fams['ocsp_refresh_fleet_info'].samples[0].labels['exchange'] == spec
def one(name):
    return fams[name].samples[0].value
assert one('ocsp_refresh_fleet_published') == f['published']
assert one('ocsp_refresh_fleet_adopted') == f['adopted'] and one('ocsp_refresh_fleet_rejected') == f['rejected']
assert one('ocsp_refresh_fleet_errors') == f['errors']
assert ('ocsp_refresh_fleet_last_error_timestamp_seconds' in fams) is not healthy
auto = dict(l.split(': ', 1) for l in open(base + '.auto', encoding='utf-8').read().split('\n')
            if l.startswith('OCSPRefresh'))
assert auto['OCSPRefreshFleet'] == spec and int(auto['OCSPRefreshFleetPublished']) == f['published']
assert int(auto['OCSPRefreshFleetErrors']) == f['errors']
assert ('OCSPRefreshFleetLastError' in auto) is not healthy
html = open(base + '.html', encoding='utf-8').read()
box = re.search(r'<section class="box" id="fleet">.*?</section>', html, re.S).group(0)
assert '<code>%s</code>' % spec in box, box
badge = re.search(r'<span class="badge (\w+)">([A-Z ]+)</span>', box).groups()
assert badge == (('ok', 'OK') if healthy else ('bad', 'FAILING')), badge
assert 'published %d' % f['published'] in box, box
if not healthy:
    assert 'Last error' in box and spec in box
print("fleet %s: %s, published %d, errors %d, in JSON, Prometheus, ?auto and HTML"
      % (spec, 'healthy' if healthy else 'failing', f['published'], f['errors']))
EOF
}

snapshot up
judge up yes || ocspr_fail "the exchange's health is not reported alike in every format"
ocspr_pass "every format names $SPEC, healthy, with the same published count"

# An outage: memcached gone, a refresh asked for (the leader reads the
# exchange before it fetches, and publishes after).
fleet_kill_backend memcache
fleet_refresh_now "$HTTP_PORT" "$ID"
unhealthy() { [ "$(fleet_exchange_field "$HTTP_PORT" healthy)" = False ]; }
ocspr_wait_until 20 unhealthy || ocspr_fail "the page still calls $SPEC healthy 20 s into the outage"
engine_assert_good "$P_GOOD" "staple during the outage"
snapshot down
judge down no || ocspr_fail "the outage is not reported alike in every format"
ocspr_pass "every format says the exchange fails, with its last error"
ocspr_chromium 60 --screenshot="$ARTIFACTS/status-page-fleet.png" --window-size=1280,900 \
    "$BASE/ocsp-status" || ocspr_fail "chromium --screenshot failed (see $T/chromium.stderr)"
ocspr_pass "screenshot in $ARTIFACTS/status-page-fleet.png"

ocspr_stop_httpd
# mod_socache_memcache's own complaints while memcached is down, and ours.
ocspr_check_error_log 'AH0079[01]|scache_mc|OCSPR030[5-9]: .*(memcache|exchange|fleet)'
