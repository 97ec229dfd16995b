#!/usr/bin/env bash
# Builds the Debian package dist/airlock_<version>_<arch>.deb and checks it with lintian.
#
#   scripts/package.sh    build (Release, Debian's hardening flags) into build-deb/, install into
#                         a staging root with prefix /usr, package, run lintian
#   (BUILD_DIR overrides build-deb/, DIST_DIR overrides dist/)
#
# What goes in is what `cmake --install` installs (the binary, man pages, bash completion, the
# built-in policy as documentation), plus what Debian asks of every package: compressed man
# pages and changelog, the copyright file, md5sums, and Depends: computed by dpkg-shlibdeps from
# the libraries the binary links, plus bubblewrap. It fails when lintian reports an error or a
# warning (docs/PACKAGING.md). Needs dpkg-dev and lintian (scripts/bootstrap.sh installs them).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-deb}"
DIST_DIR="${DIST_DIR:-$ROOT/dist}"
DEBIAN_DIR="$ROOT/packaging/debian"

say() { echo "airlock package: $*" >&2; }
die() { say "$*"; exit 1; }

[[ $# -eq 0 ]] || { echo "usage: $0   (BUILD_DIR, DIST_DIR in the environment)" >&2; exit 2; }
for tool in dpkg-deb dpkg-shlibdeps dpkg-buildflags dpkg-parsechangelog lintian gzip strip cmake; do
    command -v "$tool" >/dev/null ||
        die "$tool is missing (Debian: apt-get install dpkg-dev lintian; or scripts/bootstrap.sh)"
done
umask 022

# Build with the flags Debian builds its packages with, all hardening on (stack protector,
# fortify, relro, bind now); the binary is stripped when installed.
say "building into $BUILD_DIR"
export DEB_BUILD_MAINT_OPTIONS="hardening=+all"
# From the source root: the flags map it to "." in debug paths, and must not change with the
# directory the script is started from (that would rebuild everything).
buildflag() { (cd "$ROOT" && dpkg-buildflags --get "$1"); }
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
    "-DCMAKE_CXX_FLAGS=$(buildflag CXXFLAGS) $(buildflag CPPFLAGS)" \
    "-DCMAKE_EXE_LINKER_FLAGS=$(buildflag LDFLAGS)" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc 2>/dev/null || echo 2)" \
    --target airlock airlock_bash_completion >/dev/null

version="$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$BUILD_DIR/CMakeCache.txt")"
arch="$(dpkg --print-architecture)"
[[ -n "$version" ]] || die "no project version in $BUILD_DIR/CMakeCache.txt"
changelog_version="$(dpkg-parsechangelog -l "$DEBIAN_DIR/changelog" -S Version)"
[[ "$changelog_version" == "$version" ]] ||
    die "packaging/debian/changelog's newest entry is $changelog_version, the project is $version: add an entry"
maintainer="$(dpkg-parsechangelog -l "$DEBIAN_DIR/changelog" -S Maintainer)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The staging root is where Debian's tools expect a package's files (debian/PACKAGE).
stage="$work/debian/airlock"

say "installing into a staging root"
DESTDIR="$stage" cmake --install "$BUILD_DIR" --strip >/dev/null
[[ -x "$stage/usr/bin/airlock" ]] || die "cmake --install did not install usr/bin/airlock"
# As Debian strips: also the compiler's notes, which nothing reads at run time.
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$stage/usr/bin/airlock"

# Debian's documentation conventions: man pages and the changelog gzipped without a timestamp
# (-n), the copyright file as is.
find "$stage/usr/share/man" -type f -exec gzip -9n {} +
doc="$stage/usr/share/doc/airlock"
install -d "$doc"
install -m 0644 "$DEBIAN_DIR/copyright" "$doc/copyright"
gzip -9nc "$DEBIAN_DIR/changelog" >"$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"

# Depends: the shared libraries the binary links (with the versions their symbols need), and
# bubblewrap, which airlock runs. dpkg-shlibdeps wants a debian/control to read.
printf 'Source: airlock\n\nPackage: airlock\nArchitecture: any\n' >"$work/debian/control"
shlibs="$(cd "$work" && dpkg-shlibdeps -O -e"debian/airlock/usr/bin/airlock" \
    2>"$work/shlibdeps.log")" ||
    { cat "$work/shlibdeps.log" >&2; die "dpkg-shlibdeps failed"; }
depends="${shlibs#shlibs:Depends=}"
[[ "$depends" != "$shlibs" && -n "$depends" ]] || die "dpkg-shlibdeps printed no Depends: '$shlibs'"
depends="$depends, bubblewrap"

installed_size="$(du -k -s --apparent-size "$stage" | cut -f1)"
mkdir -p "$stage/DEBIAN"
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
    -e "s|@INSTALLED_SIZE@|$installed_size|" -e "s|@DEPENDS@|$depends|" \
    "$DEBIAN_DIR/control.in" >"$stage/DEBIAN/control"
(cd "$stage" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"

mkdir -p "$DIST_DIR"
deb="$DIST_DIR/airlock_${version}_${arch}.deb"
rm -f "$deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
say "built $deb (Depends: $depends)"

# lintian reports errors (E:) and warnings (W:); either fails the package. Its own notes (I:,
# N:) and the "running as root" notice are shown, not counted.
say "lintian $(basename "$deb")"
lintian_status=0
lintian --fail-on error,warning --display-info "$deb" >"$work/lintian.log" 2>&1 || lintian_status=$?
cat "$work/lintian.log" >&2
((lintian_status == 0)) || die "lintian failed (exit $lintian_status) on $deb"
say "ok: $deb is lintian-clean"
echo "$deb"
