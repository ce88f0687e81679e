#!/usr/bin/env bash
# A stop never waits on the responder: SIGTERM (stop) and SIGWINCH
# (graceful-stop) while the leader is in a refresh pass against a
# blackholed responder (a fetch that would hang for LC_REFRESH_TIMEOUT s):
# the server and all its processes are gone within 3 s, and httpd did not
# have to kill a child.
set -euo pipefail
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/lifecycle-lib.sh"
ocspr_t_init lifecycle_stop_blackhole

LIMIT_MS=3000
MPM=${LC_MPM:-event}

engine_pki_and_front --nmin 2

# stop_during_pass SIGNAL LABEL
stop_during_pass()
{
    local signal=$1 label=$2 port ec_port leader parent ms rc=0
    echo "-- $label (SIG$signal) during a pass"
    ocspr_front_control '{"fault": "none"}'
    engine_instance "stop-$signal"
    port=$(ocspr_free_port)
    ec_port=$(ocspr_free_port)
    lc_conf "$MPM" "$port" "Listen 127.0.0.1:$ec_port" "$(engine_vhost "$port" good)" "$(engine_vhost "$ec_port" good-ec)"
    ocspr_start_httpd "$ENGINE_DIR/httpd.conf"
    engine_assert_good "$port" "warm-up staple"
    ocspr_front_control '{"fault": "blackhole"}'
    leader=$(lc_wait_front_client 30) || ocspr_fail "the leader never tried the blackholed responder"
    parent=$(lc_parent)
    ocspr_pass "child $leader is in a pass, waiting on the blackholed responder"
    kill "-$signal" "$parent"
    ms=$(lc_gone_ms "$parent" 30) || rc=$?
    echo "figure: $label with a fetch in flight ($MPM): server gone after ${ms} ms"
    [ "$rc" = 0 ] || ocspr_fail "$label: the server was still running after ${ms} ms"
    [ "$ms" -le "$LIMIT_MS" ] || ocspr_fail "$label: the server took ${ms} ms to go (limit ${LIMIT_MS} ms)"
    ocspr_pass "$label: gone within ${LIMIT_MS} ms (${ms} ms)"
    lc_assert_not_killed
    ocspr_check_error_log 'OCSPR0202: '
}

# LC_STOP_SIGNALS picks the cases (to measure one by hand).
for signal in ${LC_STOP_SIGNALS:-TERM WINCH}; do
    case $signal in
        TERM) stop_during_pass TERM stop ;;
        WINCH) stop_during_pass WINCH graceful-stop ;;
        *) ocspr_fail "LC_STOP_SIGNALS: unknown signal $signal" ;;
    esac
done
