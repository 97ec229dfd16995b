// Approvals asked through elicitation, the session cache, the loop guard, and the fallback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ASK_TOUCH, connect, initializeRaw, makeWorkspace, rawServer, structured, walRecords } from './helpers.js';

const touch = (file) => ({ name: 'shell_exec', arguments: { command: `touch ${file}` } });

async function askingClient(t, answer, args = []) {
  const ws = makeWorkspace(t);
  const asked = [];
  const policy = ws.policy('ask.json', [ASK_TOUCH]);
  const { client } = await connect(t, ws, ['--policy', policy, ...args], {
    onElicit: async (params) => {
      asked.push(params);
      return typeof answer === 'function' ? answer(params) : answer;
    },
  });
  return { ws, client, asked };
}

test('accept with approve=true runs the call; the form names tool, command, risk and rule', async (t) => {
  const { ws, client, asked } = await askingClient(t, { action: 'accept', content: { approve: true, remember: 'once' } });
  const result = await client.callTool(touch('yes'));
  assert.equal(result.isError, false, JSON.stringify(result));
  assert.ok(fs.existsSync(path.join(ws.workspace, 'yes')));
  assert.equal(asked.length, 1);
  const [params] = asked;
  assert.equal(params.mode, 'form');
  assert.match(params.message, /Tool: shell_exec/);
  assert.match(params.message, /Command: touch yes/);
  assert.match(params.message, /Risk: /);
  assert.match(params.message, /Policy rule: "ask-touch": touch needs a yes/);
  assert.deepEqual(params.requestedSchema.required, ['approve']);
  assert.deepEqual(params.requestedSchema.properties.remember.enum, ['once', 'session']);
  assert.equal(structured(result).approval.decision, 'approved');
  // remember=once: the next identical call is asked again
  await client.callTool(touch('yes'));
  assert.equal(asked.length, 2);
});

for (const [label, answer] of [
  ['decline', { action: 'decline' }],
  ['cancel', { action: 'cancel' }],
  ['accept with approve=false', { action: 'accept', content: { approve: false } }],
]) {
  test(`${label} denies the call (isError, approval_denied, nothing ran)`, async (t) => {
    const { ws, client, asked } = await askingClient(t, answer);
    const result = await client.callTool(touch('no'));
    assert.equal(asked.length, 1);
    assert.equal(result.isError, true);
    assert.equal(structured(result).status, 'approval_denied');
    assert.match(result.content[0].text, /stage approval/);
    assert.match(result.content[0].text, /ask-touch/);
    assert.equal(fs.existsSync(path.join(ws.workspace, 'no')), false);
  });
}

test('remember=session approves identical calls for the rest of the session without asking', async (t) => {
  const { ws, client, asked } = await askingClient(t, { action: 'accept', content: { approve: true, remember: 'session' } });
  const first = await client.callTool(touch('s'));
  const second = await client.callTool(touch('s'));
  assert.equal(asked.length, 1);
  assert.equal(structured(first).approval.decision, 'approved_for_session');
  assert.equal(second.isError, false);
  assert.equal(structured(second).approval.from_session_cache, true);
  // a different call is still asked
  await client.callTool(touch('other'));
  assert.equal(asked.length, 2);
  assert.ok(fs.existsSync(path.join(ws.workspace, 'other')));
});

test('the loop guard: the same call declined twice aborts the run', async (t) => {
  const { ws, client, asked } = await askingClient(t, { action: 'decline' });
  const first = await client.callTool(touch('loop'));
  assert.equal(structured(first).status, 'approval_denied');
  const second = await client.callTool(touch('loop'));
  assert.equal(structured(second).status, 'aborted');
  assert.match(second.content[0].text, /loop_guard/);
  assert.match(second.content[0].text, /no further tool calls/);
  // everything after is refused without asking, even an allowed command
  const after = await client.callTool({ name: 'shell_exec', arguments: { command: 'echo hi' } });
  assert.equal(structured(after).status, 'aborted');
  assert.equal(asked.length, 2);
  await client.close();
  const records = walRecords(ws.workspace);
  assert.equal(records.at(-1).type, 'run_aborted');
});

test('progress notifications arrive while the approval is pending', async (t) => {
  let progressed;
  const sawProgress = new Promise((resolve) => (progressed = resolve));
  const { client } = await askingClient(
    t,
    async () => {
      await sawProgress; // answers only once progress for the pending call has arrived
      return { action: 'accept', content: { approve: true } };
    },
    ['--progress-interval-ms', '100'],
  );
  const updates = [];
  const result = await client.callTool(touch('p'), undefined, {
    onprogress: (p) => {
      updates.push(p);
      progressed();
    },
  });
  assert.equal(result.isError, false);
  assert.ok(updates.length >= 1);
  assert.match(updates[0].message, /approval/);
  for (let i = 1; i < updates.length; ++i) assert.ok(updates[i].progress > updates[i - 1].progress);
});

test('without elicitation the fallback denies and says how to allow', async (t) => {
  const ws = makeWorkspace(t);
  const policy = ws.policy('ask.json', [ASK_TOUCH]);
  const { client } = await connect(t, ws, ['--policy', policy]);
  const result = await client.callTool(touch('f'));
  assert.equal(result.isError, true);
  assert.equal(structured(result).status, 'approval_denied');
  assert.match(result.content[0].text, /elicitation/);
  assert.match(result.content[0].text, /--approve-fallback/);
  assert.equal(fs.existsSync(path.join(ws.workspace, 'f')), false);
});

test('--approve-fallback allow lets asks through when the client cannot elicit', async (t) => {
  const ws = makeWorkspace(t);
  const policy = ws.policy('ask.json', [ASK_TOUCH]);
  const { client } = await connect(t, ws, ['--policy', policy, '--approve-fallback', 'allow']);
  const result = await client.callTool(touch('f'));
  assert.equal(result.isError, false);
  assert.ok(fs.existsSync(path.join(ws.workspace, 'f')));
});

test('a 2025-06-18 client gets elicitation/create without mode; answers are matched by id', async (t) => {
  const ws = makeWorkspace(t);
  const policy = ws.policy('ask.json', [ASK_TOUCH]);
  const server = rawServer(t, ws, ['--policy', policy]);
  await initializeRaw(server, '2025-06-18', { elicitation: {} });
  server.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'shell_exec', arguments: { command: 'touch a' } } });
  server.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'shell_exec', arguments: { command: 'touch b' } } });
  const isAsk = (file) => (m) => m.method === 'elicitation/create' && m.params.message.includes(`touch ${file}`);
  const askA = await server.next(isAsk('a'), 'the question about a');
  const askB = await server.next(isAsk('b'), 'the question about b');
  assert.equal('mode' in askA.params, false);
  assert.notEqual(askA.id, askB.id);
  // answered out of order: b is approved, a declined
  server.send({ jsonrpc: '2.0', id: askB.id, result: { action: 'accept', content: { approve: true } } });
  const b = await server.reply(2);
  assert.equal(b.result.isError, false);
  server.send({ jsonrpc: '2.0', id: askA.id, result: { action: 'decline' } });
  const a = await server.reply(1);
  assert.equal(a.result.structuredContent.status, 'approval_denied');
  assert.ok(fs.existsSync(path.join(ws.workspace, 'b')));
  assert.equal(fs.existsSync(path.join(ws.workspace, 'a')), false);
  server.child.stdin.end();
  assert.equal(await server.exited, 0);
});

test('a network destination ("unknown": "ask") is asked through elicitation: host, port, program, never the URL', async (t) => {
  for (const tool of ['/usr/bin/bwrap', '/usr/bin/curl'])
    if (!fs.existsSync(tool)) return t.skip(`not applicable here: no ${tool}`);
  const http = await import('node:http');
  const hits = [];
  const target = http.createServer((req, res) => {
    hits.push(req.url);
    res.end('hello');
  });
  await new Promise((resolve) => target.listen(0, '127.0.0.1', resolve));
  t.after(() => target.close());
  const port = target.address().port;
  const ws = makeWorkspace(t);
  const policy = ws.policy('net.json', [], {
    default: 'allow',
    env: { allow: ['PATH', 'HOME', 'LANG'] },
    sandbox: { network: { allow: [`127.0.0.1:${port}`], unknown: 'ask', hosts: { 'ask.test': '127.0.0.1' } } },
  });
  const asked = [];
  const { client } = await connect(t, ws, ['--no-builtin-policy', '--policy', policy, '--sandbox', 'bwrap'], {
    onElicit: async (params) => {
      asked.push(params);
      return { action: 'accept', content: { approve: true, remember: 'session' } };
    },
  });
  const curl = () => client.callTool({
    name: 'shell_exec',
    arguments: { argv: ['curl', '-sS', '-m', '20', `http://ask.test:${port}/p?token=SECRET`] },
  });
  const first = await curl();
  if (structured(first).status === 'sandbox_denied') return t.skip('not applicable here: bwrap cannot run');
  assert.equal(structured(first).stdout, 'hello', JSON.stringify(first));
  assert.equal(asked.length, 1);
  assert.match(asked[0].message, /network connection/);
  assert.match(asked[0].message, /Host: ask\.test/);
  assert.match(asked[0].message, new RegExp(`Port: ${port}`));
  assert.match(asked[0].message, /\(curl\)/);
  assert.doesNotMatch(asked[0].message, /SECRET|\/p\?/);
  // remember=session: the next call's connection to the same host and port is not asked.
  const second = await curl();
  assert.equal(structured(second).stdout, 'hello');
  assert.equal(asked.length, 1);
  assert.deepEqual(hits, ['/p?token=SECRET', '/p?token=SECRET']);
  const answered = walRecords(ws.workspace).filter((r) => r.type === 'approval_answered');
  assert.equal(answered.length, 2);
  assert.deepEqual(answered[0].data.network, { host: 'ask.test', port });
  assert.equal(answered[1].data.from_session_cache, true);
});
