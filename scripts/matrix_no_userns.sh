#!/usr/bin/env bash
# Portability matrix, row "no user namespaces": a host where user namespaces cannot be created.
#
#   scripts/matrix_no_userns.sh [BUILD_DIR [ESCAPE_SUITE_OPTIONS...]]
#
# BUILD_DIR defaults to build/ (the binaries must be built); doctest options after it go to the
# escape suite (e.g. -tc="a timeout*" to run one scenario).
#
# Simulated, not assumed: run by root, the script enters a child user namespace that maps uids
# and gids 0-65535 to themselves, sets user.max_user_namespaces to 0 there (the limit is per user
# namespace, so the host is untouched) and shows that unshare(CLONE_NEWUSER) now fails where it
# worked a moment before. Before that limit, with user.max_net_namespaces set to 0 instead, a
# call with a network allow list under bwrap (as airlock-test) is refused, not run, and the same
# call ran before that limit. Then, as root of that namespace and as the unprivileged user
# airlock-test:
#   - `airlock exec --dry-run --json` chooses seccomp by itself and says why
#     (effective.adapter_choice), and `airlock doctor --json` agrees;
#   - `--sandbox bwrap` is refused (sandbox_denied, exit 126), never run with another adapter;
#   - a real call runs under seccomp, and the WAL's run_started records the choice;
#   - the seccomp filter tests and the escape suite against the seccomp adapter pass.
# Exit 0 when every check passed, 1 on a failure, 77 (skipped, with the reason) when this host
# cannot simulate it (not root, no unshare/setpriv, user namespaces already unavailable).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SELF="$ROOT/scripts/$(basename "${BASH_SOURCE[0]}")"
USER_NAME=airlock-test
PY=/usr/bin/python3

skip() { echo "matrix no-userns: SKIPPED: $*" >&2; exit 77; }
say() { echo "matrix no-userns: $*" >&2; }

# ---- inside the namespace ---------------------------------------------------------------------
if [[ "${1:-}" == --inside ]]; then
    BUILD_DIR="$2"
    SCRATCH="$3"
    shift 3
    ESCAPE_ARGS=("$@")
    AIRLOCK="$BUILD_DIR/cli/airlock"
    failures=0
    checks=0
    check() {  # check NAME COMMAND...: one line per check, the output of a failing one
        local name="$1" out
        shift
        checks=$((checks + 1))
        if out="$("$@" 2>&1)"; then
            say "ok   $name"
        else
            failures=$((failures + 1))
            say "FAIL $name"
            printf '%s\n' "$out" | sed 's/^/    /' >&2
        fi
    }

    uid="$(id -u "$USER_NAME")"
    gid="$(id -g "$USER_NAME")"
    as_user() { setpriv --reuid "$uid" --regid "$gid" --init-groups -- "$@"; }

    # First, a host where network namespaces cannot be made (user.max_net_namespaces = 0, user
    # namespaces still allowed): a call with a network allow list under bwrap needs one of its
    # own (sandbox/netns.hpp), so it is refused, never run with the host's network or without
    # the proxy. The positive control runs the same call before the limit. As $USER_NAME only:
    # root of this namespace is not root of the host, so airlock's root path (idmapped mounts)
    # does not apply here.
    netns_check() {  # netns_check control|refused
        local ws="$SCRATCH/ws-netns"
        mkdir -p "$ws" && chown "$uid:$gid" "$ws" && cd "$ws"
        as_user "$PY" - "$AIRLOCK" "$1" <<'EOF'
import json, os, subprocess, sys
airlock, mode = sys.argv[1], sys.argv[2]
with open("allow.json", "w") as f:
    f.write('{"version": 1, "sandbox": {"network": {"allow": ["example.org"]}}}\n')
out = subprocess.run([airlock, "exec", "--json", "--sandbox", "bwrap", "--policy", "allow.json",
                      "--", "sh", "-c", "echo ran > net-ran"], capture_output=True, text=True)
print(out.returncode, out.stdout, out.stderr)
result = json.loads(out.stdout)
if mode == "control":
    assert out.returncode == 0, out.returncode
    assert open("net-ran").read() == "ran\n"
    os.remove("net-ran")
else:
    assert out.returncode == 126, out.returncode
    assert result["status"] == "sandbox_denied", result
    assert "network namespace" in result["message"], result
    assert not os.path.exists("net-ran")
    records = [json.loads(line) for line in open(result["wal"])]
    denied = [r for r in records if r["type"] == "sandbox_denied"]
    assert denied and "network namespace" in denied[0]["data"]["message"], records
EOF
        local rc=$?
        cd "$SCRATCH"
        return $rc
    }
    mkdir -p "$SCRATCH/ws-bwrap" && chown "$uid:$gid" "$SCRATCH/ws-bwrap"
    if ! (cd "$SCRATCH/ws-bwrap" && as_user "$AIRLOCK" exec --sandbox bwrap -- true) >/dev/null 2>&1; then
        # The host refuses bwrap to this user even here: nothing to compare against.
        echo "network namespace refused: bwrap does not run for $USER_NAME in the simulated host" \
            >>"$AIRLOCK_TEST_NA_LOG"
    else
        check "$USER_NAME: a network allow list runs while network namespaces can be made" \
            netns_check control
        net_limit="$(cat /proc/sys/user/max_net_namespaces)"
        echo 0 >/proc/sys/user/max_net_namespaces
        check "$USER_NAME: with no network namespace to be had, the call is refused, not run" \
            netns_check refused
        echo "$net_limit" >/proc/sys/user/max_net_namespaces
    fi

    # Positive control: here user namespaces still work...
    unshare --user true ||
        { say "FAIL user namespaces do not work in the namespace even before the limit"; exit 1; }
    echo 0 >/proc/sys/user/max_user_namespaces
    # ...and now they do not, for root of this namespace and for the unprivileged user.
    if unshare --user true 2>/dev/null; then
        say "FAIL unshare --user still works with user.max_user_namespaces = 0"
        exit 1
    fi
    if as_user unshare --user true 2>/dev/null; then
        say "FAIL unshare --user still works for $USER_NAME"
        exit 1
    fi
    say "user namespaces cannot be created now (user.max_user_namespaces = 0)"

    # The airlock checks, for one identity: $1 = label, then a runner ("" or as_user).
    airlock_checks() {
        local who="$1" run="$2" ws="$SCRATCH/ws-$1"
        mkdir -p "$ws"
        [[ -z "$run" ]] || chown "$uid:$gid" "$ws"
        cd "$ws"
        check "$who: auto chooses seccomp and says why (--dry-run --json)" \
            $run "$PY" - "$AIRLOCK" <<'EOF'
import json, subprocess, sys
out = subprocess.run([sys.argv[1], "exec", "--dry-run", "--json", "--", "true"],
                     capture_output=True, text=True)
result = json.loads(out.stdout)
choice = result["sandbox"]["effective"]["adapter_choice"]
print(result["status"], result.get("message"), choice)
assert choice["requested"] == "auto", choice
assert choice["chosen"] == "seccomp", choice
assert "user namespaces cannot be created" in choice["why"], choice
assert "max_user_namespaces" in choice["why"], choice
EOF
        check "$who: airlock doctor agrees" $run "$PY" - "$AIRLOCK" <<'EOF'
import json, subprocess, sys
out = subprocess.run([sys.argv[1], "doctor", "--json"], capture_output=True, text=True)
doc = json.loads(out.stdout)
print(doc["adapter_choice"], doc["user_namespaces"])
assert doc["adapter_choice"]["chosen"] == "seccomp"
assert doc["user_namespaces"]["works"] is False
assert doc["user_namespaces"]["failed_call"] == "unshare(CLONE_NEWUSER)"
assert [c["ok"] for c in doc["checks"] if c["name"] == "bwrap"] == [False]
EOF
        check "$who: --sandbox bwrap is refused, not downgraded" $run "$PY" - "$AIRLOCK" <<'EOF'
import json, os, subprocess, sys
out = subprocess.run([sys.argv[1], "exec", "--json", "--sandbox", "bwrap", "--",
                      "sh", "-c", "echo ran > bwrap-ran"], capture_output=True, text=True)
print(out.returncode, out.stdout, out.stderr)
assert out.returncode == 126, out.returncode
result = json.loads(out.stdout)
assert result["status"] == "sandbox_denied", result
assert "user namespaces cannot be created" in result["message"], result
assert not os.path.exists("bwrap-ran")
EOF
        check "$who: a real call runs under seccomp; run_started records the choice" \
            $run "$PY" - "$AIRLOCK" <<'EOF'
import json, subprocess, sys
# The seccomp adapter cannot enforce the protection floor and refuses calls under it: lift the
# liftable entries (airlock names them when asked for an unknown one).
listed = json.loads(subprocess.run([sys.argv[1], "exec", "--json", "--unprotect", "?", "--",
                                    "true"], capture_output=True, text=True).stdout)["message"]
floor = [e for e in listed.split("it lists: ")[1].split(", ") if e != ".airlock"]
out = subprocess.run([sys.argv[1], "exec", "--json", "--unprotect", ",".join(floor), "--",
                      "sh", "-c", "echo ran > auto-ran"], capture_output=True, text=True)
print(out.returncode, out.stdout, out.stderr)
assert out.returncode == 0, out.returncode
result = json.loads(out.stdout)
assert result["sandbox"]["adapter"] == "seccomp", result["sandbox"]
assert open("auto-ran").read() == "ran\n"
first = json.loads(open(result["wal"]).readline())
assert first["type"] == "run_started", first
choice = first["data"]["effective"]["adapter_choice"]
assert choice["chosen"] == "seccomp" and "max_user_namespaces" in choice["why"], choice
EOF
        cd "$SCRATCH"
    }
    airlock_checks root ""
    airlock_checks "$USER_NAME" as_user

    # The seccomp filter's own tests and the escape suite against the adapter auto chose.
    mkdir -p "$SCRATCH/r" "$SCRATCH/u"
    chown "$uid:$gid" "$SCRATCH/u"
    check "root: sandbox_seccomp tests" "$BUILD_DIR/tests/sandbox_seccomp/sandbox_seccomp_test"
    check "$USER_NAME: sandbox_seccomp tests" \
        as_user "$BUILD_DIR/tests/sandbox_seccomp/sandbox_seccomp_test"
    check "root: escape suite (seccomp)" env AIRLOCK_ESCAPE_SCRATCH="$SCRATCH/r" \
        "$BUILD_DIR/tests/sandbox/airlock_escape_tests" --escape-adapter=seccomp "${ESCAPE_ARGS[@]}"
    check "$USER_NAME: escape suite (seccomp)" \
        env AIRLOCK_ESCAPE_SCRATCH="$SCRATCH/u" HOME=/nonexistent \
        setpriv --reuid "$uid" --regid "$gid" --init-groups -- \
        "$BUILD_DIR/tests/sandbox/airlock_escape_tests" --escape-adapter=seccomp "${ESCAPE_ARGS[@]}"
    if [[ -s "${AIRLOCK_TEST_NA_LOG:-}" ]]; then
        say "not applicable here (the simulated host refuses these; checked what remains):"
        sort -u "$AIRLOCK_TEST_NA_LOG" | sed 's/^/  - /' >&2
    fi
    say "$((checks - failures)) of $checks checks passed"
    [[ "$failures" == 0 ]]
    exit
fi

# ---- on the host ------------------------------------------------------------------------------
BUILD_DIR="$(cd "${1:-$ROOT/build}" && pwd)"
shift || true
for binary in cli/airlock tests/sandbox/airlock_escape_tests tests/sandbox_seccomp/sandbox_seccomp_test; do
    [[ -x "$BUILD_DIR/$binary" ]] || { echo "matrix no-userns: $BUILD_DIR/$binary is not built" >&2; exit 2; }
done
[[ "$(id -u)" == 0 ]] || skip "must be run as root (it maps a range of uids into a user namespace)"
command -v unshare >/dev/null && command -v setpriv >/dev/null || skip "needs unshare and setpriv (util-linux)"
[[ -x "$PY" ]] || skip "needs $PY to read airlock's JSON"
unshare --user true 2>/dev/null ||
    skip "user namespaces cannot be created on this host at all: nothing to simulate"
if ! id -u "$USER_NAME" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
        --user-group "$USER_NAME" || skip "useradd could not create the user $USER_NAME"
fi
setpriv --reuid "$(id -u "$USER_NAME")" --regid "$(id -g "$USER_NAME")" --init-groups -- \
    test -x "$BUILD_DIR/cli/airlock" ||
    skip "$USER_NAME cannot execute $BUILD_DIR/cli/airlock (a parent directory is not searchable)"

started=$SECONDS
SCRATCH="$(mktemp -d /var/tmp/alm.XXXXXX)"  # short: the escape suite binds unix sockets beneath it
chmod 0755 "$SCRATCH"
export AIRLOCK_TEST_NA_LOG="$SCRATCH/not-applicable.log"
: >"$AIRLOCK_TEST_NA_LOG"
chmod 0666 "$AIRLOCK_TEST_NA_LOG"
trap 'rm -rf "$SCRATCH"' EXIT
mkfifo "$SCRATCH/unshared" "$SCRATCH/mapped"
# The child unshares, says so, and waits until its ids are mapped (root writes the maps from
# outside: an identity map of 0-65535, so that root and airlock-test both exist inside).
unshare --user -- sh -c 'echo >"$1"; read -r _ <"$2"; shift 2; exec "$@"' sh \
    "$SCRATCH/unshared" "$SCRATCH/mapped" "$SELF" --inside "$BUILD_DIR" "$SCRATCH" "$@" &
child=$!
read -r _ <"$SCRATCH/unshared"
echo "0 0 65536" >"/proc/$child/uid_map"
echo "0 0 65536" >"/proc/$child/gid_map"
echo >"$SCRATCH/mapped"
status=0
wait "$child" || status=$?
say "done in $((SECONDS - started)) s (exit $status)"
exit "$status"
