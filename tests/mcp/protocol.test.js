// The protocol itself: initialize, version negotiation, tools/list, framing errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, initializeRaw, makeWorkspace, rawServer, walRecords } from './helpers.js';

test('the SDK client initializes at 2025-11-25 and lists the three tools with annotations', async (t) => {
  const ws = makeWorkspace(t);
  const { client } = await connect(t, ws);
  assert.equal(client.getServerVersion().name, 'airlock');
  assert.match(client.getInstructions(), /sandbox/);
  assert.deepEqual(client.getServerCapabilities(), { tools: {} });
  const { tools } = await client.listTools();
  const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
  assert.deepEqual(Object.keys(byName).sort(), ['file_read', 'file_write', 'shell_exec']);
  assert.equal(byName.file_read.annotations.readOnlyHint, true);
  assert.equal(byName.file_read.annotations.destructiveHint, false);
  assert.equal(byName.shell_exec.annotations.destructiveHint, true);
  assert.deepEqual(byName.file_write.inputSchema.required, ['path', 'content']);
  assert.ok(byName.shell_exec.inputSchema.properties.command);
  assert.ok(byName.shell_exec.inputSchema.properties.argv);
  await client.ping();
});

test('version negotiation echoes a supported version and answers others with the latest', async (t) => {
  for (const [asked, expected] of [
    ['2025-11-25', '2025-11-25'],
    ['2025-06-18', '2025-06-18'],
    ['2025-03-26', '2025-03-26'],
    ['2024-01-01', '2025-11-25'],
  ]) {
    const ws = makeWorkspace(t);
    const server = rawServer(t, ws);
    const reply = await initializeRaw(server, asked);
    assert.equal(reply.result.protocolVersion, expected, `asked ${asked}`);
    assert.deepEqual(reply.result.serverInfo.name, 'airlock');
    server.child.stdin.end();
    assert.equal(await server.exited, 0);
  }
});

test('unknown methods get -32601 at once, even before initialize', async (t) => {
  const ws = makeWorkspace(t);
  const server = rawServer(t, ws);
  server.send({ jsonrpc: '2.0', id: 1, method: 'prompts/list', params: {} });
  assert.equal((await server.reply(1)).error.code, -32601);
  // server/discover is known: without the 2026-07-28 _meta it is a malformed request
  server.send({ jsonrpc: '2.0', id: 3, method: 'server/discover', params: {} });
  const discover = await server.reply(3);
  assert.equal(discover.error.code, -32602);
  assert.match(discover.error.message, /protocolVersion/);
  await initializeRaw(server);
  server.send({ jsonrpc: '2.0', id: 2, method: 'resources/list' });
  const reply = await server.reply(2);
  assert.equal(reply.error.code, -32601);
  assert.match(reply.error.message, /resources\/list/);
  server.child.stdin.end();
  assert.equal(await server.exited, 0);
});

test('malformed lines get -32700 / -32600 with id null and the server keeps serving', async (t) => {
  const ws = makeWorkspace(t);
  const server = rawServer(t, ws);
  await initializeRaw(server);
  server.send('{"jsonrpc": "2.0", "id": 5, "method": ');     // truncated JSON
  server.send('not json at all');
  server.send('[{"jsonrpc": "2.0", "id": 6, "method": "ping"}]');  // a batch
  server.send('{"jsonrpc": "1.0", "id": 7, "method": "ping"}');
  server.send('   ');                                          // blank: ignored
  server.send({ jsonrpc: '2.0', method: 'no/such/notification' }); // never answered
  server.send({ jsonrpc: '2.0', id: 8, method: 'ping' });
  assert.deepEqual((await server.reply(8)).result, {});
  const errors = server.messages.filter((m) => m.error);
  assert.deepEqual(errors.map((m) => [m.id, m.error.code]), [
    [null, -32700],
    [null, -32700],
    [null, -32600],
    [7, -32600],
  ]);
  server.child.stdin.end();
  assert.equal(await server.exited, 0);
  // Only protocol messages on stdout: every line parsed (rawServer throws otherwise), and
  // nothing but the replies above was sent.
  assert.equal(server.messages.length, 6);
});

test('bad tools/call params and unknown tools are -32602 and recorded as refused calls', async (t) => {
  const ws = makeWorkspace(t);
  const server = rawServer(t, ws);
  await initializeRaw(server);
  const calls = [
    [10, { name: 'rm_everything', arguments: {} }, /unknown tool/],
    [11, { name: 'shell_exec', arguments: { command: 'true', argv: ['true'] } }, /either/],
    [12, { name: 'file_read', arguments: { path: 3 } }, /must be string/],
    [13, { name: 'file_write', arguments: { path: 'x' } }, /missing required parameter "content"/],
    [14, { arguments: {} }, /name/],
  ];
  for (const [id, params, message] of calls) {
    server.send({ jsonrpc: '2.0', id, method: 'tools/call', params });
    const reply = await server.reply(id);
    assert.equal(reply.error?.code, -32602, `call ${id}`);
    assert.match(reply.error.message, message);
  }
  server.child.stdin.end();
  assert.equal(await server.exited, 0);
  const refused = walRecords(ws.workspace).filter((r) => r.type === 'call_received');
  assert.equal(refused.length, 4); // the call without a name never reached the session
});

test('tools are refused before initialize', async (t) => {
  const ws = makeWorkspace(t);
  const server = rawServer(t, ws);
  server.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'shell_exec', arguments: { command: 'touch x' } } });
  assert.equal((await server.reply(1)).error.code, -32600);
  server.child.stdin.end();
  assert.equal(await server.exited, 0);
});

test('a bad policy stops airlock serve before it serves (exit 125, reason on stderr)', async (t) => {
  const ws = makeWorkspace(t);
  const bad = ws.policy('bad.json', [{ id: 'x', decision: 'maybe' }]);
  const server = rawServer(t, ws, ['--policy', bad]);
  assert.equal(await server.exited, 125);
  assert.match(server.stderr(), /bad\.json/);
  assert.equal(server.messages.length, 0);
});
