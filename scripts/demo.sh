#!/usr/bin/env bash
# The airlock demo: sets everything up, then walks through four scenarios in a fresh workspace.
#   1. success          a file is written, then a command reads it
#   2. missing param    a call without a required parameter is refused before anything runs
#   3. policy block     a dangerous command is denied, with the rule and the reason
#   4. sandbox block    an allowed command tries to write outside the workspace and cannot
# Every scenario points to its run log (WAL); the logs stay in the demo workspace.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/bootstrap.sh" 2>&1
AIRLOCK="${BUILD_DIR:-$ROOT/build}/cli/airlock"

DEMO_DIR="$(mktemp -d "${TMPDIR:-/tmp}/airlock-demo.XXXXXX")"
WS="$DEMO_DIR/workspace"
mkdir -p "$WS"
# /var/tmp is writable for everyone on the host, and read-only inside the sandbox.
ESCAPE_TARGET="/var/tmp/airlock-demo-escape-$(basename "$DEMO_DIR").txt"

if [[ -t 1 ]]; then
    BOLD=$'\e[1m'; GREEN=$'\e[32m'; RED=$'\e[31m'; DIM=$'\e[2m'; RESET=$'\e[0m'
else
    BOLD=""; GREEN=""; RED=""; DIM=""; RESET=""
fi

failures=0
step() { printf '\n%s== %s ==%s\n' "$BOLD" "$1" "$RESET"; }
show() { printf '%s$ %s%s\n' "$DIM" "$*" "$RESET"; }
expect() {  # expect NAME WANTED_STATUS ACTUAL_STATUS
    if [[ "$2" == "$3" ]]; then
        printf '%s✔ %s (exit %s)%s\n' "$GREEN" "$1" "$3" "$RESET"
    else
        printf '%s✘ %s: expected exit %s, got %s%s\n' "$RED" "$1" "$2" "$3" "$RESET"
        failures=$((failures + 1))
    fi
}
last_wal() { ls -t "$WS"/.airlock/runs/*/events.jsonl | head -1; }
wal_line() { printf '  run log: %s\n' "$(last_wal)"; }

cd "$WS"
echo "${BOLD}airlock demo${RESET} — workspace: $WS"

step "1. success: write a file, then run a command that reads it"
show "printf 'hello from the agent\n' | airlock write notes/hello.txt"
set +e; printf 'hello from the agent\n' | "$AIRLOCK" write notes/hello.txt; rc=$?; set -e
expect "file_write" 0 "$rc"; wal_line
show "airlock exec -- wc -l notes/hello.txt"
set +e; "$AIRLOCK" exec -- wc -l notes/hello.txt; rc=$?; set -e
expect "shell_exec" 0 "$rc"; wal_line

step "2. missing parameter: file_write without \"path\""
show "airlock call file_write '{\"content\": \"no path given\"}'"
set +e; "$AIRLOCK" call file_write '{"content": "no path given"}' 2>&1; rc=$?; set -e
expect "refused before anything ran" 126 "$rc"; wal_line

step "3. policy block: a dangerous command is denied"
show "airlock exec -c 'rm -rf / --no-preserve-root'"
set +e; "$AIRLOCK" exec --approve deny -c 'rm -rf / --no-preserve-root' 2>"$DEMO_DIR/stderr"; rc=$?; set -e
cat "$DEMO_DIR/stderr"
expect "denied before it ran" 126 "$rc"; wal_line
if ! grep -q 'denied by policy rule' "$DEMO_DIR/stderr"; then
    printf '%s✘ the block did not name a policy rule%s\n' "$RED" "$RESET"
    failures=$((failures + 1))
fi

step "4. sandbox block: an allowed script writes outside the workspace"
show "printf 'echo pwned > \"\$1\"\\n' | airlock write install.sh"
printf 'echo pwned > "$1"\n' | "$AIRLOCK" write install.sh
show "airlock exec -- sh install.sh $ESCAPE_TARGET"
set +e; "$AIRLOCK" exec -- sh install.sh "$ESCAPE_TARGET" 2>&1; rc=$?; set -e
expect "the policy allowed it, the sandbox stopped the write" 2 "$rc"; wal_line
if [[ -e "$ESCAPE_TARGET" ]]; then
    printf '%s✘ %s exists: the sandbox did not hold%s\n' "$RED" "$ESCAPE_TARGET" "$RESET"
    failures=$((failures + 1))
else
    printf '%s✔ %s was not created%s\n' "$GREEN" "$ESCAPE_TARGET" "$RESET"
fi

step "run logs left in the demo workspace"
ls -1 "$WS"/.airlock/runs/*/events.jsonl
if ((failures)); then
    printf '\n%s%d scenario(s) did not behave as expected%s\n' "$RED" "$failures" "$RESET"
    exit 1
fi
printf '\n%sall four scenarios behaved as expected%s\n' "$GREEN" "$RESET"
