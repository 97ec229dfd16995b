#!/usr/bin/env bash
# Sets everything up and runs airlock's whole test suite.
#
#   scripts/test.sh              build (Release) and run every test with ctest
#   scripts/test.sh --sanitize   the same built with clang, AddressSanitizer + UndefinedBehaviorSanitizer
#                                (build-sanitize/, shared with scripts/fuzz.sh)
#   scripts/test.sh --ci         what CI runs: the suite, the no-user-namespaces matrix row, then
#                                the full crash test (200 kills), the full load test (10,000
#                                calls), the sanitized suite and 60 s of fuzzing per target
#                                (about 27 minutes on 2 cores)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
jobs="$(nproc 2>/dev/null || echo 2)"

# One step of a --ci run, timed, so a slow step shows in the log.
step() {
    local name="$1"
    shift
    local started=$SECONDS
    echo "airlock test: == $name ==" >&2
    local rc=0
    "$@" || rc=$?
    if ((rc != 0)); then
        local why="exit $rc"
        ((rc == 124 || rc == 137)) && why="timed out"
        echo "airlock test: == $name: FAILED ($why, $((SECONDS - started)) s) ==" >&2
        exit "$rc"
    fi
    echo "airlock test: == $name: ok ($((SECONDS - started)) s) ==" >&2
}

# Exit 77 is "this host cannot simulate it" (the script says why): not a failure.
matrix_no_userns() {
    local rc=0
    "$ROOT/scripts/matrix_no_userns.sh" "$BUILD_DIR" || rc=$?
    [[ "$rc" == 0 || "$rc" == 77 ]]
}

case "${1:-}" in
    --ci)
        step "suite" "$ROOT/scripts/test.sh"
        # Portability matrix: a host where user namespaces cannot be created (simulated; about
        # 2 minutes). The cgroup v2 row (scripts/matrix_cgroup2.sh) boots a VM and is run by hand.
        step "matrix: no user namespaces" matrix_no_userns
        # Each about 2-4 minutes; a hang fails its step after 20, naming it, instead of using up
        # the whole CI run.
        step "crash test" timeout --kill-after=30 1200 "$ROOT/scripts/crash_test.sh" 200
        step "load test" timeout --kill-after=30 1200 "$ROOT/scripts/load_test.sh" 10000
        step "sanitized suite" "$ROOT/scripts/test.sh" --sanitize
        step "fuzzing" "$ROOT/scripts/fuzz.sh" 60
        exit 0
        ;;
    --sanitize)
        "$ROOT/scripts/bootstrap.sh" --sanitize
        BUILD_DIR="${BUILD_DIR%/}-sanitize"
        # Any report fails the test that triggered it (UBSan would otherwise print and go on).
        export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
        export ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
        ;;
    "")
        "$ROOT/scripts/bootstrap.sh"
        ;;
    *)
        echo "usage: $0 [--sanitize | --ci]" >&2
        exit 2
        ;;
esac

# Tests that depend on the host append what does not apply here (tests/support/not_applicable.hpp);
# the list is printed after the run, so a host's refusals are named, never silent.
export AIRLOCK_TEST_NA_LOG="$BUILD_DIR/not-applicable.log"
: >"$AIRLOCK_TEST_NA_LOG"
status=0
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$jobs" --timeout 300 || status=$?
if [[ -s "$AIRLOCK_TEST_NA_LOG" ]]; then
    echo "airlock test: not applicable on this host (the host itself refuses these; checked what remains):"
    sort -u "$AIRLOCK_TEST_NA_LOG" | sed 's/^/  - /'
fi
exit "$status"
