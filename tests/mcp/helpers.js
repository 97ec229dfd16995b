// Shared helpers for the `airlock serve` end-to-end tests.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioClientTransportV2 } from '@modelcontextprotocol/client/stdio';

export const AIRLOCK = process.env.AIRLOCK_BINARY;
if (!AIRLOCK) throw new Error('AIRLOCK_BINARY must name the airlock binary');

// A fresh workspace, plus a directory outside it for policy files and a private config home
// (so the user's own policy does not change the outcome).
export function makeWorkspace(t) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'airlock-mcp-'));
  const workspace = path.join(root, 'ws');
  const outside = path.join(root, 'outside');
  fs.mkdirSync(workspace);
  fs.mkdirSync(path.join(outside, 'config'), { recursive: true });
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const env = { ...process.env, XDG_CONFIG_HOME: path.join(outside, 'config') };
  return {
    workspace,
    outside,
    env,
    policy(name, rules, extra = {}) {
      const file = path.join(outside, name);
      fs.writeFileSync(file, JSON.stringify({ version: 1, rules, ...extra }));
      return file;
    },
  };
}

export const DENY_CURL = { id: 'no-curl', decision: 'deny', argv: ['curl'], reason: 'no downloads' };
export const ASK_TOUCH = { id: 'ask-touch', decision: 'ask', argv: ['touch'], reason: 'touch needs a yes' };

// An SDK client connected to `airlock serve`. `onElicit` (optional) declares the elicitation
// capability and answers elicitation/create requests.
export async function connect(t, ws, args = [], { onElicit } = {}) {
  const capabilities = onElicit ? { elicitation: {} } : {};
  const client = new Client({ name: 'airlock-tests', version: '1.0.0' }, { capabilities });
  if (onElicit) {
    const { ElicitRequestSchema } = await import('@modelcontextprotocol/sdk/types.js');
    client.setRequestHandler(ElicitRequestSchema, (request) => onElicit(request.params));
  }
  const transport = new StdioClientTransport({
    command: AIRLOCK,
    args: ['serve', '--workspace', ws.workspace, ...args],
    env: ws.env,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr += d));
  await client.connect(transport);
  t.after(() => client.close());
  return { client, transport, stderr: () => stderr };
}

// The three client setups every feature is checked with: the 1.x SDK (2025-11-25 through
// initialize), the v2 client pinned to 2026-07-28, and the v2 client negotiating ('auto').
export const CLIENTS = ['sdk-1.x', 'v2-pinned', 'v2-auto'];
export const MODERN = '2026-07-28';

export async function connectAs(t, flavour, ws, args = [], { onElicit } = {}) {
  if (flavour === 'sdk-1.x') return connect(t, ws, args, { onElicit });
  const mode = flavour === 'v2-pinned' ? { pin: MODERN } : 'auto';
  const capabilities = onElicit ? { elicitation: {} } : {};
  const client = new ClientV2({ name: 'airlock-tests', version: '1.0.0' },
    { capabilities, versionNegotiation: { mode } });
  if (onElicit) client.setRequestHandler('elicitation/create', (request) => onElicit(request.params));
  const transport = new StdioClientTransportV2({
    command: AIRLOCK,
    args: ['serve', '--workspace', ws.workspace, ...args],
    env: ws.env,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr += d));
  await client.connect(transport);
  t.after(() => client.close());
  return { client, transport, stderr: () => stderr };
}

export function structured(result) {
  return result.structuredContent;
}

// Every record of the one run in the workspace that received requests. (The v2 client probes a
// stdio server with server/discover on a short-lived sibling process first: a run of its own
// with nothing in it but its start and end.)
export function walRecords(workspace) {
  const runs = path.join(workspace, '.airlock', 'runs');
  const read = (dir) => fs.readFileSync(path.join(runs, dir, 'events.jsonl'), 'utf8')
    .split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const all = fs.readdirSync(runs).map(read);
  const quiet = new Set(['run_started', 'policy_loaded', 'approver_ready', 'run_finished']);
  const busy = all.filter((records) => records.some((r) => !quiet.has(r.type)));
  if (busy.length > 1) throw new Error(`expected one run with requests, found ${busy.length}`);
  if (busy.length === 1) return busy[0];
  if (all.length !== 1) throw new Error(`expected one run, found ${all.length}`);
  return all[0];
}

// Waits (bounded) until `condition()` holds; polls because the events are in other processes.
export async function waitFor(condition, what, ms = 20000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Processes on this host whose command line contains `marker` (a child in a PID namespace is
// still visible here).
export function processesWith(marker) {
  const found = [];
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes(marker)) found.push(Number(pid));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

export function uniqueMarker() {
  return `airlock-mcp-marker-${process.pid}-${Math.random().toString(36).slice(2)}`;
}

// A shell command that signals it started (file `started` in the workspace) and then runs until
// killed; `marker` makes its process findable in /proc.
export function longRunning(marker) {
  return `touch started; while :; do sleep 1; done; : ${marker}`;
}

// `airlock serve` driven with raw lines: for what an SDK client would never send.
export function rawServer(t, ws, args = []) {
  const child = spawn(AIRLOCK, ['serve', '--workspace', ws.workspace, ...args], {
    env: ws.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const messages = [];
  const waiters = [];
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line); // every stdout line must be one JSON message
    messages.push(message);
    for (const w of [...waiters]) if (w.match(message)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(message);
    }
  });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return {
    child,
    messages,
    exited,
    stderr: () => stderr,
    send(obj) {
      child.stdin.write((typeof obj === 'string' ? obj : JSON.stringify(obj)) + '\n');
    },
    next(match, what = 'a message', ms = 20000) {
      const have = messages.find(match);
      if (have) return Promise.resolve(have);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
        waiters.push({ match, resolve: (m) => { clearTimeout(timer); resolve(m); } });
      });
    },
    reply(id) {
      return this.next((m) => m.id === id && !('method' in m), `the response to ${id}`);
    },
  };
}

export async function initializeRaw(server, version = '2025-11-25', capabilities = {}) {
  server.send({
    jsonrpc: '2.0', id: 'init', method: 'initialize',
    params: { protocolVersion: version, capabilities, clientInfo: { name: 'raw', version: '1' } },
  });
  const reply = await server.reply('init');
  server.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return reply;
}
