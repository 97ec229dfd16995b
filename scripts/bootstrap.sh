#!/usr/bin/env bash
# Installs what airlock needs from Debian's packages (only what is missing) and builds it in
# Release mode into build/. Idempotent, and fast when everything is already there.
#
#   scripts/bootstrap.sh [--sanitize]     (BUILD_DIR overrides build/)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
CMAKE_ARGS=(-DCMAKE_BUILD_TYPE=Release)
if [[ "${1:-}" == "--sanitize" ]]; then
    BUILD_DIR="${BUILD_DIR%/}-sanitize"
    CMAKE_ARGS+=(-DAIRLOCK_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo)
fi

PACKAGES=(g++ cmake make pkg-config libseccomp-dev bubblewrap libboost1.81-dev
          nlohmann-json3-dev libssl-dev doctest-dev libcli11-dev nodejs $(command -v npm >/dev/null || echo npm))

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
if ! { cmake -S "$ROOT" -B "$BUILD_DIR" "${CMAKE_ARGS[@]}" && cmake --build "$BUILD_DIR" -j "$jobs"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "airlock bootstrap: build failed" >&2
    exit 1
fi
echo "airlock bootstrap: built $BUILD_DIR/cli/airlock" >&2
