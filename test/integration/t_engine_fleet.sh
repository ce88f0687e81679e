#!/usr/bin/env bash
# Two servers share one memcached as their fleet exchange (issue 11):
#   1. A host joining with the responder down staples the fleet's response
#      at once: server A fetches and publishes; server B, started with the
#      responder stopped and an empty store, staples the very response A
#      fetched from its first handshake, and the responder saw one request.
#   2. An older response never replaces a newer one in the exchange: B is
#      stopped, A fetches a newer response (refresh now) and publishes it;
#      B starts again with the older response in its store and must leave
#      the exchange holding A's newer one.
set -euo pipefail
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/fleet-lib.sh"
ocspr_t_init engine_fleet

engine_pki_and_front
fleet_start_backend memcache
ID=$(fleet_cert_id good)
http_a=$(ocspr_free_port)
http_b=$(ocspr_free_port)
port_a=$(ocspr_free_port)
port_b=$(ocspr_free_port)
fleet_host_conf a "$http_a" memcache "$(engine_vhost "$port_a" good)"
fleet_host_conf b "$http_b" memcache "$(engine_vhost "$port_b" good)"

# exchange_this_update: thisUpdate (epoch) of good.pem's record in memcached.
exchange_this_update()
{
    fleet_kv memcache get "$(fleet_key_of memcache good)" "$T/exchange.rec"
    fleet_record_info "$T/exchange.rec" | cut -d' ' -f3
}

echo "-- 1. B joins with the responder down"
ocspr_start_httpd "$T/a/httpd.conf"
engine_assert_good "$port_a" "server A staples what it fetched"
this_a=$(engine_staple_field 'This Update')
fleet_wait_key memcache good 20 >/dev/null
ocspr_stop_front
ocspr_start_httpd "$T/b/httpd.conf"
engine_assert_good "$port_b" "server B, responder down, first handshake"
ocspr_assert_eq "$this_a" "$(engine_staple_field 'This Update')" \
    "server B staples the very response server A fetched"
ocspr_assert_eq fleet "$(fleet_cert_field "$http_b" "$ID" source)" "server B: source of its response"
ocspr_assert_eq 1 "$(ocspr_front_requests)" "responder requests for the fleet"

echo "-- 2. B restarts with an older stored response"
ocspr_start_front "$ENGINE_PKI" "$ENGINE_FRONT_PORT"
# B fetches a response of its own (the exchange holds only the one B has)
# and publishes it; A adopts it, then fetches a newer one and publishes that.
# B, stopped meanwhile, restarts with its own, older, response in its store.
step() { # HTTP_PORT WHAT: refresh now on that server, wait for the exchange to change
    local before
    before=$(exchange_this_update)
    sleep 1     # thisUpdate has a resolution of one second
    fleet_refresh_now "$1" "$ID"
    exchange_changed() { [ "$(exchange_this_update)" != "$before" ]; }
    ocspr_wait_until 20 exchange_changed || ocspr_fail "$2: the exchange still holds thisUpdate $before"
    ocspr_pass "$2: thisUpdate $before -> $(exchange_this_update) in the exchange"
}
step "$http_b" "server B fetched and published"
[ -n "$(ls -A "$T/b/store")" ] || ocspr_fail "server B stored nothing after its fetch"
this_b=$(exchange_this_update)
ocspr_stop_httpd "$T/b/httpd.conf"
fleet_expect_adoption "$http_a" "$ID" "$this_b" || ocspr_fail "server A did not adopt B's newer response"
ocspr_pass "server A adopted B's newer response"
step "$http_a" "server A fetched a newer response and published it"
new_this=$(exchange_this_update)
ocspr_start_httpd "$T/b/httpd.conf"
engine_assert_good "$port_b" "server B after its restart"
# Leave B's leader a few checks (3 s apart) to publish what it holds.
sleep 10
ocspr_assert_eq "$new_this" "$(exchange_this_update)" \
    "thisUpdate in the exchange after B restarted with an older response"
ocspr_stop_httpd "$T/b/httpd.conf"
ocspr_check_error_log
ocspr_stop_httpd "$T/a/httpd.conf"
OCSPR_HTTPD_ERRORLOG=$T/a/error.log OCSPR_HTTPD_CONF=$T/a/httpd.conf ocspr_check_error_log
