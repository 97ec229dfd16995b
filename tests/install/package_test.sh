#!/usr/bin/env bash
# The Debian package for real: scripts/package.sh builds it (lintian-clean), `dpkg -i` installs
# it, /usr/bin/airlock runs `airlock doctor` and one `airlock exec -- echo hi` in a fresh
# workspace, `dpkg --purge` removes it, and nothing of it is left: not in dpkg's database, not
# a file it listed, not /usr/share/doc/airlock.
#
# AIRLOCK_PACKAGE_DEB=PATH tests that package instead of building one.
# Root and dpkg only, on a host where no airlock is installed already (the test must not
# replace or purge someone's installation): elsewhere it reports "not applicable" (exit 77).
set -euo pipefail

fail() { echo "package test: FAILED: $*" >&2; exit 1; }
not_applicable() {
    echo "package test: not applicable on this host: $*" >&2
    [[ -n "${AIRLOCK_TEST_NA_LOG:-}" ]] && echo "install: Debian package: $*" >>"$AIRLOCK_TEST_NA_LOG"
    exit 77
}

[[ "$(id -u)" == 0 ]] || not_applicable "dpkg -i needs root (running as uid $(id -u))"
for tool in dpkg dpkg-deb dpkg-shlibdeps lintian; do
    command -v "$tool" >/dev/null ||
        not_applicable "$tool is not installed (Debian: apt-get install dpkg-dev lintian)"
done
# Whether dpkg has any state for airlock: installed, unpacked, or config files left.
dpkg_knows_airlock() {
    local status
    status="$(dpkg-query -W -f='${Status}' airlock 2>/dev/null)" || return 1
    [[ -n "$status" && "$status" != *not-installed ]]
}
# (Here-strings rather than pipes into grep -q throughout: grep -q stops reading early, which
# pipefail would count as a failure.)
if dpkg_knows_airlock; then
    not_applicable "an airlock package is already installed; the test will not replace it"
fi
[[ ! -e /usr/bin/airlock ]] ||
    not_applicable "/usr/bin/airlock exists already (not from a package); the test will not overwrite it"

work="$(mktemp -d /var/tmp/airlock-package-test.XXXXXX)"
installed=0
cleanup() {
    # A failed check must not leave the package installed.
    ((installed)) && dpkg --purge airlock >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

if [[ -n "${AIRLOCK_PACKAGE_DEB:-}" ]]; then
    # A package built already (by CI's packaging step): install that one.
    deb="$AIRLOCK_PACKAGE_DEB"
    [[ -f "$deb" && "$(basename "$deb")" == airlock_*.deb ]] || fail "AIRLOCK_PACKAGE_DEB: no package '$deb'"
else
    echo "package test: building the package (scripts/package.sh)" >&2
    deb="$(DIST_DIR="$work/dist" "$AIRLOCK_SOURCE_DIR/scripts/package.sh" | tail -n 1)" ||
        fail "scripts/package.sh failed"
    [[ -f "$deb" && "$deb" == "$work/dist/airlock_"*".deb" ]] || fail "no package: '$deb'"
fi
depends="$(dpkg-deb --field "$deb" Depends)"
grep -q "bubblewrap" <<<"$depends" || fail "Depends lacks bubblewrap: $depends"
grep -q "libc6" <<<"$depends" || fail "Depends lacks libc6: $depends"
# Every shared library the packaged binary needs is a dependency (libseccomp is linked
# statically unless AIRLOCK_STATIC_SECCOMP is off).
dpkg-deb --extract "$deb" "$work/extracted" || fail "dpkg-deb --extract failed"
needed="$(readelf -d "$work/extracted/usr/bin/airlock" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')"
[[ -n "$needed" ]] || fail "readelf lists no NEEDED library of usr/bin/airlock"
if grep -q "^libseccomp" <<<"$needed"; then
    grep -q "libseccomp" <<<"$depends" || fail "Depends lacks libseccomp: $depends"
fi
contents="$(dpkg-deb --contents "$deb")"

echo "package test: dpkg -i $(basename "$deb")" >&2
installed=1
dpkg -i "$deb" >"$work/dpkg-i.log" 2>&1 || { cat "$work/dpkg-i.log" >&2; fail "dpkg -i failed"; }
dpkg -L airlock >"$work/files" || fail "dpkg -L airlock lists nothing after dpkg -i"
# Whether this host's dpkg is told not to install PATH (minimal container images drop
# /usr/share/man and /usr/share/doc with path-exclude).
excluded_by_dpkg() {
    local line kind glob verdict=1
    while read -r kind glob; do
        # shellcheck disable=SC2053 # the glob is a pattern
        [[ "$1" == $glob ]] || continue
        [[ "$kind" == path-exclude ]] && verdict=0 || verdict=1
    done < <(cat /etc/dpkg/dpkg.cfg /etc/dpkg/dpkg.cfg.d/* 2>/dev/null | grep -E '^path-(ex|in)clude')
    return $verdict
}
for f in /usr/bin/airlock /usr/share/man/man1/airlock.1.gz /usr/share/man/man5/airlock-policy.5.gz \
         /usr/share/bash-completion/completions/airlock /usr/share/doc/airlock/copyright \
         /usr/share/doc/airlock/default-policy.json; do
    grep -q " \.$f\$" <<<"$contents" || fail "the package does not contain $f"
    if excluded_by_dpkg "$f"; then
        echo "install: Debian package: $f: this host's dpkg configuration excludes it (path-exclude)" \
            >>"${AIRLOCK_TEST_NA_LOG:-/dev/null}"
        continue
    fi
    grep -qxF "$f" "$work/files" || fail "dpkg -L airlock does not list $f"
    [[ -f "$f" ]] || fail "$f is listed but not installed"
done
grep -q "^airlock " <<<"$(/usr/bin/airlock --version)" || fail "/usr/bin/airlock --version"
bash --norc -c 'source /usr/share/bash-completion/completions/airlock && complete -p airlock' \
    >/dev/null || fail "the installed bash completion does not register for airlock"

# A fresh workspace, outside /tmp (private inside the sandbox) and the source tree.
ws="$work/workspace"
mkdir "$ws"
cd "$ws"
if /usr/bin/airlock doctor >"$work/doctor.log" 2>&1; then
    status=0
    out="$(/usr/bin/airlock exec --approve deny -- echo hi 2>"$work/exec.err")" || status=$?
    ((status == 0)) || { cat "$work/exec.err" >&2; fail "airlock exec -- echo hi failed (exit $status)"; }
    [[ "$out" == hi ]] || fail "airlock exec -- echo hi printed '$out'"
    /usr/bin/airlock wal verify last >/dev/null || fail "the run's log does not verify"
    # A network allow list: the installed binary's proxy answers a host the list does not name
    # with its 403 (curl reaches it through the proxy variables airlock sets).
    printf '{"version": 1, "rules": [{"id": "curl", "tool": "shell_exec", "decision": "allow"}], "sandbox": {"network": {"allow": ["example.org"], "unknown": "deny"}}}\n' \
        >"$work/egress.json"
    code="$(/usr/bin/airlock exec --no-builtin-policy --policy "$work/egress.json" -- \
        curl -s -o /dev/null -w '%{http_code}' http://not-allowed.invalid/ 2>"$work/egress.err")" ||
        true
    [[ "$code" == 403 ]] ||
        { cat "$work/egress.err" >&2; fail "a host off the allow list: curl saw '$code', not the proxy's 403"; }
    echo "package test: doctor and exec ran from /usr/bin/airlock" >&2
else
    cat "$work/doctor.log" >&2
    # The host has no working sandbox: exec would be refused, rightly. The rest still counts.
    echo "install: Debian package: airlock exec: no sandbox adapter works on this host (airlock doctor)" \
        >>"${AIRLOCK_TEST_NA_LOG:-/dev/null}"
    out="$(/usr/bin/airlock exec --approve deny -- echo hi 2>/dev/null)" && fail "exec ran without a sandbox"
fi
cd /

echo "package test: dpkg --purge airlock" >&2
dpkg --purge airlock >"$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "dpkg --purge failed"; }
installed=0
! dpkg -L airlock >/dev/null 2>&1 || fail "dpkg -L airlock still lists files after the purge"
! dpkg_knows_airlock ||
    fail "dpkg still knows airlock after the purge"
[[ ! -e /usr/share/doc/airlock ]] || fail "/usr/share/doc/airlock is left after the purge"
left=0
while IFS= read -r path; do
    # Directories the package shared with others (/usr, /usr/share/man/man1, ...) stay.
    if [[ -e "$path" && ! -d "$path" ]]; then
        echo "left behind: $path" >&2
        left=$((left + 1))
    fi
done <"$work/files"
((left == 0)) || fail "$left files of the package are left after the purge"
[[ -z "$(compgen -G '/var/lib/dpkg/info/airlock.*')" ]] || fail "dpkg's info files for airlock are left"
echo "package test: ok: $(grep -c . "$work/files") paths installed, ran, and purged without a trace"
