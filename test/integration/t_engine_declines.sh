#!/usr/bin/env bash
# What the module does not staple, it leaves alone: a certificate without an
# OCSP URL and one with an https:// URL get one NOTICE each (OCSPR0102), the
# handshake goes on without a staple; and a vhost with OCSPRefresh Off keeps
# mod_ssl's own stapling (SSLUseStapling On), even for a certificate that
# another vhost staples with the module. At the default LogLevel (warn), as
# an admin runs it: the module's NOTICE lines are written all the same.
set -euo pipefail
# shellcheck source=lib.sh
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
ocspr_t_init engine_declines

front_port=$(ocspr_free_port)
p_noocsp=$(ocspr_free_port)
p_https=$(ocspr_free_port)
p_ours=$(ocspr_free_port)
p_modssl=$(ocspr_free_port)
pki=$T/pki
ocspr_make_pki "$pki" "$front_port"
ocspr_start_front "$pki" "$front_port"
store=$T/store
ocspr_server_user_dir "$store"

ocspr_write_httpd_conf "$T/httpd.conf" --loglevel warn --listen "$p_noocsp" \
    --listen "$p_https" --listen "$p_ours" --listen "$p_modssl" -- \
    "OCSPRefreshStore \"$store\"" \
    "SSLStaplingCache \"shmcb:$T/run/stapling(128000)\"" \
    "$(ocspr_vhost "$p_noocsp" "$pki/noocsp.chain.pem" "$pki/noocsp.key" "OCSPRefresh On")" \
    "$(ocspr_vhost "$p_https" "$pki/httpsocsp.chain.pem" "$pki/httpsocsp.key" "OCSPRefresh On")" \
    "$(ocspr_vhost "$p_ours" "$pki/good.chain.pem" "$pki/good.key" "OCSPRefresh On")" \
    "$(ocspr_vhost "$p_modssl" "$pki/good.chain.pem" "$pki/good.key" "OCSPRefresh Off" \
        "SSLUseStapling On" "SSLStaplingReturnResponderErrors Off")"
ocspr_start_httpd "$T/httpd.conf"
log=$(cat "$T/error.log")

ocspr_assert_eq 1 "$(grep -c 'OCSPR0102: not stapling CN=noocsp.test' "$T/error.log")" \
    "one notice for the certificate without OCSP URL"
ocspr_assert_match "OCSPR0102: not stapling CN=noocsp.test,O=ocspr test \\(vhosts localhost:$p_noocsp\\): the certificate names no OCSP responder" \
    "$log" "notice names the vhost and the reason"
ocspr_assert_match "OCSPR0102: not stapling CN=httpsocsp.test,O=ocspr test .*https://127.0.0.1:$front_port/ocsp is not http://" \
    "$log" "notice for the https:// responder"
ocspr_wait_until 10 grep -q OCSPR0107 "$T/error.log" || true
ocspr_assert_match "OCSPR0107: child [0-9]+ now refreshes OCSP responses for 1 certificates" \
    "$(cat "$T/error.log")" "the leader's notice at LogLevel warn"
ocspr_assert_eq none "$(ocspr_staple_status "$p_noocsp")" "no staple without an OCSP URL"
ocspr_assert_eq none "$(ocspr_staple_status "$p_https")" "no staple for an https:// responder"

# The module staples its vhost from startup; mod_ssl fetches for its own
# vhost lazily, in a handshake.
ocspr_assert_eq good "$(ocspr_staple_status "$p_ours")" "module's vhost, first handshake"
before=$(ocspr_front_requests)
status=$(ocspr_wait_staple_status good "$p_modssl") || true
ocspr_assert_eq good "$status" "mod_ssl's own stapling in the OCSPRefresh Off vhost"
[ "$(ocspr_front_requests)" -gt "$before" ] ||
    ocspr_fail "mod_ssl's vhost was stapled without mod_ssl asking the responder"
ocspr_pass "mod_ssl fetched for its own vhost ($(ocspr_front_requests) requests in all)"

ocspr_stop_httpd
# The diagnostics rightly flag the https:// responder.
ocspr_check_error_log "OCSPR0411 \\[https-responder\\] vhost localhost:$p_https "
