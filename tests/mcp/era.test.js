// The 2026-07-28 revision over raw lines: discovery, version errors, eras mixed on one
// connection, and every way a requestState can be wrong (nothing runs, the WAL says why).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ASK_TOUCH, MODERN, initializeRaw, makeWorkspace, rawServer, waitFor, walRecords } from './helpers.js';

const meta = (capabilities = { elicitation: {} }) => ({
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': capabilities,
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
});
const shell = (command) => ({ name: 'shell_exec', arguments: { command } });
const call = (id, params, extra = {}) => ({
  jsonrpc: '2.0', id, method: 'tools/call', params: { _meta: meta(), ...params, ...extra },
});
const APPROVE = { approval: { action: 'accept', content: { approve: true } } };

// A server with an ask rule for touch, and one call that asked for input.
async function asked(t, args = []) {
  const ws = makeWorkspace(t);
  const server = rawServer(t, ws, ['--policy', ws.policy('ask.json', [ASK_TOUCH]), ...args]);
  server.send(call('a1', shell('touch a')));
  const first = await server.reply('a1');
  assert.equal(first.result.resultType, 'input_required', JSON.stringify(first));
  return { ws, server, first, state: first.result.requestState };
}

const exists = (ws, file) => fs.existsSync(path.join(ws.workspace, file));
const rejections = (ws) => walRecords(ws.workspace).filter((r) => r.type === 'request_state_rejected');

async function finish(server) {
  server.child.stdin.end();
  assert.equal(await server.exited, 0);
}

test('server/discover lists the versions; unsupported versions and missing _meta are errors', async (t) => {
  const ws = makeWorkspace(t);
  const server = rawServer(t, ws);
  server.send({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: meta() } });
  const discover = (await server.reply(1)).result;
  assert.equal(discover.resultType, 'complete');
  assert.deepEqual(discover.supportedVersions, [MODERN, '2025-11-25', '2025-06-18', '2025-03-26']);
  assert.deepEqual(discover.capabilities, { tools: {} });
  assert.equal(discover._meta['io.modelcontextprotocol/serverInfo'].name, 'airlock');
  assert.ok(discover.ttlMs >= 0 && discover.cacheScope);

  const old = { ...meta(), 'io.modelcontextprotocol/protocolVersion': '1900-01-01' };
  server.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { _meta: old, ...shell('touch v') } });
  const unsupported = (await server.reply(2)).error;
  assert.equal(unsupported.code, -32022);
  assert.deepEqual(unsupported.data, { supported: discover.supportedVersions, requested: '1900-01-01' });

  const noCaps = { 'io.modelcontextprotocol/protocolVersion': MODERN };
  server.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { _meta: noCaps, ...shell('touch c') } });
  const missing = (await server.reply(3)).error;
  assert.equal(missing.code, -32602);
  assert.match(missing.message, /clientCapabilities/);

  // removed in 2026-07-28
  server.send({ jsonrpc: '2.0', id: 4, method: 'ping', params: { _meta: meta() } });
  assert.equal((await server.reply(4)).error.code, -32601);

  // positive control: a well-formed modern call runs
  server.send(call(5, shell('touch ran')));
  const ran = (await server.reply(5)).result;
  assert.equal(ran.resultType, 'complete');
  assert.equal(ran.isError, false);
  assert.ok(exists(ws, 'ran'));
  assert.equal(exists(ws, 'v') || exists(ws, 'c'), false);
  await finish(server);
});

test('both eras on one connection: each request is served by its own revision', async (t) => {
  const ws = makeWorkspace(t);
  const server = rawServer(t, ws, ['--policy', ws.policy('ask.json', [ASK_TOUCH])]);
  // before initialize: a 2026-07-28 request is served, a 2025 one is not
  server.send(call(1, shell('echo modern')));
  assert.equal((await server.reply(1)).result.content[0].text, 'modern\n');
  server.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: shell('echo legacy') });
  assert.equal((await server.reply(2)).error.code, -32600);

  const init = await initializeRaw(server, '2025-11-25', { elicitation: {} });
  assert.equal(init.result.protocolVersion, '2025-11-25');
  assert.equal('resultType' in init.result, false);

  // a 2025 call that asks: the server sends elicitation/create
  server.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: shell('touch legacy') });
  const elicit = await server.next((m) => m.method === 'elicitation/create', 'elicitation/create');
  // meanwhile a 2026-07-28 call that asks gets an input-required result on its own id
  server.send(call(4, shell('touch modern')));
  const inputRequired = (await server.reply(4)).result;
  assert.equal(inputRequired.resultType, 'input_required');
  assert.equal(inputRequired.inputRequests.approval.method, 'elicitation/create');
  assert.equal(inputRequired.inputRequests.approval.params.mode, 'form');
  assert.match(inputRequired.inputRequests.approval.params.message, /Command: touch modern/);
  // nothing ran before the answers
  assert.equal(exists(ws, 'legacy') || exists(ws, 'modern'), false);

  server.send({ jsonrpc: '2.0', id: elicit.id, result: { action: 'accept', content: { approve: true } } });
  const legacy = (await server.reply(3)).result;
  assert.equal(legacy.isError, false);
  assert.equal('resultType' in legacy, false);
  server.send(call(5, shell('touch modern'), { inputResponses: APPROVE, requestState: inputRequired.requestState }));
  const modern = (await server.reply(5)).result;
  assert.equal(modern.resultType, 'complete');
  assert.equal(modern.isError, false, JSON.stringify(modern));
  assert.ok(exists(ws, 'legacy') && exists(ws, 'modern'));
  // the 2026-07-28 call never produced a server-to-client request
  assert.equal(server.messages.filter((m) => m.method === 'elicitation/create').length, 1);

  // 2025 tools/list has no cache fields, the 2026-07-28 one has them
  server.send({ jsonrpc: '2.0', id: 6, method: 'tools/list' });
  server.send({ jsonrpc: '2.0', id: 7, method: 'tools/list', params: { _meta: meta() } });
  const [l6, l7] = [(await server.reply(6)).result, (await server.reply(7)).result];
  assert.equal('ttlMs' in l6, false);
  assert.equal(l7.resultType, 'complete');
  assert.ok(l7.ttlMs >= 0);
  assert.deepEqual(l6.tools, l7.tools);
  // a requestState on a 2025 request is refused
  server.send({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { ...shell('touch modern'), requestState: 'x' } });
  assert.equal((await server.reply(8)).error.code, -32602);
  await finish(server);
});

test('a 2026-07-28 request without the elicitation capability is never asked: the fallback answers', async (t) => {
  const ws = makeWorkspace(t);
  const server = rawServer(t, ws, ['--policy', ws.policy('ask.json', [ASK_TOUCH])]);
  server.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { _meta: meta({}), ...shell('touch f') } });
  const result = (await server.reply(1)).result;
  assert.equal(result.resultType, 'complete');
  assert.equal(result.structuredContent.status, 'approval_denied');
  assert.match(result.content[0].text, /--approve-fallback/);
  assert.equal(exists(ws, 'f'), false);
  await finish(server);
});

test('the answer resumes the call exactly once; the same state again is a replay', async (t) => {
  const { ws, server, state } = await asked(t);
  assert.equal(exists(ws, 'a'), false); // nothing ran before the answer
  const before = walRecords(ws.workspace).filter((r) => r.type === 'exec_started').length;
  assert.equal(before, 0);
  server.send(call('a2', shell('touch a'), { inputResponses: APPROVE, requestState: state }));
  const done = (await server.reply('a2')).result;
  assert.equal(done.resultType, 'complete');
  assert.equal(done.isError, false);
  assert.ok(exists(ws, 'a'));
  fs.rmSync(path.join(ws.workspace, 'a'));
  server.send(call('a3', shell('touch a'), { inputResponses: APPROVE, requestState: state }));
  const replay = (await server.reply('a3')).error;
  assert.equal(replay.code, -32602);
  assert.equal(replay.data.reason, 'replayed');
  assert.match(replay.message, /already used/);
  assert.equal(exists(ws, 'a'), false); // it did not run twice
  await finish(server);
  const records = walRecords(ws.workspace);
  assert.equal(records.filter((r) => r.type === 'exec_started').length, 1);
  assert.deepEqual(rejections(ws).map((r) => r.data.reason), ['replayed']);
});

test('a forged, altered or malformed requestState is refused and nothing runs', async (t) => {
  const { ws, server, state } = await asked(t);
  const [payload, mac] = state.split('.');
  const flip = (s, i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  // A state with the same shape whose MAC was made with another key.
  const other = `${payload}.${flip(mac, 3)}`;
  const cases = [
    ['forged', other],
    ['forged', `${flip(payload, 10)}.${mac}`], // altered payload (e.g. a later expiry)
    ['malformed', 'not-a-state'],
    ['forged', `${Buffer.from('{"v":1}').toString('base64url')}.${mac}`],
  ];
  let id = 0;
  for (const [reason, bad] of cases) {
    server.send(call(`bad${++id}`, shell('touch a'), { inputResponses: APPROVE, requestState: bad }));
    const error = (await server.reply(`bad${id}`)).error;
    assert.equal(error.code, -32602, bad);
    assert.equal(error.data.reason, reason, bad);
  }
  assert.equal(exists(ws, 'a'), false);
  // positive control: the genuine state still resumes the call
  server.send(call('ok', shell('touch a'), { inputResponses: APPROVE, requestState: state }));
  assert.equal((await server.reply('ok')).result.isError, false);
  assert.ok(exists(ws, 'a'));
  await finish(server);
  assert.deepEqual(rejections(ws).map((r) => r.data.reason), ['forged', 'forged', 'malformed', 'forged']);
});

test('an answer presented with another call is refused; the state stays usable for its own call', async (t) => {
  const { ws, server, state } = await asked(t);
  server.send(call('b1', shell('touch b'), { inputResponses: APPROVE, requestState: state }));
  const error = (await server.reply('b1')).error;
  assert.equal(error.code, -32602);
  assert.equal(error.data.reason, 'other_call');
  assert.equal(exists(ws, 'a') || exists(ws, 'b'), false);
  server.send(call('a2', shell('touch a'), { inputResponses: APPROVE, requestState: state }));
  assert.equal((await server.reply('a2')).result.isError, false);
  assert.ok(exists(ws, 'a'));
  assert.equal(exists(ws, 'b'), false);
  await finish(server);
  assert.deepEqual(rejections(ws).map((r) => r.data.reason), ['other_call']);
});

test('an expired requestState is refused; the call ends as timed out without running', async (t) => {
  const { ws, server, state } = await asked(t, ['--request-state-ttl-ms', '300']);
  // the waiting call gives up when the state expires (recorded), then the retry comes
  await waitFor(() => walRecords(ws.workspace).some((r) => r.type === 'approval_answered'),
    'the approval to time out');
  const answered = walRecords(ws.workspace).find((r) => r.type === 'approval_answered');
  assert.equal(answered.data.decision, 'timed_out');
  server.send(call('late', shell('touch a'), { inputResponses: APPROVE, requestState: state }));
  const error = (await server.reply('late')).error;
  assert.equal(error.data.reason, 'expired');
  assert.match(error.message, /expired/);
  assert.equal(exists(ws, 'a'), false);
  // nothing was sent for the original request beyond its input-required result
  assert.equal(server.messages.filter((m) => m.id === 'a1').length, 1);
  await finish(server);
  assert.deepEqual(rejections(ws).map((r) => r.data.reason), ['expired']);
});

test('a retry without the answer is asked again with a new state; a decline runs nothing', async (t) => {
  const { ws, server, state } = await asked(t);
  server.send(call('r1', shell('touch a'), { requestState: state }));
  const again = (await server.reply('r1')).result;
  assert.equal(again.resultType, 'input_required');
  assert.notEqual(again.requestState, state);
  // the first state is used up
  server.send(call('r2', shell('touch a'), { inputResponses: APPROVE, requestState: state }));
  assert.equal((await server.reply('r2')).error.data.reason, 'replayed');
  // malformed answers are protocol errors and consume nothing
  server.send(call('r3', shell('touch a'), { inputResponses: { approval: 'yes' }, requestState: again.requestState }));
  assert.equal((await server.reply('r3')).error.code, -32602);
  server.send(call('r4', shell('touch a'), { inputResponses: { approval: { action: 'decline' } }, requestState: again.requestState }));
  const declined = (await server.reply('r4')).result;
  assert.equal(declined.resultType, 'complete');
  assert.equal(declined.structuredContent.status, 'approval_denied');
  assert.equal(exists(ws, 'a'), false);
  await finish(server);
  const records = walRecords(ws.workspace);
  assert.equal(records.filter((r) => r.type === 'input_required').length, 1);
  assert.equal(records.find((r) => r.type === 'approval_answered').data.decision, 'denied');
});

test('cancelling the retry of a resumed call kills it; progress follows the retry', async (t) => {
  const ws = makeWorkspace(t);
  const server = rawServer(t, ws, ['--policy', ws.policy('ask.json', [ASK_TOUCH]), '--progress-interval-ms', '100']);
  const command = 'touch started; while :; do sleep 1; done';
  server.send(call('c1', shell(command), { _meta: { ...meta(), progressToken: 'p1' } }));
  const first = (await server.reply('c1')).result;
  assert.equal(first.resultType, 'input_required');
  server.send(call('c2', shell(command), {
    _meta: { ...meta(), progressToken: 'p2' }, inputResponses: APPROVE, requestState: first.requestState,
  }));
  await waitFor(() => exists(ws, 'started'), 'the command to start');
  await server.next((m) => m.method === 'notifications/progress' && m.params.progressToken === 'p2', 'progress for the retry');
  server.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'c2', reason: 'test' } });
  await waitFor(() => walRecords(ws.workspace).some((r) => r.type === 'call_finished'), 'the call to end');
  assert.equal(walRecords(ws.workspace).find((r) => r.type === 'call_finished').data.status, 'cancelled');
  await finish(server);
  assert.equal(server.messages.some((m) => m.id === 'c2'), false);
  // after its input-required result, the first request got no progress
  const p1 = server.messages.filter((m) => m.method === 'notifications/progress' && m.params.progressToken === 'p1');
  const firstAnswerAt = server.messages.findIndex((m) => m.id === 'c1');
  assert.equal(server.messages.slice(firstAnswerAt).some((m) => p1.includes(m)), false);
});

test('two calls wait for input at once; their retries, answered out of order, each resume their own call', async (t) => {
  const ws = makeWorkspace(t);
  const server = rawServer(t, ws, ['--policy', ws.policy('ask.json', [ASK_TOUCH])]);
  server.send(call('a1', shell('touch a')));
  server.send(call('b1', shell('touch b')));
  const [a, b] = [(await server.reply('a1')).result, (await server.reply('b1')).result];
  assert.equal(a.resultType, 'input_required');
  assert.equal(b.resultType, 'input_required');
  assert.notEqual(a.requestState, b.requestState);
  // each state belongs to its own call
  server.send(call('x', shell('touch b'), { inputResponses: APPROVE, requestState: a.requestState }));
  assert.equal((await server.reply('x')).error.data.reason, 'other_call');
  server.send(call('b2', shell('touch b'), { inputResponses: APPROVE, requestState: b.requestState }));
  const b2 = (await server.reply('b2')).result;
  assert.equal(b2.isError, false);
  assert.ok(exists(ws, 'b'));
  assert.equal(exists(ws, 'a'), false);
  server.send(call('a2', shell('touch a'), { inputResponses: { approval: { action: 'decline' } }, requestState: a.requestState }));
  assert.equal((await server.reply('a2')).result.structuredContent.status, 'approval_denied');
  assert.equal(exists(ws, 'a'), false);
  await finish(server);
  const finished = walRecords(ws.workspace).filter((r) => r.type === 'call_finished');
  assert.deepEqual(finished.map((r) => r.data.status).sort(), ['approval_denied', 'ok']);
});
