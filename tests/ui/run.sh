#!/bin/sh
# Browser tests of `airlock ui` and `airlock wal report` in the system's headless Chromium:
# installs the pinned puppeteer-core once (it downloads no browser), then `node --test`.
# Exit 77 (ctest: skipped) when Node, npm or Chromium is missing: not applicable here.
set -eu
cd "$(dirname "$0")"
CHROMIUM="${AIRLOCK_CHROMIUM:-/usr/bin/chromium}"
for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "not applicable on this host: ui browser tests: no $tool (Debian: apt-get install nodejs npm)"
        exit 77
    fi
done
if [ ! -x "$CHROMIUM" ]; then
    echo "not applicable on this host: ui browser tests: no Chromium at $CHROMIUM (Debian: apt-get install chromium)"
    exit 77
fi
if [ -z "${AIRLOCK_BINARY:-}" ]; then
    echo "tests/ui: set AIRLOCK_BINARY to the airlock binary" >&2
    exit 1
fi
if [ ! -d node_modules/puppeteer-core ]; then
    PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund
fi
exec node --test --test-concurrency=1 "$@"
