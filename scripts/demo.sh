#!/usr/bin/env bash
# The airlock demo: sets everything up, then walks through four scenarios in a fresh workspace.
#   1. success          a file is written, then a command reads it
#   2. missing param    a call without a required parameter is refused before anything runs
#   3. policy block     a dangerous command is denied, with the rule and the reason
#   4. sandbox block    an allowed command tries to write outside the workspace and cannot
# Then the same stories as plans (examples/plans/, run with `airlock run`), plus rollback and resume:
#   5. plan success      6. plan missing param   7. plan policy block
#   8. contract drift    9. rollback             10. resume
# Every scenario points to its run log (WAL); the logs stay in the demo workspace, and each
# plan's JSON summary in traces/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Only what the demo needs: the airlock binary (scripts/test.sh builds the tests as well).
"$ROOT/scripts/bootstrap.sh" --airlock 2>&1
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

# ---------------------------------------------------------------------------------------------
# Plans: several tool calls validated as a whole, then run in order (docs/PLANS.md).
# ---------------------------------------------------------------------------------------------
PLANS="$ROOT/examples/plans"
mkdir -p "$WS/traces"
plan() {  # plan NAME WANTED_STATUS PLAN_FILE [airlock run options...]
    local name="$1" want="$2" file="$3"
    shift 3
    show "airlock run${*:+ $*} examples/plans/$(basename "$file")"
    set +e
    "$AIRLOCK" run --json --approve deny "$@" "$file" >"$WS/traces/$name.json" 2>"$DEMO_DIR/stderr"
    rc=$?
    set -e
    cat "$DEMO_DIR/stderr"
    printf '  summary: %s\n' "$WS/traces/$name.json"
    expect "$name" "$want" "$rc"
}
json_field() {  # json_field FILE FIELD: a top-level string field of a summary
    sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p" "$1"
}

step "5. plan success: write a config, check it parses as the JSON it should be"
plan plan-success 0 "$PLANS/success.json"

step "6. plan missing parameter: step 5 has no \"path\"; steps 1-4 never run"
plan plan-missing-parameter 126 "$PLANS/missing_parameter.json"
if [[ -e "$WS/missing" ]]; then
    printf '%s✘ step 1 wrote missing/ although the plan was invalid%s\n' "$RED" "$RESET"
    failures=$((failures + 1))
else
    printf '%s✔ nothing from steps 1-4 exists%s\n' "$GREEN" "$RESET"
fi

step "7. plan policy block: step 2 is denied at preflight; step 1 never runs"
plan plan-policy-block 126 "$PLANS/policy_block.json"
[[ ! -e "$WS/blocked" ]] || { printf '%s✘ blocked/ exists%s\n' "$RED" "$RESET"; failures=$((failures + 1)); }

step "8. contract drift: a tool that printed JSON now prints text"
plan plan-contract-drift 1 "$PLANS/contract_drift.json"
grep -q '"failure":"contract_drift"' "$WS/traces/plan-contract-drift.json" ||
    { printf '%s✘ not reported as contract_drift%s\n' "$RED" "$RESET"; failures=$((failures + 1)); }

step "9. rollback: a failing migration undoes the plan's own writes"
config_before="$(sha256sum "$WS/app/config.json")"
plan plan-rollback 2 "$PLANS/rollback.json"
if [[ "$(sha256sum "$WS/app/config.json")" == "$config_before" && ! -e "$WS/app/migrations" ]]; then
    printf '%s✔ app/config.json is byte-identical again, app/migrations/ is gone%s\n' "$GREEN" "$RESET"
else
    printf '%s✘ the rollback did not restore the workspace%s\n' "$RED" "$RESET"
    failures=$((failures + 1))
fi

step "10. resume: the plan stops at a gate; once it is open, resume skips what succeeded"
plan plan-resume-first 1 "$PLANS/resume.json"
first_run="$(json_field "$WS/traces/plan-resume-first.json" run_id)"
show "airlock write resume/ready </dev/null"
"$AIRLOCK" write resume/ready </dev/null
plan plan-resume-second 0 "$PLANS/resume.json" --resume "$first_run"
grep -q '"status":"skipped_replayed"' "$WS/traces/plan-resume-second.json" ||
    { printf '%s✘ no step was replayed%s\n' "$RED" "$RESET"; failures=$((failures + 1)); }

step "run logs left in the demo workspace"
ls -1 "$WS"/.airlock/runs/*/events.jsonl
if ((failures)); then
    printf '\n%s%d scenario(s) did not behave as expected%s\n' "$RED" "$failures" "$RESET"
    exit 1
fi
printf '\n%sall scenarios behaved as expected%s\n' "$GREEN" "$RESET"
