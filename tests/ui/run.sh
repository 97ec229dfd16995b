#!/bin/sh
# Browser tests of `airlock ui` and `airlock wal report` in the system's headless Chromium:
# installs the pinned puppeteer-core once (it downloads no browser), then `node --test`.
# Exit 77 (ctest: skipped) when Node, npm or Chromium is missing: not applicable here.
set -eu
cd "$(dirname "$0")"
CHROMIUM="${AIRLOCK_CHROMIUM:-/usr/bin/chromium}"
not_applicable() {
    echo "not applicable on this host: ui browser tests: $1"
    # Listed by scripts/test.sh with the other not-applicable cases.
    if [ -n "${AIRLOCK_TEST_NA_LOG:-}" ]; then echo "ui browser tests: $1" >>"$AIRLOCK_TEST_NA_LOG"; fi
    exit 77
}
for tool in node npm; do
    command -v "$tool" >/dev/null 2>&1 || not_applicable "no $tool (Debian: apt-get install nodejs npm)"
done
[ -x "$CHROMIUM" ] || not_applicable "no Chromium at $CHROMIUM (Debian: apt-get install chromium)"
if [ -z "${AIRLOCK_BINARY:-}" ]; then
    echo "tests/ui: set AIRLOCK_BINARY to the airlock binary" >&2
    exit 1
fi
if [ ! -d node_modules/puppeteer-core ]; then
    PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund
fi
exec node --test --test-concurrency=1 "$@"
