#!/usr/bin/env bash
# Links planted in the store are never followed. The server starts as root
# and runs as www-data, which owns the store: whoever runs as that user can
# plant links there, so nothing may act on a store file's name as root, and
# nothing may read or write through a link. Planted, pointing at files the
# test (root) owns:
#   <good's id>.der            -> a valid response for good (0644): loading it
#                                 through the link would staple it
#   <good-ec's id>.der         -> a root-only file (0600)
#   .<good's id>.Ab3dE6        -> the same root-only file (a temp file name)
# After a start with the responder down, a fetch and a restart, both targets
# are unchanged (content, mode, owner, mtime) and were not read (atime, where
# the file system keeps it), good was not stapled from the link, and the
# links at final names were replaced by real files of the server's user.
set -euo pipefail
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/lifecycle-lib.sh"
ocspr_t_init lifecycle_store_symlink

[ "$(id -u)" = 0 ] || ocspr_fail "this test starts httpd as root (User www-data): run it as root"
SERVER_USER=www-data

engine_pki_and_front
engine_instance symlink
store=$ENGINE_STORE
ocspr_assert_eq "$SERVER_USER" "$(stat -c %U "$store")" "owner of the store"
port=$(ocspr_free_port)
ec_port=$(ocspr_free_port)
ocspr_write_httpd_conf "$ENGINE_DIR/httpd.conf" --dir "$ENGINE_DIR" --listen "$port" --listen "$ec_port" -- \
    "$(engine_globals)" "$(engine_vhost "$port" good)" "$(engine_vhost "$ec_port" good-ec)"
grep -q "^User $SERVER_USER" "$ENGINE_DIR/httpd.conf" || ocspr_fail "the config does not run the children as $SERVER_USER"

cert_id() { openssl x509 -in "$ENGINE_PKI/$1.pem" -outform DER | sha1sum | cut -d' ' -f1; }
id_good=$(cert_id good)
id_ec=$(cert_id good-ec)

bait=$T/bait
mkdir -p "$bait"
chmod 755 "$bait"
bait_resp=$bait/good-response.der
bait_secret=$bait/root-only.txt
openssl ocsp -issuer "$ENGINE_PKI/int.pem" -cert "$ENGINE_PKI/good.pem" \
    -url "http://127.0.0.1:$ENGINE_FRONT_PORT/ocsp" -no_nonce -noverify -respout "$bait_resp" \
    >/dev/null 2>&1 || ocspr_fail "could not get a response for good from the front"
ocspr_assert_match "Cert Status: good" "$(openssl ocsp -respin "$bait_resp" -resp_text -noverify 2>/dev/null)" \
    "the bait is a good response for good"
chmod 644 "$bait_resp"
echo "root's own data, never to be touched by the store" > "$bait_secret"
chmod 600 "$bait_secret"
resp_state=$(lc_file_state "$bait_resp")
secret_state=$(lc_file_state "$bait_secret")
# lc_file_state reads the baits: their atime is set back after each look.
old_atime=$(date -d '-2 days' '+%Y%m%d%H%M')
touch -a -t "$old_atime" "$bait_resp" "$bait_secret"
resp_atime=$(stat -c %X "$bait_resp")
secret_atime=$(stat -c %X "$bait_secret")
# Does this file system record reads (relatime updates an atime older than a day)?
probe=$T/atime-probe
echo probe > "$probe"
touch -a -t "$old_atime" "$probe"
probe_atime=$(stat -c %X "$probe")
cat "$probe" >/dev/null
atime_kept=no
[ "$(stat -c %X "$probe")" != "$probe_atime" ] && atime_kept=yes
echo "file system records reads (atime): $atime_kept"

temp_link=".$id_good.Ab3dE6"
ln -s "$bait_resp" "$store/$id_good.der"
ln -s "$bait_secret" "$store/$id_ec.der"
ln -s "$bait_secret" "$store/$temp_link"

assert_baits()
{
    local when=$1
    if [ "$atime_kept" = yes ]; then
        ocspr_assert_eq "$resp_atime" "$(stat -c %X "$bait_resp")" "$when: atime of the response bait (not read)"
        ocspr_assert_eq "$secret_atime" "$(stat -c %X "$bait_secret")" "$when: atime of the root-only bait (not read)"
    fi
    ocspr_assert_eq "$resp_state" "$(lc_file_state "$bait_resp")" "$when: the response bait (sha256 mode owner mtime)"
    ocspr_assert_eq "$secret_state" "$(lc_file_state "$bait_secret")" "$when: the root-only bait (sha256 mode owner mtime)"
    touch -a -t "$old_atime" "$bait_resp" "$bait_secret"
    if [ ! -L "$store/$temp_link" ] || [ "$(readlink "$store/$temp_link")" != "$bait_secret" ]; then
        ocspr_fail "$when: the link at the temporary name was changed"
    fi
}

assert_store_file()
{
    local id=$1 what=$2 file=$store/$1.der
    if [ -L "$file" ] || [ ! -f "$file" ]; then
        ocspr_fail "$what: $file is not a regular file: $(ls -l "$file" 2>&1)"
    fi
    ocspr_assert_eq "$SERVER_USER 600" "$(stat -c '%U %a' "$file")" "$what: owner and mode of $id.der"
    ocspr_assert_match "Cert Status: good" "$(openssl ocsp -respin "$file" -resp_text -noverify 2>/dev/null)" \
        "$what: $id.der holds a response"
}

echo "-- 1. start with the responder down: nothing is read through the links"
ocspr_stop_front
ocspr_start_httpd "$ENGINE_DIR/httpd.conf"
status=$(ocspr_staple_status "$port" || true)
[ "$status" = none ] || ocspr_fail "good was stapled ($status) with the responder down: the server read the response through the link at $id_good.der"
ocspr_pass "good is not stapled: the link at its store name was not followed"
ocspr_assert_match "OCSPR0302: store file $store/$id_good.der (for .* )?ignored: .*symbolic link" "$(cat "$OCSPR_HTTPD_ERRORLOG")" \
    "the link at good's store name is reported"
assert_baits "after a start"
ocspr_stop_httpd

echo "-- 2. responder up, fresh start: the fetched responses replace the links"
ocspr_start_front "$ENGINE_PKI" "$ENGINE_FRONT_PORT"
ocspr_start_httpd "$ENGINE_DIR/httpd.conf"
ocspr_wait_staple_status good "$port" localhost 30 >/dev/null || ocspr_fail "good was never stapled"
ocspr_wait_staple_status good "$ec_port" localhost 30 >/dev/null || ocspr_fail "good-ec was never stapled"
ocspr_wait_until 10 test ! -L "$store/$id_ec.der" || true
assert_store_file "$id_good" "after a fetch"
assert_store_file "$id_ec" "after a fetch"
assert_baits "after a fetch"

echo "-- 3. graceful restart with the responder down: served from the real files"
ocspr_stop_front
ocspr_httpd_graceful
ocspr_assert_eq good "$(ocspr_staple_status "$port")" "good after the restart"
ocspr_assert_eq good "$(ocspr_staple_status "$ec_port")" "good-ec after the restart"
assert_baits "after a restart"
ocspr_stop_httpd
assert_baits "at the end"
ocspr_check_error_log "OCSPR0302: store file $store/(\\.$id_good\\.Ab3dE6|$id_good\\.der|$id_ec\\.der)( for .*)? ignored|OCSPR0202: "
