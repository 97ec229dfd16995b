#!/usr/bin/env bash
# Sets everything up and runs airlock's whole test suite.
#
#   scripts/test.sh              build (Release) and run every test with ctest
#   scripts/test.sh --sanitize   the same built with clang, AddressSanitizer + UndefinedBehaviorSanitizer
#                                (build-sanitize/, shared with scripts/fuzz.sh)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
if [[ "${1:-}" == "--sanitize" ]]; then
    "$ROOT/scripts/bootstrap.sh" --sanitize
    BUILD_DIR="${BUILD_DIR%/}-sanitize"
    # Any report fails the test that triggered it (UBSan would otherwise print and go on).
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
    export ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
else
    "$ROOT/scripts/bootstrap.sh"
fi

jobs="$(nproc 2>/dev/null || echo 2)"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$jobs" --timeout 300
