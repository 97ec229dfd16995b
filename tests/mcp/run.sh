#!/bin/sh
# Runs the MCP end-to-end tests: installs the pinned SDK clients (1.x and 2.x) once, then `node --test`.
# AIRLOCK_BINARY must name the airlock binary under test.
set -eu
cd "$(dirname "$0")"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "tests/mcp: node and npm are required (Debian: apt-get install nodejs npm)" >&2
    exit 1
fi
if [ -z "${AIRLOCK_BINARY:-}" ]; then
    echo "tests/mcp: set AIRLOCK_BINARY to the airlock binary" >&2
    exit 1
fi
if [ ! -d node_modules/@modelcontextprotocol/sdk ] || [ ! -d node_modules/@modelcontextprotocol/client ]; then
    npm ci --no-audit --no-fund
fi
exec node --test "$@"
