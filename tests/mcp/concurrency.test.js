// Calls in flight at once, cancellation, and shutdown with a child still running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  connect, initializeRaw, longRunning, makeWorkspace, processesWith, rawServer, structured,
  uniqueMarker, waitFor, walRecords,
} from './helpers.js';

test('8 calls are in flight at once: each waits until all 8 have started', async (t) => {
  const ws = makeWorkspace(t);
  fs.mkdirSync(path.join(ws.workspace, 'barrier'));
  const { client } = await connect(t, ws);
  // A barrier in the workspace: every call checks in, then spins (bounded, shell builtins only)
  // until all 8 are there. Run one at a time, the first call would exhaust its bound and fail.
  const command = (i) =>
    `touch barrier/${i}; n=0; while :; do set -- barrier/*; [ $# -ge 8 ] && break; ` +
    `n=$((n+1)); [ $n -gt 3000000 ] && { echo "only $# arrived" >&2; exit 3; }; done; echo $#`;
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      client.callTool({ name: 'shell_exec', arguments: { command: command(i), timeout_ms: 120000 } },
        undefined, { timeout: 180000 })),
  );
  for (const r of results) {
    assert.equal(structured(r).status, 'ok', structured(r).stderr);
    assert.equal(structured(r).stdout, '8\n');
  }
});

test('notifications/cancelled kills the running process tree, records cancelled, sends no response', async (t) => {
  const ws = makeWorkspace(t);
  const marker = uniqueMarker();
  const server = rawServer(t, ws);
  await initializeRaw(server);
  server.send({ jsonrpc: '2.0', id: 'long', method: 'tools/call', params: { name: 'shell_exec', arguments: { command: longRunning(marker) } } });
  await waitFor(() => fs.existsSync(path.join(ws.workspace, 'started')), 'the command to start');
  assert.ok(processesWith(marker).length > 0, 'positive control: the command is running');
  server.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'long', reason: 'test' } });
  await waitFor(() => processesWith(marker).length === 0, 'the process tree to be gone');
  // The server still serves, then exits cleanly; the cancelled request never got a response.
  server.send({ jsonrpc: '2.0', id: 'after', method: 'ping' });
  await server.reply('after');
  server.child.stdin.end();
  assert.equal(await server.exited, 0);
  assert.equal(server.messages.some((m) => m.id === 'long'), false);
  const finished = walRecords(ws.workspace).filter((r) => r.type === 'call_finished');
  assert.deepEqual(finished.map((r) => r.data.status), ['cancelled']);
});

test('the SDK client aborting a call cancels it', async (t) => {
  const ws = makeWorkspace(t);
  const marker = uniqueMarker();
  const { client } = await connect(t, ws);
  const abort = new AbortController();
  const call = client.callTool({ name: 'shell_exec', arguments: { command: longRunning(marker) } },
    undefined, { signal: abort.signal });
  await waitFor(() => fs.existsSync(path.join(ws.workspace, 'started')), 'the command to start');
  assert.ok(processesWith(marker).length > 0, 'positive control: the command is running');
  abort.abort('the user pressed escape');
  await assert.rejects(call);
  await waitFor(() => processesWith(marker).length === 0, 'the process tree to be gone');
  // other calls go on working
  const next = await client.callTool({ name: 'shell_exec', arguments: { command: 'echo still here' } });
  assert.equal(structured(next).stdout, 'still here\n');
});

test('stdin closing with a child running: the child is killed, the run finishes, exit 0', async (t) => {
  const ws = makeWorkspace(t);
  const marker = uniqueMarker();
  const server = rawServer(t, ws);
  await initializeRaw(server);
  server.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'shell_exec', arguments: { command: longRunning(marker) } } });
  await waitFor(() => fs.existsSync(path.join(ws.workspace, 'started')), 'the command to start');
  assert.ok(processesWith(marker).length > 0, 'positive control: the command is running');
  server.child.stdin.end();
  assert.equal(await server.exited, 0);
  assert.deepEqual(processesWith(marker), []);
  const records = walRecords(ws.workspace);
  assert.equal(records.filter((r) => r.type === 'call_finished')[0].data.status, 'cancelled');
  assert.equal(records.at(-1).type, 'run_finished');
});

test('SIGTERM shuts down the same orderly way', async (t) => {
  const ws = makeWorkspace(t);
  const marker = uniqueMarker();
  const server = rawServer(t, ws);
  await initializeRaw(server);
  server.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'shell_exec', arguments: { command: longRunning(marker) } } });
  await waitFor(() => fs.existsSync(path.join(ws.workspace, 'started')), 'the command to start');
  assert.ok(processesWith(marker).length > 0, 'positive control: the command is running');
  server.child.kill('SIGTERM');
  assert.equal(await server.exited, 0);
  assert.deepEqual(processesWith(marker), []);
  assert.equal(walRecords(ws.workspace).at(-1).type, 'run_finished');
});

test('cancelling a call while its approval is pending withdraws the question', async (t) => {
  const ws = makeWorkspace(t);
  const policy = ws.policy('ask.json', [{ id: 'ask-touch', decision: 'ask', argv: ['touch'] }]);
  const server = rawServer(t, ws, ['--policy', policy]);
  await initializeRaw(server, '2025-11-25', { elicitation: {} });
  server.send({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'shell_exec', arguments: { command: 'touch x' } } });
  const ask = await server.next((m) => m.method === 'elicitation/create', 'the question');
  server.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 9 } });
  const withdrawn = await server.next(
    (m) => m.method === 'notifications/cancelled' && m.params.requestId === ask.id, 'the withdrawal');
  assert.ok(withdrawn);
  server.child.stdin.end();
  assert.equal(await server.exited, 0);
  assert.equal(server.messages.some((m) => m.id === 9), false);
  assert.equal(fs.existsSync(path.join(ws.workspace, 'x')), false);
});
