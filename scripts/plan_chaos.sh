#!/usr/bin/env bash
# Chaos check for plans: N random plans (default 100) of file writes, with a failure injected at
# a random step in most of them, all with rollback_on_failure. Every failed plan must leave the
# workspace exactly as it was (tree hash without .airlock/); every successful one must leave
# each written file with the last content written to it. Deterministic: the seed is fixed.
#   scripts/plan_chaos.sh [N] [SEED]      AIRLOCK=path/to/airlock to choose the binary
set -euo pipefail

N="${1:-100}"
RANDOM="${2:-7}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AIRLOCK="${AIRLOCK:-${BUILD_DIR:-$ROOT/build}/cli/airlock}"
AIRLOCK="$(realpath "$AIRLOCK")"
DIR="$(mktemp -d "${TMPDIR:-/tmp}/airlock-chaos.XXXXXX")"
trap 'rm -rf "$DIR"' EXIT
WS="$DIR/ws"
mkdir -p "$WS/src" "$WS/docs"
printf 'alpha\n' >"$WS/src/a.txt"; chmod 640 "$WS/src/a.txt"
printf 'beta\n' >"$WS/src/b.txt"; chmod 600 "$WS/src/b.txt"
printf '#!/bin/sh\n' >"$WS/run.sh"; chmod 755 "$WS/run.sh"

PATHS=(src/a.txt src/b.txt run.sh docs/new.txt new/dir/one.txt new/dir/two.txt top.txt)

tree_hash() {
    (cd "$WS" && find . -path ./.airlock -prune -o -printf '%y %m %p\n' | LC_ALL=C sort &&
        find . -path ./.airlock -prune -o -type f -print0 | LC_ALL=C sort -z |
        xargs -0 -r sha256sum) | sha256sum | cut -d' ' -f1
}

failures=0
rolled_back=0
succeeded=0
for ((i = 1; i <= N; i++)); do
    steps=$((RANDOM % 5 + 2))
    inject=$((RANDOM % (steps + 2)))  # steps or steps+1: no failure
    kind=$((RANDOM % 3))
    declare -A want=()
    body=""
    for ((s = 1; s <= steps; s++)); do
        [[ -n "$body" ]] && body+=","
        if ((s == inject)); then
            case $kind in
                0) body+="{\"id\":\"s$s\",\"tool\":\"shell_exec\",\"args\":{\"command\":\"exit 3\"}}" ;;
                1) body+="{\"id\":\"s$s\",\"tool\":\"shell_exec\",\"args\":{\"command\":\"echo text\"},\"expect\":{\"stdout_json\":true}}" ;;
                2) body+="{\"id\":\"s$s\",\"tool\":\"file_write\",\"args\":{\"path\":\"top.txt\",\"content\":\"x\"},\"checks\":[{\"file_contains\":{\"path\":\"top.txt\",\"text\":\"never\"}}]}" ;;
            esac
        else
            p="${PATHS[RANDOM % ${#PATHS[@]}]}"
            content="plan $i step $s $RANDOM"
            want["$p"]="$content"
            body+="{\"id\":\"s$s\",\"tool\":\"file_write\",\"args\":{\"path\":\"$p\",\"content\":\"$content\"}}"
        fi
    done
    printf '{"steps":[%s],"rollback_on_failure":true}\n' "$body" >"$DIR/plan.json"
    before="$(tree_hash)"
    set +e
    (cd "$WS" && "$AIRLOCK" run --approve deny "$DIR/plan.json" 2>"$DIR/stderr")
    rc=$?
    set -e
    if ((inject >= 1 && inject <= steps)); then
        if [[ $rc -ne 2 || "$(tree_hash)" != "$before" ]]; then
            echo "plan $i: failure at step $inject (kind $kind): exit $rc (want 2), tree" \
                "$([[ "$(tree_hash)" == "$before" ]] && echo unchanged || echo CHANGED):" \
                "$(cat "$DIR/stderr")" >&2
            cat "$DIR/plan.json" >&2
            failures=$((failures + 1))
        else
            rolled_back=$((rolled_back + 1))
        fi
    else
        ok=1
        [[ $rc -eq 0 ]] || ok=0
        for p in "${!want[@]}"; do
            [[ "$(cat "$WS/$p" 2>/dev/null)" == "${want[$p]}" ]] || ok=0
        done
        if ((ok)); then
            succeeded=$((succeeded + 1))
        else
            echo "plan $i: expected success: exit $rc: $(cat "$DIR/stderr")" >&2
            failures=$((failures + 1))
        fi
    fi
    unset want
done
echo "plan chaos: $N plans, $rolled_back rolled back intact, $succeeded succeeded as intended, $failures wrong"
((failures == 0))
