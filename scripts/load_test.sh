#!/usr/bin/env bash
# Load test of `airlock serve`: CALLS tool calls (default 10000), 32 in flight, mixed 70 %
# allowed (sandboxed `true`), 20 % denied by policy, 10 % failing (sandboxed `false`). Checks:
# every call answered once with its expected outcome; the WAL verifies intact and holds exactly
# the records the calls write (per call and in total); the server's open descriptors equal and
# its RSS flat (within RSS_TOLERANCE_KIB) from after the warm-up to the end; no zombie or
# leftover process. See docs/RELIABILITY.md, "Load test".
#   scripts/load_test.sh [CALLS]     AIRLOCK=... LOADGEN=... choose the binaries (else build/)
set -euo pipefail

CALLS="${1:-10000}"
IN_FLIGHT="${IN_FLIGHT:-32}"
MIX="${MIX:-allowed=70,denied=20,failing=10}"
# Descriptors must come back exactly: every call's pipes and pidfds are closed when it ends.
# RSS may move by what the allocator keeps for itself: each call runs on its own thread, and
# glibc gives threads their own malloc arenas whose high-water marks (the free lists and
# partially used pages of up to 8 x cores arenas) settle only once many calls have run. 4 MiB
# is far below what any per-call leak costs at this count (10 000 calls x 1 KiB = 10 MiB).
RSS_TOLERANCE_KIB="${RSS_TOLERANCE_KIB:-4096}"
FD_TOLERANCE=0
# A sanitized airlock keeps freed memory in ASan's quarantine (by design, up to 256 MiB) and
# descriptors of its own runtime: flat RSS and descriptors are checked on the Release build
# (CI's full load test); under sanitizers the run checks answers, the WAL and processes.
if [[ "${AIRLOCK_LOAD_SANITIZED:-}" == 1 ]]; then
    RSS_TOLERANCE_KIB=$((1 << 30))
    FD_TOLERANCE=16
    echo "load test: sanitized build: RSS and descriptor growth not checked" >&2
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
if [[ -z "${AIRLOCK:-}" || -z "${LOADGEN:-}" ]]; then
    if [[ ! -x "$BUILD_DIR/cli/airlock" || ! -x "$BUILD_DIR/tests/load/airlock-loadgen" ]]; then
        cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
        cmake --build "$BUILD_DIR" -j "$(nproc 2>/dev/null || echo 2)" --target airlock airlock-loadgen >/dev/null
    fi
fi
AIRLOCK="$(realpath "${AIRLOCK:-$BUILD_DIR/cli/airlock}")"
LOADGEN="$(realpath "${LOADGEN:-$BUILD_DIR/tests/load/airlock-loadgen}")"

DIR="$(mktemp -d "${TMPDIR:-/tmp}/airlock-load.XXXXXX")"
trap 'rm -rf "$DIR"' EXIT
mkdir -p "$DIR/ws" "$DIR/config"
export XDG_CONFIG_HOME="$DIR/config"  # the user's own policy must not change the outcomes

start=$EPOCHREALTIME
status=0
"$LOADGEN" --airlock "$AIRLOCK" --workspace "$DIR/ws" --calls "$CALLS" --in-flight "$IN_FLIGHT" \
    --mix "$MIX" --max-fd-growth "$FD_TOLERANCE" --max-rss-growth-kib "$RSS_TOLERANCE_KIB" \
    --server-stderr "$DIR/serve.log" --json-out "$DIR/load.json" || status=$?

verdict="$("$AIRLOCK" wal verify --workspace "$DIR/ws" last 2>&1)" || {
    echo "load test: airlock wal verify: $verdict" >&2
    status=1
}
case "$verdict" in
    *": intact: "*) ;;
    *) echo "load test: the WAL is not intact: $verdict" >&2; status=1 ;;
esac
wall=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
if ((status != 0)); then
    echo "load test: FAILED ($CALLS calls, ${wall} s); the server's stderr ends with:" >&2
    tail -n 20 "$DIR/serve.log" >&2 || true
    exit 1
fi
echo "load test: ok: $CALLS calls, $IN_FLIGHT in flight, WAL ${verdict#*: }; ${wall} s wall"
