#!/usr/bin/env bash
# Portability matrix, row "cgroup v2": runs the sandbox tests and the escape suite on a Debian
# kernel booted with cgroup v2 only, under qemu with software emulation (no KVM needed).
#
#   scripts/matrix_cgroup2.sh [BUILD_DIR]    (default: build/; airlock and the tests must be built)
#
# AIRLOCK_MATRIX_TESTS (a ctest regular expression, default '^sandbox') narrows the run;
# AIRLOCK_MATRIX_TIMEOUT (seconds, default 5400) bounds it; AIRLOCK_MATRIX_RUN_DIR (default
# BUILD_DIR/matrix-cgroup2/run) holds the guest's script, log and result.
#
# Cached under BUILD_DIR/matrix-cgroup2/: a Debian root made with debootstrap (bookworm, its
# linux-image-amd64, systemd, bubblewrap, cmake for ctest, python3, the libraries airlock links),
# and a raw ext4 image of it.
# Delete that directory to rebuild them. Each run boots the image with its writes discarded
# (snapshot), the kernel command line "systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all",
# and shares this source tree into the guest (9p) at the same path, so the binaries run as built.
# In the guest, a systemd service (as on a real host: its own cgroup, nothing delegated) runs
#   - as root: ctest -R '^sandbox' (the sandbox tests, the escape suite for bwrap and seccomp,
#     and the escape suite as the unprivileged user airlock-test), airlock doctor, and a check
#     that a call's process limit is enforced by a cgroup v2 leaf (as root, and as airlock-test
#     in a cgroup systemd delegates to it);
#   - as airlock-test: the seccomp filter and Landlock tests;
# then prints a summary and powers off. Exit 0 when everything passed, 1 otherwise, 2 on a
# setup error, 77 (skipped, with the reason) when this host cannot run it.
# Too slow for CI (software emulation: tens of minutes); run it by hand after sandbox changes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$(cd "${1:-$ROOT/build}" && pwd)"
CACHE="$BUILD_DIR/matrix-cgroup2"
RUN="$(realpath -m "${AIRLOCK_MATRIX_RUN_DIR:-$CACHE/run}")"  # the guest's script, log, result
SUITE="bookworm"
MIRROR="${AIRLOCK_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
TIMEOUT="${AIRLOCK_MATRIX_TIMEOUT:-5400}"  # seconds for the whole boot-test-poweroff
TESTS="${AIRLOCK_MATRIX_TESTS:-^sandbox}"  # the ctest regular expression run in the guest

say() { echo "matrix cgroup2: $*" >&2; }
skip() { say "SKIPPED: $*"; exit 77; }
die() { say "$*"; exit 2; }

[[ "$(id -u)" == 0 ]] || skip "must be run as root (debootstrap, chroot)"
for tool in debootstrap qemu-system-x86_64 mkfs.ext4 chroot; do
    command -v "$tool" >/dev/null || skip "needs $tool (apt-get install debootstrap qemu-system-x86 e2fsprogs)"
done
for binary in cli/airlock tests/sandbox/airlock_escape_tests tests/sandbox/airlock_escape_probe \
    tests/sandbox_seccomp/sandbox_seccomp_test tests/sandbox_seccomp/sandbox_landlock_enforce_test; do
    [[ -x "$BUILD_DIR/$binary" ]] || die "$BUILD_DIR/$binary is not built (cmake --build $BUILD_DIR)"
done
mkdir -p "$CACHE"

# ---- the Debian root and its image (cached) ---------------------------------------------------
step_started=$SECONDS
if [[ ! -f "$CACHE/root.done" ]]; then
    # A root whose debootstrap finished is kept when a later step failed.
    if [[ ! -f "$CACHE/root.tmp/.debootstrap-done" ]]; then
        say "building a Debian $SUITE root with debootstrap (many minutes; log: $CACHE/debootstrap.log)"
        rm -rf "$CACHE/root.tmp"
        debootstrap --variant=minbase \
            --include=systemd-sysv,linux-image-amd64,bubblewrap,libseccomp2,cmake,kmod,procps,util-linux,passwd \
            "$SUITE" "$CACHE/root.tmp" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 ||
            die "debootstrap failed (see $CACHE/debootstrap.log)"
        touch "$CACHE/root.tmp/.debootstrap-done"
    fi
    # The shared libraries airlock and its tests link against, from the same Debian release.
    needed="$(for b in "$BUILD_DIR/cli/airlock" "$BUILD_DIR/tests/sandbox/airlock_escape_tests" \
        "$BUILD_DIR/tests/sandbox_seccomp/sandbox_seccomp_test"; do ldd "$b"; done |
        awk '$3 ~ /^\// {print $3}' | sort -u)"
    pkgs="$(for lib in $needed; do dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib"; done |
        cut -d: -f1 | sort -u | tr '\n' ' ')"
    say "libraries from: $pkgs"
    # shellcheck disable=SC2086
    chroot "$CACHE/root.tmp" apt-get install -y --no-install-recommends python3 $pkgs >>"$CACHE/debootstrap.log" 2>&1 ||
        die "cannot install $pkgs in the root (see $CACHE/debootstrap.log)"
    chroot "$CACHE/root.tmp" apt-get clean
    echo airlock-matrix >"$CACHE/root.tmp/etc/hostname"
    printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\n' >"$CACHE/root.tmp/etc/fstab"
    # The guest runs one service and powers off: no login prompts.
    for unit in serial-getty@ttyS0.service getty@tty1.service; do
        ln -sf /dev/null "$CACHE/root.tmp/etc/systemd/system/$unit"
    done
    # The service mounts the run directory shared by the host and runs the guest script found
    # there (written afresh by every run, so the image need not change with it).
    cat >"$CACHE/root.tmp/usr/local/sbin/airlock-matrix-guest" <<'EOF'
#!/bin/sh
modprobe 9pnet_virtio && modprobe 9p || exit 2
mkdir -p /run/matrix
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 matrix /run/matrix || exit 2
exec /bin/bash /run/matrix/guest.sh
EOF
    chmod 0755 "$CACHE/root.tmp/usr/local/sbin/airlock-matrix-guest"
    cat >"$CACHE/root.tmp/etc/systemd/system/airlock-matrix.service" <<'EOF'
[Unit]
Description=airlock portability matrix: cgroup v2
After=local-fs.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/airlock-matrix-guest
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
SuccessAction=poweroff-force
FailureAction=poweroff-force

[Install]
WantedBy=multi-user.target
EOF
    ln -sf /etc/systemd/system/airlock-matrix.service \
        "$CACHE/root.tmp/etc/systemd/system/multi-user.target.wants/airlock-matrix.service"
    rm -rf "$CACHE/root"
    mv "$CACHE/root.tmp" "$CACHE/root"
    rm -f "$CACHE/image.raw"
    touch "$CACHE/root.done"
    say "root built ($((SECONDS - step_started)) s)"
fi
if [[ ! -f "$CACHE/image.raw" ]]; then
    say "making the ext4 image"
    mkfs.ext4 -q -F -L airlock-matrix -d "$CACHE/root" "$CACHE/image.raw.tmp" 4G ||
        die "mkfs.ext4 -d failed"
    mv "$CACHE/image.raw.tmp" "$CACHE/image.raw"
fi
kernel="$(ls "$CACHE"/root/boot/vmlinuz-* | sort -V | tail -n 1)"
initrd="$(ls "$CACHE"/root/boot/initrd.img-* | sort -V | tail -n 1)"
[[ -f "$kernel" && -f "$initrd" ]] || die "no kernel or initrd in $CACHE/root/boot"

# ---- the guest's script -----------------------------------------------------------------------
rm -rf "$RUN"
mkdir -p "$RUN"
cat >"$RUN/guest.sh" <<EOF
ROOT='$ROOT'
BUILD_DIR='$BUILD_DIR'
TESTS='$TESTS'
EOF
cat >>"$RUN/guest.sh" <<'EOF'
set -u
exec > >(tee /run/matrix/guest.log) 2>&1
say() { echo "matrix cgroup2 (guest): $*"; }
started=$SECONDS
mkdir -p "$ROOT"
# A network interface besides loopback (isolated: restrict=on), as a real host has: the
# network tests' positive controls look for one.
modprobe virtio_net || true
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 airlock "$ROOT" ||
    { say "cannot mount the source tree"; echo "setup-error" >/run/matrix/result; exit 2; }
say "kernel $(uname -r); /sys/fs/cgroup is $(stat -fc %T /sys/fs/cgroup); controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
say "this service's cgroup: $(cat /proc/self/cgroup)"
say "v1 hierarchies mounted: $(grep -c ' cgroup ' /proc/self/mountinfo || true)"
USER_NAME=airlock-test
id -u "$USER_NAME" >/dev/null 2>&1 ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --user-group "$USER_NAME"
uid="$(id -u "$USER_NAME")"; gid="$(id -g "$USER_NAME")"
as_user() { setpriv --reuid "$uid" --regid "$gid" --init-groups -- "$@"; }

failures=0
doctor_dir="$(mktemp -d /var/tmp/airlock-doctor.XXXXXX)"
chmod 0755 "$doctor_dir"
say "== airlock doctor =="
(cd "$doctor_dir" && "$BUILD_DIR/cli/airlock" doctor) || true
say "== airlock doctor (as $USER_NAME) =="
(cd /tmp && as_user "$BUILD_DIR/cli/airlock" doctor) || true

# A call's process limit must be a cgroup v2 leaf: airlock says so, and 20 background sleeps
# under max_processes 7 cannot all start (the positive control, under 64, can). As root, from
# this service's own cgroup; as airlock-test, from a cgroup delegated to that user as systemd's
# Delegate=yes does (the directory and its cgroup.procs, cgroup.threads, cgroup.subtree_control
# are the user's), as a user's own airlock would run.
limit_check() {  # limit_check root|delegated
    local mode="$1" ws run=()
    ws="$(mktemp -d /var/tmp/airlock-cgroup2.XXXXXX)"
    chmod 0755 "$ws"
    if [[ "$mode" == delegated ]]; then
        # What systemd's Delegate=yes does: a cgroup the user owns, with its control files.
        local d=/sys/fs/cgroup/airlock-matrix-delegated
        mkdir -p "$d"
        chown "$uid:$gid" "$ws" "$d" "$d/cgroup.procs" "$d/cgroup.threads" "$d/cgroup.subtree_control"
        run=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$d"
             setpriv --reuid "$uid" --regid "$gid" --init-groups --)
    fi
    for max in 7 64; do
        printf '{"version": 1, "default": "allow", "limits": {"max_processes": %s}}\n' "$max" >"$ws.policy-$max.json"
    done
    local script='i=0; while [ $i -lt 20 ]; do sleep 3 & i=$((i+1)); done; wait; echo finished'
    local low high
    low="$(cd "$ws" && "${run[@]}" "$BUILD_DIR/cli/airlock" exec --json --no-builtin-policy --policy "$ws.policy-7.json" -- sh -c "$script" 2>"$ws.err-7")" || true
    high="$(cd "$ws" && "${run[@]}" "$BUILD_DIR/cli/airlock" exec --json --no-builtin-policy --policy "$ws.policy-64.json" -- sh -c "$script" 2>"$ws.err-64")" || true
    if /usr/bin/python3 - "$low" "$high" <<'PY'
import json, sys
low, high = json.loads(sys.argv[1]), json.loads(sys.argv[2])
p = low["sandbox"]["effective"]["limits"]["processes"]
print("processes:", p, "| under 7:", low["status"], low["stderr"].strip().splitlines()[:1],
      "| under 64:", high["status"], high["stdout"].strip())
assert p["enforced_by"] == "cgroup", p
assert "fork" in low["stderr"] or "Resource temporarily unavailable" in low["stderr"], low["stderr"]
assert high["exit_code"] == 0 and high["stdout"].strip() == "finished", high
PY
    then say "ok   $mode: the process limit is a cgroup v2 leaf (20 processes refused under 7, run under 64)"
    else
        say "FAIL $mode: the process limit is not enforced by a cgroup v2 leaf"
        sed 's/^/    stderr: /' "$ws.err-7" "$ws.err-64"
        failures=$((failures + 1))
    fi
}
say "== the process limit on cgroup v2 =="
limit_check root
limit_check delegated

say "== ctest -R '$TESTS' (root; includes the escape suite as $USER_NAME) =="
export AIRLOCK_TEST_NA_LOG=/run/matrix/not-applicable.log
: >"$AIRLOCK_TEST_NA_LOG"
ctest_started=$SECONDS
ctest --test-dir "$BUILD_DIR" -R "$TESTS" --output-on-failure -j 2 --timeout 1800 \
    --output-junit /run/matrix/ctest-junit.xml || failures=$((failures + 1))
say "ctest took $((SECONDS - ctest_started)) s"

for t in sandbox_seccomp/sandbox_seccomp_test sandbox_seccomp/sandbox_landlock_enforce_test; do
    say "== $t (as $USER_NAME) =="
    (cd /tmp && as_user "$BUILD_DIR/tests/$t") || { rc=$?; [[ $rc == 77 ]] || failures=$((failures + 1)); }
done
if [[ -s "$AIRLOCK_TEST_NA_LOG" ]]; then
    say "not applicable on this host:"
    sort -u "$AIRLOCK_TEST_NA_LOG" | sed 's/^/  - /'
fi
say "done in $((SECONDS - started)) s with $failures failing step(s)"
echo "$failures" >/run/matrix/result
sync
# Power off at once: the results are on the host already (9p writes through), and a clean
# shutdown under emulation can take minutes.
echo o >/proc/sysrq-trigger
EOF

# ---- boot ---------------------------------------------------------------------------------------
say "booting $(basename "$kernel") under qemu (software emulation; log: $RUN/console.log)"
boot_started=$SECONDS
status=0
timeout "$TIMEOUT" qemu-system-x86_64 \
    -machine q35 -accel tcg,thread=multi -cpu max -smp 2 -m 3072 \
    -display none -no-reboot -serial stdio -monitor none \
    -kernel "$kernel" -initrd "$initrd" \
    -append "root=/dev/vda rw console=ttyS0 quiet loglevel=3 systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all systemd.show_status=false panic=-1" \
    -drive "file=$CACHE/image.raw,format=raw,if=virtio,snapshot=on" \
    -virtfs "local,path=$RUN,mount_tag=matrix,security_model=none" \
    -virtfs "local,path=$ROOT,mount_tag=airlock,security_model=none" \
    -nic user,model=virtio-net-pci,restrict=on </dev/null 2>&1 | tee "$RUN/console.log" || status=$?
[[ "$status" == 124 ]] && { say "FAIL: the guest did not finish within $TIMEOUT s"; exit 1; }
result="$(cat "$RUN/result" 2>/dev/null || echo missing)"
summary="$(grep -E '^[0-9]+% tests passed' "$RUN/guest.log" 2>/dev/null || true)"
say "guest finished in $((SECONDS - boot_started)) s; ctest: ${summary:-no summary}; failing steps: $result"
[[ "$result" == 0 ]]
