#!/bin/sh
# Runs the real-agent tests: installs the pinned agent CLIs (Claude Code, Codex) once, then
# `node --test`. The agents talk only to the scripted fake model on loopback; nothing else of the
# network is used after the install. AIRLOCK_BINARY must name the airlock binary under test.
set -eu
cd "$(dirname "$0")"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "tests/agents: node and npm are required (Debian: apt-get install nodejs npm)" >&2
    exit 1
fi
if [ -z "${AIRLOCK_BINARY:-}" ]; then
    echo "tests/agents: set AIRLOCK_BINARY to the airlock binary" >&2
    exit 1
fi
if [ ! -d node_modules/@anthropic-ai/claude-code ] || [ ! -d node_modules/@openai/codex ]; then
    npm ci --no-audit --no-fund
fi
exec node --test "$@"
