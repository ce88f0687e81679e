#!/usr/bin/env bash
# Scenarios 1 (cold start), 5 (revoked) and 4 (restarts with the responder
# down) under the prefork MPM: a child model other than the default event MPM
# (prefork: one thread per process, so the maintenance thread is the only
# extra thread; worker: threads without the event listener).
set -euo pipefail
OCSPR_MPM=prefork
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"
ocspr_t_init engine_mpm_prefork

engine_pki_and_front
engine_scenario_cold_start prefork
engine_scenario_revoked prefork
engine_scenario_restarts prefork
