#!/usr/bin/env bash
# The whole test suite, from a clean checkout on Debian 12:
# install packages, build with CMake (warnings are errors) and with apxs,
# then run every unit and integration test through ctest.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${OCSPR_BUILD_DIR:-$top/build}

"$top/test/install-deps.sh"
cmake -S "$top" -B "$build" -DOCSPR_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j"$(nproc)"
make -C "$top/apxs-build" WERROR=1
cd "$build"
# Two at a time: most integration tests wait on timers, not the CPU.
ctest --output-on-failure --timeout 900 -j2
