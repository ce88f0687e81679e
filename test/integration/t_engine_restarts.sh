#!/usr/bin/env bash
# Scenario 4: graceful restart, full restart (HUP) and stop/start with the
# responder down: the store staples from the very first handshake.
set -euo pipefail
. "${OCSPR_TEST_SRCDIR:-$(dirname "$0")/..}/integration/lib.sh"
. "$OCSPR_TEST_SRCDIR/integration/engine-lib.sh"
ocspr_t_init engine_restarts

engine_pki_and_front
engine_scenario_restarts
