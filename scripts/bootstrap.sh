#!/usr/bin/env bash
# Installs what airlock needs from Debian's packages (only what is missing) and builds it in
# Release mode into build/. Idempotent, and fast when everything is already there.
#
#   scripts/bootstrap.sh              g++, Release, everything (tests included), into build/
#   scripts/bootstrap.sh --airlock    only what the airlock binary needs (the demo's first run)
#   scripts/bootstrap.sh --sanitize   clang, ASan + UBSan, everything, into build-sanitize/
#   scripts/bootstrap.sh --fuzz       the same tree, only the libFuzzer targets
#   (BUILD_DIR overrides build/; the sanitized tree is BUILD_DIR-sanitize)
#
# It says what it is doing on stderr: which packages it installs, configuring, and a progress
# line while it builds (one moving line on a terminal, a line every 10 % otherwise).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
CMAKE_ARGS=(-DCMAKE_BUILD_TYPE=Release)
BUILD_TARGETS=()
# What building the airlock binary needs.
PACKAGES=(g++ cmake make pkg-config libseccomp-dev bubblewrap libboost1.81-dev
          nlohmann-json3-dev libssl-dev libcli11-dev doctest-dev)
# What the test suite needs on top (the MCP tests drive the official SDK from Node; the run
# viewer's tests drive Debian's headless Chromium; the install tests render the man pages and
# build, lint and install the Debian package; the egress tests drive curl, wget, pip, npm, git
# and OpenBSD's nc through the proxy against local servers, with a test CA made by openssl; their
# ssh case needs openssh-server, left out here because installing it starts an ssh service).
TEST_PACKAGES=(nodejs $(command -v npm >/dev/null || echo npm) chromium man-db groff-base dpkg-dev
    lintian curl wget git openssl python3-pip netcat-openbsd)

say() { echo "airlock bootstrap: $*" >&2; }

case "${1:-}" in
    "") PACKAGES+=("${TEST_PACKAGES[@]}") ;;
    --airlock) BUILD_TARGETS=(--target airlock) ;;
    --sanitize | --fuzz)
        # One clang tree serves the sanitized suite and the fuzzers (libraries carry libFuzzer's
        # coverage hooks, only the fuzz targets link libFuzzer). clang at -O1 with line tables
        # compiles about four times faster than g++ -O2 -g with the same sanitizers
        # (docs/RELIABILITY.md, Sanitizers); NDEBUG as in the Release build.
        BUILD_DIR="${BUILD_DIR%/}-sanitize"
        PACKAGES+=("${TEST_PACKAGES[@]}" clang-14 libclang-rt-14-dev)
        CMAKE_ARGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo
                    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O0 -gline-tables-only -DNDEBUG"
                    -DCMAKE_CXX_COMPILER=clang++-14 -DAIRLOCK_SANITIZE=ON -DAIRLOCK_FUZZ=ON)
        [[ "$1" == --fuzz ]] && BUILD_TARGETS=(--target fuzzers)
        # A tree configured with another compiler (an older g++ sanitize tree) cannot switch.
        if [[ -f "$BUILD_DIR/CMakeCache.txt" ]] &&
           ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++-14$' "$BUILD_DIR/CMakeCache.txt"; then
            rm -rf "$BUILD_DIR"
        fi
        ;;
    *)
        echo "usage: $0 [--airlock | --sanitize | --fuzz]" >&2
        exit 2
        ;;
esac

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]})); then
    say "installing Debian packages: ${missing[*]}"
    SUDO=()
    if [[ "$(id -u)" != 0 ]]; then
        command -v sudo >/dev/null || { say "need root or sudo to install ${missing[*]}"; exit 1; }
        SUDO=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Reads make's output and shows how far the build is: "[ 42%]" lines carry the percentage.
show_progress() {
    local line pct last=-10 what="${1:-airlock}"
    while IFS= read -r line; do
        [[ "$line" =~ ^\[\ *([0-9]+)%\] ]] || continue
        pct="${BASH_REMATCH[1]}"
        if [[ -t 2 ]]; then
            printf '\rairlock bootstrap: building %s: %3d%%' "$what" "$pct" >&2
        elif ((pct >= last + 10)); then
            say "building $what: $pct%"
            last=$pct
        fi
    done
    [[ -t 2 ]] && printf '\n' >&2
    return 0
}

jobs="$(nproc 2>/dev/null || echo 2)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
started=$SECONDS
if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
    say "configuring $BUILD_DIR (cmake)"
fi
if ! cmake -S "$ROOT" -B "$BUILD_DIR" "${CMAKE_ARGS[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    say "configuring failed"
    exit 1
fi
what="${BUILD_TARGETS[*]: -1}"
what="${what:-everything}"
if ! cmake --build "$BUILD_DIR" -j "$jobs" "${BUILD_TARGETS[@]}" 2>&1 | tee "$log" | show_progress "$what"; then
    cat "$log" >&2
    say "build failed"
    exit 1
fi
if [[ "$what" == everything ]]; then
    say "built $BUILD_DIR/cli/airlock and the tests ($((SECONDS - started)) s)"
else
    say "built $what in $BUILD_DIR ($((SECONDS - started)) s)"
fi
