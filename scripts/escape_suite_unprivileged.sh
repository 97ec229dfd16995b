#!/usr/bin/env bash
# Runs the sandbox escape suite as an unprivileged user, so that nothing in it depends on root.
# Run by root: creates the user "airlock-test" when it is missing, then runs the already built
# test binary as that user in a scratch directory it owns (nothing is copied).
#
#   scripts/escape_suite_unprivileged.sh PATH/TO/airlock_escape_tests [--escape-adapter=bwrap|seccomp] [doctest options...]
#
# The adapter under attack is bwrap unless --escape-adapter (or AIRLOCK_ESCAPE_ADAPTER) says
# seccomp. Exit 77 (skipped, with the reason) when not run as root, when users cannot be
# created, when the user cannot reach the binaries, or, for bwrap, when this host does not let
# unprivileged users create user namespaces (then bubblewrap cannot work for them at all; the
# seccomp adapter needs none). The suite itself exits 77 when the kernel has no Landlock.
set -euo pipefail

USER_NAME=airlock-test
skip() { echo "escape suite (unprivileged, ${ADAPTER:-bwrap}): SKIPPED: $*" >&2; exit 77; }

TESTS="${1:-}"
[[ -n "$TESTS" ]] || { echo "usage: $0 PATH/TO/airlock_escape_tests [doctest options]" >&2; exit 2; }
shift
[[ -x "$TESTS" ]] || { echo "escape suite (unprivileged): $TESTS is not an executable" >&2; exit 2; }
TESTS="$(cd "$(dirname "$TESTS")" && pwd)/$(basename "$TESTS")"
ADAPTER="${AIRLOCK_ESCAPE_ADAPTER:-bwrap}"
for arg in "$@"; do
    if [[ "$arg" == --escape-adapter=* ]]; then ADAPTER="${arg#--escape-adapter=}"; fi
done
case "$ADAPTER" in
    bwrap | seccomp) ;;
    *) echo "escape suite (unprivileged): unknown adapter '$ADAPTER' (bwrap or seccomp)" >&2; exit 2 ;;
esac

[[ "$(id -u)" == 0 ]] || skip "must be run as root (it creates the user $USER_NAME); running as uid $(id -u)"

if ! id -u "$USER_NAME" >/dev/null 2>&1; then
    command -v useradd >/dev/null || skip "useradd is not available to create the user $USER_NAME"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
        --user-group "$USER_NAME" || skip "useradd could not create the user $USER_NAME"
fi

if command -v runuser >/dev/null; then
    as_user() { runuser -u "$USER_NAME" -- "$@"; }
elif command -v setpriv >/dev/null; then
    uid="$(id -u "$USER_NAME")"; gid="$(id -g "$USER_NAME")"
    as_user() { setpriv --reuid "$uid" --regid "$gid" --init-groups -- "$@"; }
else
    skip "neither runuser nor setpriv is available to switch to $USER_NAME"
fi

# The user must be able to run the test binary (and, next to it, airlock and the probe).
as_user test -x "$TESTS" ||
    skip "$USER_NAME cannot execute $TESTS (a parent directory is not searchable for other users)"

# bubblewrap needs unprivileged user namespaces; probe them the way bwrap uses them.
if [[ "$ADAPTER" == bwrap ]] && ! out="$(as_user unshare --user --map-root-user true 2>&1)"; then
    reason="unprivileged user namespaces are disabled on this host ($out)"
    if [[ -r /proc/sys/kernel/unprivileged_userns_clone ]] &&
       [[ "$(cat /proc/sys/kernel/unprivileged_userns_clone)" == 0 ]]; then
        reason+="; kernel.unprivileged_userns_clone = 0"
    fi
    if [[ -r /proc/sys/kernel/apparmor_restrict_unprivileged_userns ]] &&
       [[ "$(cat /proc/sys/kernel/apparmor_restrict_unprivileged_userns)" == 1 ]]; then
        reason+="; AppArmor restricts unprivileged user namespaces"
    fi
    skip "$reason: bwrap cannot run for an unprivileged user"
fi

SCRATCH="$(mktemp -d /var/tmp/airlock-escape-unpriv.XXXXXX)"
trap 'rm -rf "$SCRATCH"' EXIT
chown "$USER_NAME:$USER_NAME" "$SCRATCH"
chmod 0700 "$SCRATCH"

echo "escape suite (unprivileged, $ADAPTER): running $TESTS as $USER_NAME (uid $(id -u "$USER_NAME")) in $SCRATCH" >&2
cd "$SCRATCH"
# A minimal environment: nothing of root's leaks into the run.
as_user env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$SCRATCH" LANG=C.UTF-8 \
    AIRLOCK_ESCAPE_SCRATCH="$SCRATCH" AIRLOCK_ESCAPE_ADAPTER="$ADAPTER" "$TESTS" "$@"
