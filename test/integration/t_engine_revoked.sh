#!/usr/bin/env bash
# Scenario 5: a revoked certificate: the revoked response is stapled (clients
# refuse it) and the module logs an ALERT with OCSPR0203.
set -euo pipefail
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"
ocspr_t_init engine_revoked

engine_pki_and_front
engine_scenario_revoked
ocspr_stop_front
