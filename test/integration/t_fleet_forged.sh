#!/usr/bin/env bash
# Nothing from the fleet exchange is served unchecked (issue 11). One host on
# memcached, then on redis, staples a good and a revoked certificate. Records
# are written straight into the exchange under the key the module uses for
# the good certificate (found in the live server), and the status page's
# "refresh now" makes the leader read the exchange before it fetches (a
# maintenance pass, which looks one certificate up in turn, may read it first):
#   control  a genuine newer response behind a forged header: adopted, no
#            fetch (the key, the record layout and the read are right)
#   1 random bytes                          2 random bytes behind a valid header
#   3 the revoked certificate's record      4 its response behind our header
#   5 an older genuine record replayed      6 an expired genuine record
#   7 an expired response behind a header claiming it is fresh
# Each must be refused and counted (fleet_rejected), never adopted, and
# replaced in the exchange by the host's own fresh response; handshakes on
# both vhosts, probed all along, keep stapling each certificate's own valid
# response. A refusal is logged (OCSPR0306) once per certificate and reason:
# the random bytes twice in a row make one line.
set -euo pipefail
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/fleet-lib.sh"
ocspr_t_init fleet_forged

engine_pki_and_front
ID_GOOD=$(fleet_cert_id good)
ID_REV=$(fleet_cert_id revoked)
# The providers' key: "<namespace>:" + hex of the module's binary key, which
# is the certificate id followed by the tag ":ocspr2".
KEY_TAG_HEX=$(printf ':ocspr2' | od -An -tx1 | tr -d ' \n')

# cert_field NAME: the good certificate's status JSON field NAME.
cert_field() { fleet_cert_field "$HTTP" "$ID_GOOD" "$1"; }

# exchange_record FILE: the good certificate's record in the exchange.
exchange_record() { fleet_kv "$KIND" get "$KEY" "$1"; }

# exchange_next_update_within SECONDS: the record in the exchange expires
# within SECONDS from now (a short-lived response was published).
exchange_next_update_within()
{
    exchange_record "$T/probe.rec" || return 1
    local next
    next=$(fleet_record_info "$T/probe.rec" | cut -d' ' -f4)
    [ $((next - $(date +%s))) -le "$1" ]
}
exchange_next_update_beyond()
{
    ! exchange_next_update_within "$1"
}

# exchange_holds_ours: the exchange holds a genuine record for the good
# certificate with the thisUpdate of the response the host holds.
exchange_holds_ours()
{
    exchange_record "$T/probe.rec" || return 1
    local id this
    read -r id _ this _ _ < <(fleet_record_info "$T/probe.rec")
    [ "$id" = "$ID_GOOD" ] && [ "$this" = "$(cert_field this_update_epoch)" ]
}

counter_above() { [ "$(cert_field "$1")" -gt "$2" ]; }

# refresh_and_wait WHAT: ask for a refresh of the good certificate and wait
# until the leader's attempt is over (refresh_requested cleared, and a new
# last_attempt or a new adoption).
refresh_and_wait()
{
    WAIT_ATTEMPT=$(cert_field last_attempt_epoch)
    WAIT_ADOPTED=$(cert_field fleet_adopted)
    sleep 1     # thisUpdate has a resolution of one second
    fleet_refresh_now "$HTTP" "$ID_GOOD"
    ocspr_wait_until 20 refresh_done || ocspr_fail "$1: the leader did not act on 'refresh now' within 20 s"
}
refresh_done()
{
    [ "$(cert_field refresh_requested)" = False ] \
        && { [ "$(cert_field last_attempt_epoch)" != "$WAIT_ATTEMPT" ] \
             || [ "$(cert_field fleet_adopted)" != "$WAIT_ADOPTED" ]; }
}

# forge_and_check N WHAT FILE: put FILE under the good certificate's key,
# refresh, and check that it was refused, counted, not adopted, and replaced.
forge_and_check()
{
    local n=$1 what=$2 file=$3 rejected adopted requests
    rejected=$(cert_field fleet_rejected)
    adopted=$(cert_field fleet_adopted)
    requests=$(ocspr_front_requests)
    fleet_kv "$KIND" set "$KEY" "$file"
    refresh_and_wait "$what"
    ocspr_wait_until 10 counter_above fleet_rejected "$rejected" \
        || ocspr_fail "$KIND forgery $n ($what): not counted as rejected (fleet_rejected $(cert_field fleet_rejected))"
    ocspr_assert_eq "$adopted" "$(cert_field fleet_adopted)" "$KIND forgery $n ($what): adoptions"
    ocspr_assert_eq network "$(cert_field source)" "$KIND forgery $n ($what): source of the held response"
    [ "$(ocspr_front_requests)" -gt "$requests" ] \
        || ocspr_fail "$KIND forgery $n ($what): the leader did not fetch instead"
    ocspr_wait_until 10 exchange_holds_ours \
        || ocspr_fail "$KIND forgery $n ($what): the forged record was not replaced by the host's own response"
    echo "   rejected $(cert_field fleet_rejected) so far; reason: $(cert_field fleet_last_reject_reason)"
    FORGERIES=$((FORGERIES + 1))
}

run_kind()
{
    KIND=$1
    FORGERIES=0
    echo "-- $KIND"
    fleet_start_backend "$KIND"
    HTTP=$(ocspr_free_port)
    local p_good p_rev key_rev probes new this_new
    p_good=$(ocspr_free_port)
    p_rev=$(ocspr_free_port)
    fleet_host_conf "forged-$KIND" "$HTTP" "$KIND" \
        "$(engine_vhost "$p_good" good)" "$(engine_vhost "$p_rev" revoked)"
    ocspr_start_httpd "$ENGINE_DIR/httpd.conf"

    # The keys, as the provider stores them, found in the live server.
    KEY=$(fleet_wait_key "$KIND" good 20)
    key_rev=$(fleet_wait_key "$KIND" revoked 20)
    echo "$KIND keys: $(fleet_kv "$KIND" keys | tr '\n' ' ')"
    ocspr_assert_eq "mod_ocsp_refresh:$ID_GOOD$KEY_TAG_HEX" "$KEY" "$KIND key of good.pem"
    ocspr_assert_eq "mod_ocsp_refresh:$ID_REV$KEY_TAG_HEX" "$key_rev" "$KIND key of revoked.pem"
    exchange_record "$T/$KIND-first.rec"
    fleet_kv "$KIND" get "$key_rev" "$T/$KIND-revoked.rec"
    read -r id _ this next _ < <(fleet_record_info "$T/$KIND-first.rec")
    ocspr_assert_eq "$ID_GOOD" "$id" "$KIND record of good.pem: certificate id in the header"
    expiry=$(fleet_kv "$KIND" expiry "$KEY")
    if [ $((expiry - next)) -lt -2 ] || [ $((expiry - next)) -gt 2 ]; then
        ocspr_fail "$KIND key expires at $expiry, the response's nextUpdate is $next"
    fi
    ocspr_pass "$KIND key expires with the response's nextUpdate"

    # A genuine short-lived record, to replay once it has expired.
    ocspr_front_control '{"fault": "none", "nmin": 1}'
    refresh_and_wait "short-lived response"
    ocspr_wait_until 10 exchange_next_update_within 90 || ocspr_fail "no short-lived record published"
    exchange_record "$T/$KIND-short.rec"
    ocspr_front_control '{"fault": "none"}'
    refresh_and_wait "day-long response"
    ocspr_wait_until 10 exchange_next_update_beyond 3600 || ocspr_fail "no day-long record published"
    exchange_record "$T/$KIND-current.rec"
    read -r _ _ this_first _ _ < <(fleet_record_info "$T/$KIND-first.rec")
    read -r _ _ this_current _ _ < <(fleet_record_info "$T/$KIND-current.rec")
    [ "$this_first" -lt "$this_current" ] || ocspr_fail "the first record is not older than the current one"

    probes=$T/probes-$KIND
    rm -f "$probes" "$probes.stop"
    fleet_probe_loop "$probes" 2000 0.2 "$p_good" "$p_rev" &
    local loop=$!

    echo "control: a genuine newer response behind a forged header is adopted"
    sleep 1
    new=$T/$KIND-new.der
    openssl ocsp -issuer "$ENGINE_PKI/int.pem" -cert "$ENGINE_PKI/good.pem" -no_nonce \
        -url "http://127.0.0.1:$ENGINE_FRONT_PORT/ocsp" -respout "$new" -noverify >/dev/null 2>&1 \
        || ocspr_fail "openssl ocsp could not fetch a response for the control"
    this_new=$(date -u -d "$(openssl ocsp -respin "$new" -resp_text -noverify 2>/dev/null \
        | sed -n 's/^ *This Update: *//p' | head -n 1)" +%s)
    fleet_record_forge "$T/$KIND-control.rec" "$T/$KIND-current.rec" "$new" fresh
    local adopted requests
    adopted=$(cert_field fleet_adopted)
    requests=$(ocspr_front_requests)
    fleet_kv "$KIND" set "$KEY" "$T/$KIND-control.rec"
    fleet_expect_adoption "$HTTP" "$ID_GOOD" "$this_new" \
        || ocspr_fail "$KIND control: a genuine newer response in the exchange was not adopted" \
            "(held: thisUpdate $(cert_field this_update_epoch), source $(cert_field source);" \
            "last refusal: $(cert_field fleet_last_reject_reason))"
    ocspr_pass "$KIND control: adopted (thisUpdate $this_new, source fleet)"
    ocspr_assert_eq "$requests" "$(ocspr_front_requests)" "$KIND control: responder requests (adopted instead)"
    ocspr_assert_eq $((adopted + 1)) "$(cert_field fleet_adopted)" "$KIND control: adoptions"

    head -c 700 /dev/urandom > "$T/$KIND-random.rec"
    forge_and_check 1 "random bytes" "$T/$KIND-random.rec"
    # The same refusal again is counted, but not logged again.
    local logged rejected
    logged=$(engine_log_count 'OCSPR0306: .*good\.test')
    forge_and_check 1b "random bytes again" "$T/$KIND-random.rec"
    ocspr_assert_eq "$logged" "$(engine_log_count 'OCSPR0306: .*good\.test')" \
        "$KIND: OCSPR0306 lines after the same refusal twice"
    fleet_record_forge "$T/$KIND-f2.rec" "$T/$KIND-current.rec" random:1400 fresh
    forge_and_check 2 "random bytes behind a valid header" "$T/$KIND-f2.rec"
    forge_and_check 3 "the revoked certificate's genuine record" "$T/$KIND-revoked.rec"
    fleet_record_forge "$T/$KIND-f4.rec" "$T/$KIND-current.rec" "$T/$KIND-revoked.rec" fresh
    forge_and_check 4 "the revoked certificate's response behind our header" "$T/$KIND-f4.rec"
    forge_and_check 5 "an older genuine record replayed" "$T/$KIND-first.rec"
    read -r _ _ _ next _ < <(fleet_record_info "$T/$KIND-short.rec")
    [ "$next" -lt "$(date +%s)" ] \
        || echo "waiting $((next + 1 - $(date +%s)))s for the short-lived response to expire"
    while [ "$(date +%s)" -le "$next" ]; do sleep 1; done
    forge_and_check 6 "an expired genuine record" "$T/$KIND-short.rec"
    fleet_record_forge "$T/$KIND-f7.rec" "$T/$KIND-current.rec" "$T/$KIND-short.rec" fresh
    forge_and_check 7 "an expired response behind a header claiming it is fresh" "$T/$KIND-f7.rec"

    touch "$probes.stop"
    wait "$loop"
    read -r total crossed wrong_status none failed expired \
        < <(fleet_judge_probes "$probes" "$p_good=good:good" "$p_rev=revoked:revoked")
    echo "$KIND: $total handshakes during the forgeries: $crossed for another certificate," \
        "$wrong_status wrong status, $none without staple, $failed failed, $expired expired"
    ocspr_assert_eq "0 0 0 0 0" "$crossed $wrong_status $none $failed $expired" \
        "$KIND: wrong, missing, failed and expired staples"
    [ "$total" -ge 20 ] || ocspr_fail "$KIND: too few handshakes ($total)"
    rejected=$(cert_field fleet_rejected)
    [ "$rejected" -ge "$FORGERIES" ] || ocspr_fail "$KIND: $rejected refusals for $FORGERIES forgeries"
    ocspr_pass "$KIND: $rejected refusals for $FORGERIES forgeries (a maintenance pass may read one before 'refresh now' does)"
    ocspr_assert_eq "$rejected" "$(fleet_exchange_field "$HTTP" rejected)" "$KIND: rejected, fleet total"
    ocspr_stop_httpd
    logged=$(engine_log_count 'OCSPR0306: .*good\.test')
    grep 'OCSPR0306: ' "$OCSPR_HTTPD_ERRORLOG" | sed 's/^/   /'
    if [ "$logged" -lt 1 ] || [ "$logged" -ge "$FORGERIES" ]; then
        ocspr_fail "$KIND: $logged OCSPR0306 lines for $FORGERIES refusals (expected one per reason)"
    fi
    ocspr_pass "$KIND: $logged OCSPR0306 lines for $FORGERIES refusals"
    ocspr_assert_eq 0 "$(engine_log_count 'OCSPR0306: .*revoked\.test')" "$KIND: refusals logged for revoked.pem"
    ocspr_check_error_log 'OCSPR0203: |OCSPR0306: '
}

run_kind memcache
run_kind redis
