# shellcheck shell=bash
# Helpers and shared scenarios of the engine integration tests
# (t_engine_*.sh): source it after lib.sh.
#
#   . "$OCSPR_TEST_SRCDIR/integration/lib.sh"
#   . "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"
#   ocspr_t_init engine_NAME
#   engine_pki_and_front [FRONT ARGS]
#
# Functions:
#   engine_pki_and_front [ARGS]       PKI in $ENGINE_PKI, front on $ENGINE_FRONT_PORT
#   engine_instance NAME              fresh instance dir $T/NAME with a store
#   engine_globals [DIRECTIVE...]     module-wide directives (store, short tick)
#   engine_vhost PORT LEAF [LINE...]  SSL vhost for LEAF with OCSPRefresh On
#   engine_handshake PORT [SNI] [S_CLIENT ARGS...]   one s_client -status run
#   engine_staple_field NAME          a field of the last engine_handshake
#   engine_staple_is_valid_good       last staple: good, fresh, not expired
#   engine_staple_good_now PORT [SNI] [ARGS...]      handshake + the above
#   engine_assert_good PORT [SNI] [ARGS...] WHAT     the same, or fail
#   engine_epoch "DATE"               seconds since the epoch of an OpenSSL date
#   engine_leader_pids                PIDs of the OCSPR0107 lines, in order
#   engine_log_count REGEX            matching lines of the current error log
#   engine_assert_loaded_from_store N OCSPR0201 "from the store" lines so far
#   engine_front_requests_with FAULT  front requests answered with FAULT
#   engine_scenario_cold_start / _restarts / _revoked   (shared with the MPM tests)

ENGINE_PKI=
ENGINE_FRONT_PORT=
ENGINE_DIR=             # the current instance dir (engine_instance)
ENGINE_STORE=           # its store
ENGINE_LAST_OUT=        # full s_client output of the last engine_handshake
ENGINE_LAST_START_MS=   # wall clock (ms) when the last handshake started
ENGINE_LAST_STATUS=     # good, revoked, unknown or none

# engine_pki_and_front [FRONT ARGS]: make the test PKI for a new front port
# and start the responder front on it (extra args go to ocsp-front.py).
engine_pki_and_front()
{
    ENGINE_FRONT_PORT=$(ocspr_free_port)
    ENGINE_PKI=$T/pki
    ocspr_make_pki "$ENGINE_PKI" "$ENGINE_FRONT_PORT"
    ocspr_start_front "$ENGINE_PKI" "$ENGINE_FRONT_PORT" "$@"
}

# engine_instance NAME: a fresh instance dir $T/NAME (for --dir) with an empty
# store writable by the children; sets ENGINE_DIR and ENGINE_STORE.
engine_instance()
{
    ENGINE_DIR=$T/${1:?usage: engine_instance NAME}
    rm -rf "$ENGINE_DIR"
    mkdir -p "$ENGINE_DIR"
    chmod 755 "$ENGINE_DIR"
    ENGINE_STORE=$ENGINE_DIR/store
    ocspr_server_user_dir "$ENGINE_STORE"
}

# engine_globals [DIRECTIVE...]: the module-wide directives of a test config:
# the instance's store, a 3 s maintenance tick, then each extra line.
engine_globals()
{
    local line
    echo "OCSPRefreshStore \"$ENGINE_STORE\""
    echo "OCSPRefreshCheckInterval 3"
    for line in "$@"; do
        echo "$line"
    done
}

# engine_vhost PORT LEAF [DIRECTIVE...]: ocspr_vhost for $ENGINE_PKI/LEAF with
# OCSPRefresh On.
engine_vhost()
{
    local port=${1:?usage: engine_vhost PORT LEAF [DIRECTIVE...]} leaf=${2:?}
    shift 2
    ocspr_vhost "$port" "$ENGINE_PKI/$leaf.chain.pem" "$ENGINE_PKI/$leaf.key" \
        "OCSPRefresh On" "$@"
}

# engine_handshake PORT [SNI] [S_CLIENT ARGS...]: one `openssl s_client
# -status` handshake; keeps the output in ENGINE_LAST_OUT, the start time in
# ENGINE_LAST_START_MS and the status (good/revoked/unknown/none) in
# ENGINE_LAST_STATUS. Fails when the handshake fails. Call it in the test's
# shell (not in $(...)) so the variables stay set.
engine_handshake()
{
    local port=${1:?usage: engine_handshake PORT [SNI] [ARGS...]} sni=${2:-localhost}
    if [ $# -ge 2 ]; then
        shift 2
    else
        shift $#
    fi
    ENGINE_LAST_START_MS=$(date +%s%3N)
    ENGINE_LAST_OUT=$(timeout 10 openssl s_client -connect "127.0.0.1:$port" \
        -servername "$sni" -status "$@" </dev/null 2>&1) || true
    ENGINE_LAST_STATUS=none
    if ! grep -q '^OCSP response:' <<<"$ENGINE_LAST_OUT"; then
        echo "engine_handshake: handshake with port $port ($sni $*) failed:" >&2
        tail -n 5 <<<"$ENGINE_LAST_OUT" >&2
        return 1
    fi
    case $(engine_staple_field 'Cert Status') in
        good) ENGINE_LAST_STATUS=good ;;
        revoked) ENGINE_LAST_STATUS=revoked ;;
        unknown) ENGINE_LAST_STATUS=unknown ;;
    esac
    engine_check_not_expired
}

# engine_staple_field NAME: the value of "NAME:" in the OCSP part of the
# last handshake (first occurrence), e.g. 'This Update', 'Next Update'.
engine_staple_field()
{
    sed -n "s/^ *$1: *//p" <<<"$ENGINE_LAST_OUT" | head -n 1
}

# engine_epoch "Mar  1 12:00:00 2025 GMT": seconds since the epoch.
engine_epoch()
{
    date -u -d "${1:?usage: engine_epoch DATE}" +%s
}

# The one rule that holds in every test: whatever is stapled was valid when
# the handshake started (nextUpdate after the start of the handshake, at
# millisecond precision). Exits the test otherwise.
engine_check_not_expired()
{
    local next
    [ "$ENGINE_LAST_STATUS" = none ] && return 0
    next=$(engine_staple_field 'Next Update')
    [ -n "$next" ] || ocspr_fail "a staple without nextUpdate was served"
    if [ "$(( $(engine_epoch "$next") * 1000 ))" -le "$ENGINE_LAST_START_MS" ]; then
        ocspr_fail "an EXPIRED staple was served: Next Update $next, handshake at" \
            "$(date -u -d "@$((ENGINE_LAST_START_MS / 1000))")"
    fi
}

# engine_staple_is_valid_good: the last handshake stapled a successful, good
# response whose thisUpdate is not in the future (5 s of skew allowed).
engine_staple_is_valid_good()
{
    local this
    [ "$ENGINE_LAST_STATUS" = good ] || return 1
    grep -q 'OCSP Response Status: successful' <<<"$ENGINE_LAST_OUT" || return 1
    this=$(engine_staple_field 'This Update')
    [ -n "$this" ] || return 1
    [ "$(engine_epoch "$this")" -le "$(( ENGINE_LAST_START_MS / 1000 + 5 ))" ]
}

# engine_staple_good_now PORT [SNI] [ARGS...]: one handshake; true when it
# stapled a valid good response (a predicate for ocspr_wait_until).
engine_staple_good_now()
{
    engine_handshake "$@" && engine_staple_is_valid_good
}

# engine_assert_good PORT [SNI] [ARGS...] -- WHAT: one handshake whose staple
# must be a valid good response; WHAT names the check.
engine_assert_good()
{
    local what=${*: -1}
    set -- "${@:1:$#-1}"
    engine_handshake "$@" || ocspr_fail "$what: handshake failed"
    if ! engine_staple_is_valid_good; then
        printf '%s\n' "$ENGINE_LAST_OUT" | grep -A12 '^OCSP response' >&2 || true
        ocspr_fail "$what: expected a valid good staple, got '$ENGINE_LAST_STATUS'"
    fi
    ocspr_pass "$what: good, This Update $(engine_staple_field 'This Update')," \
        "Next Update $(engine_staple_field 'Next Update')"
}

# engine_leader_pids: the PID of every "OCSPR0107: child PID now refreshes"
# line of the current error log, oldest first.
engine_leader_pids()
{
    sed -n 's/.*OCSPR0107: child \([0-9][0-9]*\) .*/\1/p' "$OCSPR_HTTPD_ERRORLOG" 2>/dev/null || true
}

# engine_log_count REGEX: number of lines of the current error log matching
# the extended REGEX.
engine_log_count()
{
    grep -cE -- "$1" "$OCSPR_HTTPD_ERRORLOG" 2>/dev/null || true
}

# engine_assert_loaded_from_store N: the current error log says N times that
# a response was taken from the store (OCSPR0201 ... from the store).
engine_assert_loaded_from_store()
{
    ocspr_assert_eq "$1" "$(engine_log_count 'OCSPR0201: .* from the store')" \
        "responses loaded from the store so far"
}

# engine_front_requests_with FAULT: OCSP requests the current front answered
# while FAULT was active.
engine_front_requests_with()
{
    awk -F'\t' -v f="$1" '$6 == f { n++ } END { print n + 0 }' "$OCSPR_FRONT_LOG" 2>/dev/null
}

# ------------------------------------------------------ shared scenarios
# Each runs its own httpd in its own instance dir against the current front
# (which must be healthy when called), stops it and checks its error log.
# $1 is a label for the messages (e.g. the MPM).

# Scenario 1: cold start with a healthy responder. The module fetches before
# the server accepts, so the very first handshake that asks for a status
# gets a valid good staple, without any retry.
engine_scenario_cold_start()
{
    local label=${1:-$OCSPR_MPM} port before rc=0
    echo "-- cold start ($label)"
    engine_instance "cold-$label"
    port=$(ocspr_free_port)
    before=$(ocspr_front_requests)
    ocspr_write_httpd_conf "$ENGINE_DIR/httpd.conf" --dir "$ENGINE_DIR" --listen "$port" -- \
        "$(engine_globals)" "$(engine_vhost "$port" good)"
    ocspr_start_httpd "$ENGINE_DIR/httpd.conf"
    # The fetch happened in the parent, before any child accepted.
    [ "$(engine_log_count 'OCSPR0201: good OCSP response')" -ge 1 ] \
        || ocspr_fail "no OCSPR0201 line: the response was not prefetched at startup"
    if ! awk '/OCSPR0201: good/ { f = NR } /resuming normal operations/ { r = NR }
              END { exit !(f && r && f < r) }' "$OCSPR_HTTPD_ERRORLOG"; then
        ocspr_fail "the prefetch (OCSPR0201) was not logged before the server accepted"
    fi
    ocspr_pass "prefetched before 'resuming normal operations'"
    engine_assert_good "$port" "first handshake after a cold start ($label)"
    ocspr_assert_eq 1 "$(( $(ocspr_front_requests) - before ))" "responder requests for one certificate"
    ocspr_curl_cert_status "$port" "$ENGINE_PKI/root.pem" 2>"$ENGINE_DIR/curl.err" || rc=$?
    ocspr_assert_eq 0 "$rc" "curl --cert-status exit code ($label)"
    ocspr_stop_httpd
    ocspr_check_error_log
}

# Scenario 4: restarts with the responder down. Warm up, stop the front, then
# graceful restart, full restart and stop/start: the store staples from the
# very first handshake each time. Leaves the front stopped.
engine_scenario_restarts()
{
    local label=${1:-$OCSPR_MPM} port this
    echo "-- restarts with the responder down ($label)"
    engine_instance "restarts-$label"
    port=$(ocspr_free_port)
    ocspr_write_httpd_conf "$ENGINE_DIR/httpd.conf" --dir "$ENGINE_DIR" --listen "$port" -- \
        "$(engine_globals)" "$(engine_vhost "$port" good)"
    ocspr_start_httpd "$ENGINE_DIR/httpd.conf"
    engine_assert_good "$port" "warm-up staple ($label)"
    this=$(engine_staple_field 'This Update')
    [ -n "$(ls -A "$ENGINE_STORE")" ] || ocspr_fail "the store $ENGINE_STORE is empty after a fetch"
    ocspr_pass "the store holds $(ls "$ENGINE_STORE" | wc -l) file(s)"
    ocspr_stop_front
    ocspr_port_listening "$ENGINE_FRONT_PORT" && ocspr_fail "the front still listens"

    ocspr_httpd_graceful
    engine_assert_good "$port" "first handshake after a graceful restart, responder down ($label)"
    ocspr_assert_eq "$this" "$(engine_staple_field 'This Update')" "This Update after graceful"
    engine_assert_loaded_from_store 1
    ocspr_httpd_restart
    engine_assert_good "$port" "first handshake after a full restart (HUP), responder down ($label)"
    ocspr_assert_eq "$this" "$(engine_staple_field 'This Update')" "This Update after HUP"
    engine_assert_loaded_from_store 2
    ocspr_stop_httpd
    # A stop/start: a new parent, new shared memory; only the store remains.
    ocspr_start_httpd "$ENGINE_DIR/httpd.conf"
    engine_assert_good "$port" "first handshake after stop/start, responder down ($label)"
    ocspr_assert_eq "$this" "$(engine_staple_field 'This Update')" "This Update after stop/start"
    engine_assert_loaded_from_store 3
    ocspr_stop_httpd
    # The held response is not due (1 day validity, refreshed at half): the
    # module must not even try the dead responder, so nothing to warn about.
    ocspr_check_error_log
}

# Scenario 5: a revoked certificate: the revoked response is stapled and an
# ALERT (OCSPR0203) is logged.
engine_scenario_revoked()
{
    local label=${1:-$OCSPR_MPM} port rc=0
    echo "-- revoked certificate ($label)"
    engine_instance "revoked-$label"
    port=$(ocspr_free_port)
    ocspr_write_httpd_conf "$ENGINE_DIR/httpd.conf" --dir "$ENGINE_DIR" --listen "$port" -- \
        "$(engine_globals)" "$(engine_vhost "$port" revoked)"
    ocspr_start_httpd "$ENGINE_DIR/httpd.conf"
    engine_handshake "$port" || ocspr_fail "handshake with the revoked vhost failed"
    ocspr_assert_eq revoked "$ENGINE_LAST_STATUS" "staple of revoked.pem, first handshake ($label)"
    ocspr_assert_match 'keyCompromise' "$(engine_staple_field 'Revocation Reason')" "revocation reason"
    ocspr_assert_eq 1 "$(engine_log_count '\[ocsp_refresh:alert\].*OCSPR0203: .*revoked\.test.*REVOKED')" \
        "OCSPR0203 ALERT lines"
    ocspr_curl_cert_status "$port" "$ENGINE_PKI/root.pem" 2>"$ENGINE_DIR/curl.err" || rc=$?
    [ "$rc" != 0 ] || ocspr_fail "curl --cert-status accepted the revoked staple"
    ocspr_assert_match 'revo' "$(cat "$ENGINE_DIR/curl.err")" "curl --cert-status error (exit $rc)"
    ocspr_stop_httpd
    ocspr_check_error_log 'OCSPR0203: '
}
