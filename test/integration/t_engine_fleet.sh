#!/usr/bin/env bash
# A fleet shares one cache: two servers with OCSPRefreshCache memcache and no
# store. The first fetches; the second starts with the responder down and
# still staples, from the shared cache, what the first fetched.
set -euo pipefail
# shellcheck source=lib.sh
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
ocspr_t_init engine_fleet

command -v memcached >/dev/null || ocspr_fail "memcached is not installed (test/install-deps.sh installs it)"
mc_port=$(ocspr_free_port)
front_port=$(ocspr_free_port)
port_a=$(ocspr_free_port)
port_b=$(ocspr_free_port)
pki=$T/pki
ocspr_make_pki "$pki" "$front_port"

user=()
[ "$(id -u)" = 0 ] && user=(-u nobody)
memcached -l 127.0.0.1 -p "$mc_port" -U 0 -m 16 "${user[@]}" >"$T/memcached.log" 2>&1 &
ocspr_track_pid $!
ocspr_wait_until 10 ocspr_port_listening "$mc_port" || ocspr_fail "memcached did not listen"

server_conf() { # DIR PORT
    mkdir -p "$1"
    ocspr_write_httpd_conf "$1/httpd.conf" --dir "$1" --listen "$2" -- \
        "LoadModule socache_memcache_module $OCSPR_HTTPD_MODDIR/mod_socache_memcache.so" \
        "OCSPRefreshCache memcache:127.0.0.1:$mc_port" "OCSPRefreshStore none" \
        "$(ocspr_vhost "$2" "$pki/good.chain.pem" "$pki/good.key" "OCSPRefresh On")"
}
server_conf "$T/a" "$port_a"
server_conf "$T/b" "$port_b"

ocspr_start_front "$pki" "$front_port"
ocspr_start_httpd "$T/a/httpd.conf"
ocspr_assert_eq good "$(ocspr_staple_status "$port_a")" "server A staples what it fetched"
ocspr_assert_match "cache memcache:127.0.0.1:$mc_port, store none" "$(cat "$T/a/error.log")" \
    "server A uses the shared cache"
this_a=$(ocspr_staple "$port_a" | grep 'This Update')
ocspr_check_error_log

ocspr_stop_front
ocspr_start_httpd "$T/b/httpd.conf"
ocspr_assert_eq good "$(ocspr_staple_status "$port_b")" \
    "server B, responder down, staples from the shared cache"
ocspr_assert_eq "$this_a" "$(ocspr_staple "$port_b" | grep 'This Update')" \
    "server B staples the very response server A fetched"
ocspr_assert_eq 1 "$(ocspr_front_requests)" "responder requests for the fleet"
# B's own startup fetch failed (the responder is down): that is expected.
ocspr_check_error_log 'OCSPR0202: OCSP fetch for CN=good.test'
ocspr_stop_httpd "$T/b/httpd.conf"
ocspr_stop_httpd "$T/a/httpd.conf"
