#!/usr/bin/env bash
# Run one libFuzzer target for a bounded time over a scratch copy of its
# corpus (the source corpus is never written):
#   run-fuzzer.sh FUZZER CORPUS_DIR SCRATCH_DIR [libFuzzer options...]
# OCSPR_FUZZ_SECONDS sets the time (default 25). A crash, leak, sanitizer
# report or timeout fails the test; the input is left in SCRATCH_DIR/artifacts:
# fix the bug, then copy the input into CORPUS_DIR as a regression input.
set -euo pipefail

fuzzer=${1:?usage: run-fuzzer.sh FUZZER CORPUS_DIR SCRATCH_DIR [options]}
corpus=${2:?corpus directory}
scratch=${3:?scratch directory}
shift 3
seconds=${OCSPR_FUZZ_SECONDS:-25}

rm -rf "$scratch"
mkdir -p "$scratch/corpus" "$scratch/artifacts"
cp -R "$corpus/." "$scratch/corpus/"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "fuzzing $(basename "$fuzzer") for ${seconds}s over $(ls "$corpus" | wc -l) inputs of $corpus"
rc=0
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$scratch/artifacts/" "$@" "$scratch/corpus" || rc=$?
if [ "$rc" -ne 0 ]; then
    echo "FAILED: $(basename "$fuzzer") exited $rc; inputs: $(ls "$scratch/artifacts")"
    echo "reproduce: $fuzzer $scratch/artifacts/<file>; keep the input in $corpus once fixed"
fi
exit "$rc"
