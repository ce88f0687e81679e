#!/usr/bin/env bash
# The store never takes stapling down: an unusable store directory means
# memory only (OCSPR0301), corrupt and foreign files in it are skipped with a
# warning naming them (OCSPR0302) and nothing else is lost, and a response
# kept in the store comes back after a restart.
set -euo pipefail
# shellcheck source=lib.sh
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
ocspr_t_init store_degrades

front_port=$(ocspr_free_port)
port=$(ocspr_free_port)
pki=$T/pki
ocspr_make_pki "$pki" "$front_port"
ocspr_start_front "$pki" "$front_port"

write_conf() { # STORE
    ocspr_write_httpd_conf "$T/httpd.conf" --listen "$port" -- \
        "OCSPRefreshStore \"$1\"" \
        "$(ocspr_vhost "$port" "$pki/good.chain.pem" "$pki/good.key" "OCSPRefresh On")"
}

# 1. A store path that cannot be a directory: memory only, still stapled.
echo "not a directory" > "$T/blocker"
write_conf "$T/blocker/store"
ocspr_start_httpd "$T/httpd.conf"
ocspr_assert_eq good "$(ocspr_staple_status "$port")" "first staple with an unusable store"
ocspr_assert_match "OCSPR0301: store directory $T/blocker/store .*memory only" \
    "$(cat "$T/error.log")" "memory-only warning"
ocspr_stop_httpd

# 2. A usable store: the response is saved under the certificate id.
store=$T/store
ocspr_server_user_dir "$store"
: > "$T/error.log"
write_conf "$store"
ocspr_start_httpd "$T/httpd.conf"
ocspr_assert_eq good "$(ocspr_staple_status "$port")" "staple with a store"
id=$(openssl x509 -in "$pki/good.pem" -outform DER | sha1sum | cut -d' ' -f1)
[ -s "$store/$id.der" ] || ocspr_fail "no $id.der in the store"
ocspr_assert_match "Cert Status: good" \
    "$(openssl ocsp -respin "$store/$id.der" -resp_text -noverify 2>/dev/null)" \
    "the store file is a plain DER response"
ocspr_stop_httpd

# 3. Corrupt and foreign files beside it, responder down: the good response is
#    still served from the store; each bad file is named once and left alone.
head -c 700 /dev/urandom > "$store/0000000000000000000000000000000000000000.der"
echo "left by someone" > "$store/notes.txt"
chmod a+r "$store"/*
ocspr_stop_front
: > "$T/error.log"
ocspr_start_httpd "$T/httpd.conf"
ocspr_assert_eq good "$(ocspr_staple_status "$port")" "staple from the store, responder down"
log=$(cat "$T/error.log")
ocspr_assert_match "OCSPR0302: store file $store/notes.txt ignored: foreign file" "$log" \
    "foreign file reported"
[ -f "$store/notes.txt" ] && [ -f "$store/0000000000000000000000000000000000000000.der" ] ||
    ocspr_fail "the store scan deleted a file it does not own"
ocspr_pass "bad files reported and left in place"
ocspr_stop_httpd

ocspr_check_error_log 'OCSPR0302: store file .*notes\.txt|OCSPR0202: '

# 4. Our own certificate's file corrupted: named with the reason, and the
#    response is fetched again and the file replaced.
head -c 900 /dev/urandom > "$store/$id.der"
chmod a+r "$store/$id.der"
ocspr_start_front "$pki" "$front_port"
: > "$T/error.log"
ocspr_start_httpd "$T/httpd.conf"
ocspr_assert_eq good "$(ocspr_staple_status "$port")" "staple after a corrupt store file"
ocspr_assert_match "OCSPR0302: store file $store/$id.der for CN=good.test,O=ocspr test (\\(vhosts [^)]*\\) )?ignored \(parse\)" \
    "$(cat "$T/error.log")" "corrupt file reported with its reason"
ocspr_assert_match "Cert Status: good" \
    "$(openssl ocsp -respin "$store/$id.der" -resp_text -noverify 2>/dev/null)" \
    "the corrupt file was replaced by a fresh response"
ocspr_stop_httpd
ocspr_check_error_log "OCSPR0302: store file .*notes\.txt|OCSPR0302: store file .*$id\.der .*\(parse\)"
