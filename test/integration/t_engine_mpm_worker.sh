#!/usr/bin/env bash
# Scenarios 1 (cold start), 5 (revoked) and 4 (restarts with the responder
# down) under the worker MPM: a child model other than the default event MPM
# (prefork: one thread per process, so the maintenance thread is the only
# extra thread; worker: threads without the event listener).
set -euo pipefail
OCSPR_MPM=worker
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"
ocspr_t_init engine_mpm_worker

engine_pki_and_front
engine_scenario_cold_start worker
engine_scenario_revoked worker
engine_scenario_restarts worker
