#!/usr/bin/env bash
# Builds airlock's libFuzzer targets (clang, ASan + UBSan) and runs each for SECONDS seconds,
# two at a time, each on a scratch copy of its seed corpus (tests/fuzz/corpus/<target>/).
# Prints executions and crashes per target, writes them to $WORK_DIR/summary.txt, and exits
# non-zero on any crash, leak, timeout, out-of-memory or broken invariant.
#
#   scripts/fuzz.sh [SECONDS]          (default 60)
#   FUZZ_TARGETS="wal policy"          only these targets
#   FUZZ_JOBS=2                        targets run at the same time
#   BUILD_DIR=build                    the sanitized tree is $BUILD_DIR-sanitize (shared with
#                                      scripts/test.sh --sanitize)
#
# A finding is kept as a regression: copy the saved input from $WORK_DIR/artifacts/<target>/
# to tests/fuzz/regressions/<target>/ and fix the bug; ctest replays that directory.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_PER_TARGET="${1:-60}"
[[ "$SECONDS_PER_TARGET" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [SECONDS]" >&2; exit 2; }
JOBS="${FUZZ_JOBS:-2}"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
BUILD_DIR="${BUILD_DIR%/}-sanitize"
WORK_DIR="$BUILD_DIR/fuzz-run"
ALL_TARGETS=(shell_guard policy tool_call mcp_message wal canonical_json)
read -r -a TARGETS <<<"${FUZZ_TARGETS:-${ALL_TARGETS[*]}}"

started=$(date +%s)
BUILD_DIR="${BUILD_DIR%-sanitize}" "$ROOT/scripts/bootstrap.sh" --fuzz
built=$(date +%s)

rm -rf "$WORK_DIR"
mkdir -p "$WORK_DIR"
# A report stops the run and names itself; libFuzzer saves the input that caused it.
export ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

run_target() {
    local target="$1" bin="$BUILD_DIR/tests/fuzz/fuzz_$1"
    local corpus="$WORK_DIR/corpus/$target" artifacts="$WORK_DIR/artifacts/$target"
    [[ -x "$bin" ]] || { echo "fuzz.sh: $bin was not built" >"$WORK_DIR/$target.log"; return 1; }
    mkdir -p "$corpus" "$artifacts"
    cp -r "$ROOT/tests/fuzz/corpus/$target/." "$corpus/"
    # -timeout: one input taking longer is a finding; the outer timeout catches a hung fuzzer.
    timeout --kill-after=10 $((SECONDS_PER_TARGET + 120)) \
        "$bin" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" \
        >"$WORK_DIR/$target.log" 2>&1
}

# Two at a time: wait for any one to finish before starting the next.
declare -A status
running=0
for target in "${TARGETS[@]}"; do
    [[ -d "$ROOT/tests/fuzz/corpus/$target" ]] || { echo "fuzz.sh: unknown target $target" >&2; exit 2; }
    if ((running >= JOBS)); then
        wait -n || true
        ((running--))
    fi
    echo "fuzz.sh: fuzzing $target for ${SECONDS_PER_TARGET}s" >&2
    ( rc=0; run_target "$target" || rc=$?; echo "$rc" >"$WORK_DIR/$target.rc" ) &
    ((++running))
done
wait

# The table is printed through tee (a subshell): failures are counted in a file, not a variable.
: >"$WORK_DIR/failed"
{
    printf '%-16s %14s %10s %10s %8s  %s\n' target executions exec/s new_units crashes result
    for target in "${TARGETS[@]}"; do
        log="$WORK_DIR/$target.log"
        rc="$(cat "$WORK_DIR/$target.rc" 2>/dev/null || echo 1)"
        stat_of() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
        execs="$(stat_of number_of_executed_units)"
        rate="$(stat_of average_exec_per_sec)"
        units="$(stat_of new_units_added)"
        crashes="$(find "$WORK_DIR/artifacts/$target" -type f 2>/dev/null | wc -l)"
        result=ok
        if [[ "$rc" != 0 || "$crashes" != 0 || -z "$execs" ]]; then
            result="FAILED (exit $rc; see $log)"
            echo "$target" >>"$WORK_DIR/failed"
        fi
        printf '%-16s %14s %10s %10s %8s  %s\n' "$target" "${execs:-?}" "${rate:-?}" \
            "${units:-?}" "$crashes" "$result"
    done
    echo "seconds per target: $SECONDS_PER_TARGET, $JOBS at a time; build $((built - started))s," \
         "fuzzing $(($(date +%s) - built))s"
} | tee "$WORK_DIR/summary.txt"

if [[ -s "$WORK_DIR/failed" ]]; then
    echo "fuzz.sh: findings saved under $WORK_DIR/artifacts/; each becomes a regression in" \
         "tests/fuzz/regressions/<target>/" >&2
    for target in "${TARGETS[@]}"; do
        grep -m1 -E "ERROR|invariant broken|runtime error" "$WORK_DIR/$target.log" 2>/dev/null |
            sed "s/^/fuzz.sh: $target: /" >&2 || true
    done
    exit 1
fi
