#!/usr/bin/env bash
# Crossed-staple probe (issue 11): one Apache with two vhosts, a good and a
# revoked certificate, on a fleet exchange (memcached, then redis). Four
# handshake loops run in parallel; every handshake must staple the response
# for its own certificate (serial in the CertID) with its own status, valid
# at the time. With the exchange used for serving and one connection
# inherited by every child, about 5% of handshakes got the other vhost's
# staple; the fleet exchange must now never be on the handshake path.
set -euo pipefail
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/fleet-lib.sh"
ocspr_t_init fleet_crossed

LOOPS=4
PER_LOOP=${FLEET_CROSSED_HANDSHAKES:-150}

engine_pki_and_front

# probe KIND: one host on a KIND exchange, LOOPS x PER_LOOP handshakes.
probe()
{
    local kind=$1 http p_good p_rev i out
    local -a pids=()
    echo "-- $kind"
    fleet_start_backend "$kind"
    http=$(ocspr_free_port)
    p_good=$(ocspr_free_port)
    p_rev=$(ocspr_free_port)
    fleet_host_conf "crossed-$kind" "$http" "$kind" \
        "$(engine_vhost "$p_good" good)" "$(engine_vhost "$p_rev" revoked)"
    ocspr_start_httpd "$ENGINE_DIR/httpd.conf"
    # The exchange is really in use: both responses were published to it.
    fleet_wait_key "$kind" good 20 >/dev/null
    fleet_wait_key "$kind" revoked 20 >/dev/null
    ocspr_pass "$kind holds both certificates' records"

    out=$T/probes-$kind
    rm -f "$out"
    for i in $(seq "$LOOPS"); do
        # Each loop alternates between the vhosts, half of them starting
        # with the revoked one, so both are asked for at the same moments.
        if [ $((i % 2)) = 0 ]; then
            fleet_probe_loop "$out.$i" "$PER_LOOP" 0 "$p_good" "$p_rev" &
        else
            fleet_probe_loop "$out.$i" "$PER_LOOP" 0 "$p_rev" "$p_good" &
        fi
        pids+=($!)
    done
    for i in "${pids[@]}"; do
        wait "$i"
    done
    cat "$out".* > "$out"
    read -r total crossed wrong_status none failed expired \
        < <(fleet_judge_probes "$out" "$p_good=good:good" "$p_rev=revoked:revoked")
    echo "$kind: $total handshakes in $LOOPS parallel loops: $crossed crossed staples," \
        "$wrong_status wrong status, $none without staple, $failed failed, $expired expired"
    ocspr_assert_eq $((LOOPS * PER_LOOP)) "$total" "$kind: handshakes made"
    ocspr_assert_eq 0 "$crossed" "$kind: staples for the other vhost's certificate"
    ocspr_assert_eq 0 "$wrong_status" "$kind: staples with the wrong status"
    ocspr_assert_eq 0 "$none" "$kind: handshakes without a staple"
    ocspr_assert_eq 0 "$failed" "$kind: failed handshakes"
    ocspr_assert_eq 0 "$expired" "$kind: expired staples"
    ocspr_stop_httpd
    ocspr_check_error_log 'OCSPR0203: '
}

probe memcache
probe redis
