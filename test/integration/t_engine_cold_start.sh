#!/usr/bin/env bash
# Scenario 1: cold start with a healthy responder. The module prefetches in
# the parent before the server accepts, so the very first handshake carries a
# valid good staple and curl --cert-status passes.
set -euo pipefail
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"
ocspr_t_init engine_cold_start

engine_pki_and_front
engine_scenario_cold_start
ocspr_stop_front
