#!/usr/bin/env bash
# The whole test suite, from a clean checkout on Debian 12, in three builds:
#   build       RelWithDebInfo, warnings are errors (and the apxs build):
#               unit tests, the package test and the other quick checks
#               (ctest -L 'unit|package')
#   build-asan  the same sources with ASan+UBSan (-DOCSPR_SANITIZE=ON): unit
#               tests and every integration test, so the integration suite
#               runs once, under the sanitizers (apache2 gets the ASan runtime
#               preloaded, see test/CMakeLists.txt)
#   build-fuzz  clang with libFuzzer (-DOCSPR_FUZZ=ON): every fuzz target for
#               OCSPR_FUZZ_SECONDS (default 25) over its corpus (ctest -L fuzz)
# So every test needs one of the labels unit, integration, fuzz (the package
# test: package, and integration if it must also run under the sanitizers).
# Every phase runs even when an earlier one fails; the closing lines are each
# phase's ctest summary, and the exit status is non-zero if any phase failed.
# OCSPR_BUILD_DIR moves the builds (DIR, DIR-asan, DIR-fuzz); OCSPR_PHASES
# picks some of them (default "build build-asan build-fuzz").
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${OCSPR_BUILD_DIR:-$top/build}
asan_build=$build-asan
fuzz_build=$build-fuzz
logs=$build-logs
ctest_args=(--output-on-failure --timeout 900 --no-tests=error)

"$top/test/install-deps.sh" || exit 1
mkdir -p "$logs"
failed=()
summaries=()

# phase NAME COMMAND...: run, remember its ctest summary and whether it failed.
phase() {
    local name=$1 log="$logs/$1.log" rc summary
    shift
    echo "=== $name: $*"
    "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    summary=$(grep -E 'tests passed|No tests were found' "$log" | tail -1)
    summaries+=("$name: ${summary:-no ctest summary (exit $rc)}")
    if [ "$rc" -ne 0 ]; then
        failed+=("$name")
    fi
}

build_tree() { # DIR CMAKE-ARGS... [-- TARGETS...]
    local dir=$1 targets=()
    shift
    local args=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do args+=("$1"); shift; done
    [ $# -gt 0 ] && shift && targets=(--target "$@")
    cmake -S "$top" -B "$dir" "${args[@]}" && cmake --build "$dir" -j"$(nproc)" "${targets[@]}"
}

run_ctest() { # DIR ARGS...
    local dir=$1
    shift
    (cd "$dir" && ctest "${ctest_args[@]}" "$@")
}

quick_checks() {
    build_tree "$build" -DOCSPR_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        && make -C "$top/apxs-build" WERROR=1 \
        && run_ctest "$build" -j2 -L 'unit|package'
}
# Four at a time: the integration tests mostly wait on timers (refresh
# windows, outages of a minute), not the CPU; at two at a time the sanitizer
# phase alone took 18.5 of 21 minutes (2026-12-01, 45 tests).
sanitized() {
    # Warnings are enforced by the first build; GCC's sanitizer
    # instrumentation adds false positives of its own.
    build_tree "$asan_build" -DOCSPR_SANITIZE=ON \
        && run_ctest "$asan_build" -j4 -L 'unit|integration' -LE package
}
fuzzing() {
    build_tree "$fuzz_build" -DOCSPR_FUZZ=ON -DCMAKE_C_COMPILER=clang -- ocspr_fuzzers \
        && run_ctest "$fuzz_build" -j2 -L fuzz
}

start=$SECONDS
for name in ${OCSPR_PHASES:-build build-asan build-fuzz}; do
    case $name in
        build) phase build quick_checks ;;
        build-asan) phase build-asan sanitized ;;
        build-fuzz) phase build-fuzz fuzzing ;;
        *) echo "unknown phase $name (build, build-asan, build-fuzz)" >&2; exit 2 ;;
    esac
done

echo "=== summary ($(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s; logs in $logs)"
printf '%s\n' "${summaries[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
