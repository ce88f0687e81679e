#!/usr/bin/env bash
# A graceful restart never stalls on the responder: with the responder
# blackholed and the certificate due (the leader stuck in a fetch), a
# handshake sent 0.3 s after SIGUSR1 is answered within 1 s and stapled
# with the response held before the restart (from the store).
set -euo pipefail
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/lifecycle-lib.sh"
ocspr_t_init lifecycle_graceful_blackhole

LIMIT_MS=1000
MPM=${LC_MPM:-event}

engine_pki_and_front --nmin 2
engine_instance graceful
port=$(ocspr_free_port)
lc_conf "$MPM" "$port" "$(engine_vhost "$port" good)"
ocspr_start_httpd "$ENGINE_DIR/httpd.conf"
engine_assert_good "$port" "warm-up staple"
this=$(engine_staple_field 'This Update')

ocspr_front_control '{"fault": "blackhole"}'
leader=$(lc_wait_front_client 30) || ocspr_fail "the leader never tried the blackholed responder"
ocspr_pass "certificate due: child $leader waits on the blackholed responder"
lc_timed_handshake "$port" || ocspr_fail "handshake before the restart failed"
echo "figure: handshake before the restart: ${LC_LAST_MS} ms"

generations=$(ocspr__httpd_generations)
kill -USR1 "$(lc_parent)"
sleep 0.3
lc_timed_handshake "$port" || ocspr_fail "handshake 0.3 s after SIGUSR1 failed"
echo "figure: handshake sent 0.3 s after SIGUSR1 ($MPM, responder blackholed): ${LC_LAST_MS} ms"
[ "$LC_LAST_MS" -le "$LIMIT_MS" ] \
    || ocspr_fail "the handshake sent 0.3 s after SIGUSR1 took ${LC_LAST_MS} ms (limit ${LIMIT_MS} ms)"
ocspr_pass "answered within ${LIMIT_MS} ms (${LC_LAST_MS} ms)"
engine_staple_is_valid_good || ocspr_fail "the handshake during the restart got '$ENGINE_LAST_STATUS', not a valid good staple"
ocspr_assert_eq "$this" "$(engine_staple_field 'This Update')" "This Update of the staple during the restart"

ocspr_wait_until 10 test "$(ocspr__httpd_generations)" -gt "$generations" \
    || ocspr_fail "the new generation did not start"
engine_assert_good "$port" "staple after the restart"
ocspr_assert_eq "$this" "$(engine_staple_field 'This Update')" "This Update after the restart"
engine_assert_loaded_from_store 1
ocspr_stop_httpd
# The fetches that timed out are failures to log; nothing else may be.
ocspr_check_error_log 'OCSPR0202: '
