#!/usr/bin/env bash
# Bad directive values fail `apache2 -t` with a message that says what is
# allowed: the range of a number, the loaded socache providers, the URL form.
set -euo pipefail
# shellcheck source=lib.sh
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
ocspr_t_init config_errors

port=$(ocspr_free_port)
pki=$T/pki
ocspr_make_pki "$pki" "$(ocspr_free_port)"

# expect_error DIRECTIVE-LINE REGEX [IN-VHOST]
expect_error() {
    local line=$1 regex=$2 out rc=0 global=$1 inner=""
    if [ "${3:-}" = vhost ]; then
        global=""
        inner=$line
    fi
    ocspr_write_httpd_conf "$T/httpd.conf" --listen "$port" -- "$global" \
        "$(ocspr_vhost "$port" "$pki/good.chain.pem" "$pki/good.key" "OCSPRefresh On" ${inner:+"$inner"})"
    out=$("$HTTPD_BIN" -t -f "$T/httpd.conf" 2>&1) || rc=$?
    [ "$rc" -ne 0 ] || ocspr_fail "'$line' passed apache2 -t: $out"
    ocspr_assert_match "$regex" "$out" "error for '$line'"
}

expect_error "OCSPRefreshWindow 0" "OCSPRefreshWindow: '0' is not a percentage from 1 to 99"
expect_error "OCSPRefreshWindow 100%" "not a percentage from 1 to 99"
expect_error "OCSPRefreshWindow half" "not a percentage from 1 to 99"
expect_error "OCSPRefreshCheckInterval 0" "OCSPRefreshCheckInterval: '0' is not a number of seconds from 1 to 86400"
expect_error "OCSPRefreshTimeout 301" "OCSPRefreshTimeout: '301' is not a number of seconds from 1 to 300"
expect_error "OCSPRefreshStartupTimeout -1" "OCSPRefreshStartupTimeout: '-1' is not a number of seconds from 0 to 600"
expect_error "OCSPRefreshMaxAge 59" "OCSPRefreshMaxAge: '59' is not a number of seconds from 60 to 31536000, or off"
expect_error "OCSPRefreshMaxAge never" "OCSPRefreshMaxAge: 'never' is not a number of seconds from 60 to 31536000, or off"
expect_error "OCSPRefreshCache memcached:127.0.0.1:11211" \
    "OCSPRefreshCache: unknown socache provider 'memcached'; loaded providers: .*shmcb"
expect_error "OCSPRefreshResponder https://ocsp.example.com/" \
    "OCSPRefreshResponder: 'https://ocsp.example.com/' uses https; OCSP is fetched over plain http://"
expect_error "OCSPRefreshResponder not-a-url" "OCSPRefreshResponder: 'not-a-url' is not a URL"
expect_error "OCSPRefreshProxy ftp://proxy:21" "OCSPRefreshProxy: 'ftp://proxy:21' uses ftp"
expect_error "OCSPRefresh maybe" "OCSPRefresh must be On or Off"
# Process-wide settings belong to the global scope.
expect_error "OCSPRefreshWindow 40" "OCSPRefreshWindow cannot occur within <VirtualHost> section" vhost
expect_error "OCSPRefreshMaxAge off" "OCSPRefreshMaxAge cannot occur within <VirtualHost> section" vhost

# And good values pass.
ocspr_write_httpd_conf "$T/httpd.conf" --listen "$port" -- \
    "OCSPRefreshWindow 40%" "OCSPRefreshCheckInterval 30" "OCSPRefreshTimeout 5" \
    "OCSPRefreshStartupTimeout 0" "OCSPRefreshCache shmcb" "OCSPRefreshStore none" \
    "OCSPRefreshMaxAge 86400" "OCSPRefreshMaxAge Off" \
    "OCSPRefreshProxy http://127.0.0.1:3128" \
    "$(ocspr_vhost "$port" "$pki/good.chain.pem" "$pki/good.key" "OCSPRefresh On" \
        "OCSPRefreshResponder http://127.0.0.1:9/ocsp")"
out=$("$HTTPD_BIN" -t -f "$T/httpd.conf" 2>&1) || ocspr_fail "good values rejected: $out"
ocspr_assert_match "Syntax OK" "$out" "good values"
