#!/usr/bin/env bash
# Installs what airlock needs from Debian's packages (only what is missing) and builds it in
# Release mode into build/. Idempotent, and fast when everything is already there.
#
#   scripts/bootstrap.sh              g++, Release, into build/
#   scripts/bootstrap.sh --sanitize   clang, ASan + UBSan, everything, into build-sanitize/
#   scripts/bootstrap.sh --fuzz       the same tree, only the libFuzzer targets
#   (BUILD_DIR overrides build/; the sanitized tree is BUILD_DIR-sanitize)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
CMAKE_ARGS=(-DCMAKE_BUILD_TYPE=Release)
BUILD_TARGETS=()
PACKAGES=(g++ cmake make pkg-config libseccomp-dev bubblewrap libboost1.81-dev
          nlohmann-json3-dev libssl-dev doctest-dev libcli11-dev nodejs $(command -v npm >/dev/null || echo npm))

case "${1:-}" in
    "") ;;
    --sanitize | --fuzz)
        # One clang tree serves the sanitized suite and the fuzzers (libraries carry libFuzzer's
        # coverage hooks, only the fuzz targets link libFuzzer). clang at -O1 with line tables
        # compiles about four times faster than g++ -O2 -g with the same sanitizers
        # (docs/RELIABILITY.md, Sanitizers); NDEBUG as in the Release build.
        BUILD_DIR="${BUILD_DIR%/}-sanitize"
        PACKAGES+=(clang-14 libclang-rt-14-dev)
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
        echo "usage: $0 [--sanitize | --fuzz]" >&2
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
    echo "airlock bootstrap: installing ${missing[*]}" >&2
    SUDO=()
    if [[ "$(id -u)" != 0 ]]; then
        command -v sudo >/dev/null || { echo "airlock bootstrap: need root or sudo to install ${missing[*]}" >&2; exit 1; }
        SUDO=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs="$(nproc 2>/dev/null || echo 2)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! { cmake -S "$ROOT" -B "$BUILD_DIR" "${CMAKE_ARGS[@]}" && cmake --build "$BUILD_DIR" -j "$jobs" "${BUILD_TARGETS[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "airlock bootstrap: build failed" >&2
    exit 1
fi
if ((${#BUILD_TARGETS[@]})); then
    echo "airlock bootstrap: built ${BUILD_TARGETS[*]: -1} in $BUILD_DIR" >&2
else
    echo "airlock bootstrap: built $BUILD_DIR/cli/airlock" >&2
fi
