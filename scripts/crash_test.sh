#!/usr/bin/env bash
# Crash test: N times (default 200), start a long plan (`airlock run`) or a server session
# (`airlock serve` under airlock-loadgen) in a fresh workspace and SIGKILL airlock at a random
# moment. After each kill:
#   - `airlock wal verify` says intact, incomplete or truncated (an unbroken chain whose last
#     line is torn: the kernel stops a write that crosses a page boundary when SIGKILL is
#     pending, so a kill can cut the record being appended), never tampered or unreadable;
#   - every call whose result had reached the client is in the log with that result
#     (airlock-loadgen compares them); a plan whose summary was printed is logged as finished;
#   - no process of the killed run is alive after a grace period (airlock-crashrun and
#     airlock-loadgen are the subreapers of everything it started);
#   - the workspace holds nothing outside .airlock/ but the files the run writes, each with the
#     content a write gave it (never a temporary or a torn file), and its parent holds nothing
#     but the workspace;
#   - the next run in the same workspace works: the plan again with --resume (it finishes, and
#     replays exactly the steps the killed run logged as succeeded), or `airlock exec`.
# The delays come from a seeded RNG; the seed is printed, so a failure can be reproduced.
#   scripts/crash_test.sh [N] [SEED]     AIRLOCK=... LOADGEN=... CRASHRUN=... choose the binaries
set -euo pipefail

N="${1:-200}"
SEED="${2:-$(( $(date +%s) % 100000 ))}"
RANDOM="$SEED"
PLAN_KILL_MAX_MS="${PLAN_KILL_MAX_MS:-800}"
SERVE_KILL_MAX_MS="${SERVE_KILL_MAX_MS:-800}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
if [[ -z "${AIRLOCK:-}" || -z "${LOADGEN:-}" || -z "${CRASHRUN:-}" ]]; then
    if [[ ! -x "$BUILD_DIR/cli/airlock" || ! -x "$BUILD_DIR/tests/load/airlock-loadgen" ||
          ! -x "$BUILD_DIR/tests/load/airlock-crashrun" ]]; then
        cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
        cmake --build "$BUILD_DIR" -j "$(nproc 2>/dev/null || echo 2)" \
            --target airlock airlock-loadgen airlock-crashrun >/dev/null
    fi
fi
AIRLOCK="$(realpath "${AIRLOCK:-$BUILD_DIR/cli/airlock}")"
FLOOR_ENTRIES="$("$AIRLOCK" policy floor | cut -f1 | cut -d/ -f1 | sort -u)"
LOADGEN="$(realpath "${LOADGEN:-$BUILD_DIR/tests/load/airlock-loadgen}")"
CRASHRUN="$(realpath "${CRASHRUN:-$BUILD_DIR/tests/load/airlock-crashrun}")"

DIR="$(mktemp -d "${TMPDIR:-/tmp}/airlock-crash.XXXXXX")"
failures=0
# Kept when something failed, for inspection.
trap 'if ((failures == 0)); then rm -rf "$DIR"; else echo "crash test: kept $DIR" >&2; fi' EXIT
mkdir -p "$DIR/config" "$DIR/logs"
export XDG_CONFIG_HOME="$DIR/config"  # the user's own policy must not change the outcomes

# The plan: 12 steps, file writes (one replaces a file that was there) and sandboxed commands.
PLAN="$DIR/plan.json"
{
    printf '{"steps": ['
    for ((s = 1; s <= 8; s++)); do
        ((s > 1)) && printf ','
        path="out/f$s.txt"; ((s == 1)) && path="src/a.txt"
        printf '{"id": "w%d", "tool": "file_write", "args": {"path": "%s", "content": "step %d\\n"}}' \
            "$s" "$path" "$s"
        if ((s % 2 == 0)); then
            printf ',{"id": "x%d", "tool": "shell_exec", "args": {"argv": ["cat", "%s"]}, "expect": {"stdout_contains": "step %d"}}' \
                "$s" "$path" "$s"
        fi
    done
    printf ']}\n'
} >"$PLAN"

fail() {
    echo "crash test: iteration $i ($mode, kill after ${delay} ms, seed $SEED): $*" >&2
    failures=$((failures + 1))
}

# verify WS RUN: the killed run's log must be intact, incomplete or truncated (torn last line).
verify_killed() {
    local out rc=0
    out="$("$AIRLOCK" wal verify --workspace "$1" "$2" 2>&1)" || rc=$?
    ((rc == 2)) && torn=$((torn + 1))
    if ((rc != 0 && rc != 1 && rc != 2)); then
        fail "wal verify (exit $rc): $out"
        return 1
    fi
}

# The files outside .airlock/: each must be one a write names, with a content a write gave it.
check_files() {  # WS MODE
    local ws="$1" f rel
    while IFS= read -r -d '' f; do
        rel="${f#"$ws"/}"
        case "$2:$rel" in
            serve:src/a.txt) [[ "$(cat "$f")" == alpha ]] || fail "src/a.txt was changed" ;;
            plan:src/a.txt) [[ "$(cat "$f")" == alpha || "$(cat "$f")" == "step 1" ]] ||
                fail "src/a.txt holds \"$(head -c 80 "$f")\"" ;;
            plan:out/f[2-8].txt)
                local n="${rel#out/f}"; n="${n%.txt}"
                [[ "$(cat "$f")" == "step $n" ]] || fail "$rel holds \"$(head -c 80 "$f")\"" ;;
            serve:load/load-*.txt)
                local token="${rel#load/}"; token="${token%.txt}"
                [[ "$(cat "$f")" == "$token" ]] || fail "$rel holds \"$(head -c 80 "$f")\"" ;;
            *)
                # A placeholder for a missing protection-floor entry (an empty file bwrap made as
                # a mount point) outlives a SIGKILLed airlock; the next call reuses and removes it.
                if [[ "$rel" != */* && ! -s "$f" ]] && grep -qxF "$rel" <<<"$FLOOR_ENTRIES"; then
                    continue
                fi
                fail "unexpected file in the workspace: $rel" ;;
        esac
    done < <(find "$ws" -path "$ws/.airlock" -prune -o ! -type d -print0)
    local extra
    extra="$(find "$(dirname "$ws")" -mindepth 1 -maxdepth 1 ! -name ws -printf '%f ')"
    [[ -z "$extra" ]] || fail "left in the workspace's parent: $extra"
}

plan_iteration() {  # WS
    local ws="$1" rc=0 report
    report="$("$CRASHRUN" --kill-after-ms "$delay" --stdout "$DIR/logs/plan.out" \
        --stderr "$DIR/logs/plan.err" -- "$AIRLOCK" run --workspace "$ws" "$PLAN" --json)" || rc=$?
    ((rc == 0)) || fail "processes left behind: $report"
    local runs=("$ws"/.airlock/runs/*/events.jsonl)
    local killed_log=""
    [[ -e "${runs[0]}" ]] && killed_log="${runs[0]}"
    if [[ -n "$killed_log" ]]; then
        verify_killed "$ws" "$killed_log" || true
        if [[ "$report" == *'"killed":false'* ]] &&
            ! grep -q '"type":"plan_finished"' "$killed_log"; then
            fail "the plan's summary was printed but its log has no plan_finished"
        fi
    fi
    check_files "$ws" plan
    # The next run: resume when the killed run got as far as starting the plan.
    local resume=() replayable=0 out
    if [[ -n "$killed_log" ]] && grep -q '"type":"plan_started"' "$killed_log"; then
        resume=(--resume last)
        replayable="$(grep '"type":"step_finished"' "$killed_log" | grep -c '"status":"ok"' || true)"
    fi
    rc=0
    out="$("$AIRLOCK" run --workspace "$ws" "$PLAN" --json "${resume[@]}" 2>"$DIR/logs/next.err")" || rc=$?
    if ((rc != 0)); then
        fail "the next run (${resume[*]:-no resume}) exited $rc: $(tail -c 400 "$DIR/logs/next.err")"
        return
    fi
    local replayed
    replayed="$( (grep -o '"status":"skipped_replayed"' <<<"$out" || true) | wc -l)"
    ((replayed == replayable)) ||
        fail "the resumed run replayed $replayed steps, the killed run logged $replayable as succeeded"
    verify_intact "$ws"
    check_files "$ws" plan
}

verify_intact() {  # WS: the last run's log must be intact
    local out rc=0
    out="$("$AIRLOCK" wal verify --workspace "$1" last 2>&1)" || rc=$?
    ((rc == 0)) || fail "the next run's log is not intact: $out"
}

serve_iteration() {  # WS
    local ws="$1" rc=0
    "$LOADGEN" --airlock "$AIRLOCK" --workspace "$ws" --calls 1000000 --in-flight 8 \
        --mix allowed=40,denied=20,failing=20,written=20 --seed "$RANDOM" \
        --kill-after-ms "$delay" --server-stderr "$DIR/logs/serve.err" \
        >"$DIR/logs/loadgen.out" 2>&1 || rc=$?
    ((rc == 0)) || fail "airlock-loadgen: $(grep -E 'FAILED|error' "$DIR/logs/loadgen.out" | head -5)"
    local runs=("$ws"/.airlock/runs/*/events.jsonl)
    [[ -e "${runs[0]}" ]] && { verify_killed "$ws" "${runs[0]}" || true; }
    check_files "$ws" serve
    local out
    rc=0
    out="$("$AIRLOCK" exec --workspace "$ws" --json -- true 2>&1)" || rc=$?
    ((rc == 0)) || fail "the next run (airlock exec -- true) exited $rc: ${out:0:400}"
    verify_intact "$ws"
}

echo "crash test: $N iterations, seed $SEED (rerun: scripts/crash_test.sh $N $SEED)"
start=$EPOCHREALTIME
plans=0
serves=0
torn=0
for ((i = 1; i <= N; i++)); do
    it="$DIR/it"
    rm -rf "$it"
    mkdir -p "$it/ws/src"
    printf 'alpha\n' >"$it/ws/src/a.txt"
    before=$failures
    # Delays start at 1 ms: airlock-loadgen takes 0 as "never", which would run its million calls.
    if ((RANDOM % 2 == 0)); then
        mode=plan
        delay=$((1 + RANDOM % PLAN_KILL_MAX_MS))
        plan_iteration "$it/ws"
        plans=$((plans + 1))
    else
        mode=serve
        delay=$((1 + RANDOM % SERVE_KILL_MAX_MS))
        serve_iteration "$it/ws"
        serves=$((serves + 1))
    fi
    if ((failures > before)); then
        echo "crash test: iteration $i kept for inspection in $DIR/failed-$i" >&2
        mv "$it" "$DIR/failed-$i"
    fi
done
wall=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
echo "crash test: $N kills ($plans plans, $serves server sessions; $torn logs with a torn last record), $failures failures, seed $SEED, ${wall} s"
((failures == 0))
