// The tools through the whole pipeline, as an agent on the official SDK calls them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DENY_CURL, connect, makeWorkspace, structured, walRecords } from './helpers.js';

test('shell_exec runs a command in the workspace: concise text, the exec --json fields as structuredContent', async (t) => {
  const ws = makeWorkspace(t);
  const { client } = await connect(t, ws);
  const result = await client.callTool({
    name: 'shell_exec',
    arguments: { command: 'echo out; echo err >&2; pwd' },
  });
  assert.equal(result.isError, false);
  const s = structured(result);
  assert.equal(s.status, 'ok');
  assert.equal(s.exit_code, 0);
  assert.equal(s.stdout, `out\n${ws.workspace}\n`);
  assert.equal(s.stderr, 'err\n');
  assert.equal(s.decision.decision, 'allow');
  assert.equal(s.sandbox.active, true);
  // The model reads what a shell says: stdout, then stderr, nothing else for a success.
  assert.equal(result.content.length, 1);
  assert.equal(result.content[0].text, `out\n${ws.workspace}\n[stderr]\nerr\n`);
});

test('--result-text full keeps the whole result as JSON text', async (t) => {
  const ws = makeWorkspace(t);
  const { client } = await connect(t, ws, ['--result-text', 'full']);
  const result = await client.callTool({ name: 'shell_exec', arguments: { command: 'echo hi' } });
  assert.equal(result.isError, false);
  assert.deepEqual(JSON.parse(result.content.at(-1).text), structured(result)); // the same JSON as text
  const failed = await client.callTool({ name: 'shell_exec', arguments: { command: 'exit 3' } });
  assert.match(failed.content[0].text, /exited with status 3/);
  assert.deepEqual(JSON.parse(failed.content.at(-1).text), structured(failed));
});

test('argv, cwd and a failing command (isError with the exit status)', async (t) => {
  const ws = makeWorkspace(t);
  fs.mkdirSync(path.join(ws.workspace, 'sub'));
  const { client } = await connect(t, ws);
  const ok = await client.callTool({ name: 'shell_exec', arguments: { argv: ['pwd'], cwd: 'sub' } });
  assert.equal(structured(ok).stdout, `${ws.workspace}/sub\n`);
  const failed = await client.callTool({
    name: 'shell_exec',
    arguments: { command: 'echo broken >&2; exit 3' },
  });
  assert.equal(failed.isError, true);
  assert.equal(structured(failed).status, 'failed');
  assert.equal(structured(failed).exit_code, 3);
  assert.equal(failed.content[0].text, '[stderr]\nbroken\n[exit status 3]');
});

test('file_write then file_read round-trips the content, max_bytes truncates', async (t) => {
  const ws = makeWorkspace(t);
  const { client } = await connect(t, ws);
  const content = 'line one\nline two with ünïcödé\n';
  const written = await client.callTool({ name: 'file_write', arguments: { path: 'notes/a.txt', content } });
  assert.equal(written.isError, false, JSON.stringify(written));
  assert.equal(fs.readFileSync(path.join(ws.workspace, 'notes/a.txt'), 'utf8'), content);
  const read = await client.callTool({ name: 'file_read', arguments: { path: 'notes/a.txt' } });
  assert.equal(structured(read).stdout, content);
  const head = await client.callTool({ name: 'file_read', arguments: { path: 'notes/a.txt', max_bytes: 4 } });
  assert.equal(structured(head).stdout, 'line');
  assert.equal(structured(head).truncated.stdout, true);
  const outside = await client.callTool({ name: 'file_read', arguments: { path: '../outside/x' } });
  assert.equal(outside.isError, true);
  assert.equal(structured(outside).status, 'invalid');
});

test('a policy denial is an isError result naming the stage, the rule and what to do', async (t) => {
  const ws = makeWorkspace(t);
  const policy = ws.policy('deny.json', [DENY_CURL]);
  const { client } = await connect(t, ws, ['--policy', policy]);
  const denied = await client.callTool({
    name: 'shell_exec',
    arguments: { command: 'curl https://example.com > got' },
  });
  assert.equal(denied.isError, true);
  const s = structured(denied);
  assert.equal(s.status, 'denied');
  assert.equal(s.decision.rule, 'no-curl');
  assert.match(denied.content[0].text, /stage policy: rule "no-curl" denies this call \(no downloads\)/);
  assert.match(denied.content[0].text, /Do not retry/);
  assert.equal(fs.existsSync(path.join(ws.workspace, 'got')), false);
  // positive control: the same policy lets other commands run
  const allowed = await client.callTool({ name: 'shell_exec', arguments: { command: 'echo fine > got' } });
  assert.equal(allowed.isError, false);
  assert.equal(fs.readFileSync(path.join(ws.workspace, 'got'), 'utf8'), 'fine\n');
  await client.close();
  const decided = walRecords(ws.workspace).filter((r) => r.type === 'policy_decided');
  assert.deepEqual(decided.map((r) => r.data.decision), ['deny', 'allow']);
});

test('a call that runs too long times out as an isError result', async (t) => {
  const ws = makeWorkspace(t);
  const { client } = await connect(t, ws);
  const result = await client.callTool({
    name: 'shell_exec',
    arguments: { command: 'while :; do :; done', timeout_ms: 300 },
  });
  assert.equal(result.isError, true);
  assert.equal(structured(result).status, 'timeout');
  assert.match(result.content[0].text, /timeout_ms/);
});

test('output over the policy limit: the text says where it was cut, how much was dropped, what to do', async (t) => {
  const ws = makeWorkspace(t);
  const policy = ws.policy('limits.json', [], { limits: { output_bytes: 1000 } });
  const { client } = await connect(t, ws, ['--policy', policy]);
  const result = await client.callTool({
    name: 'shell_exec',
    arguments: { command: "head -c 5000 /dev/zero | tr '\\0' x" },
  });
  assert.equal(result.isError, false);
  const s = structured(result);
  assert.equal(s.stdout.length, 1000);
  assert.equal(s.truncated.stdout, true);
  assert.deepEqual(s.dropped_bytes, { stdout: 4000, stderr: 0 });
  assert.equal(result.content[0].text,
    `${'x'.repeat(1000)}\n[airlock: stdout cut at 1000 bytes; 4000 more bytes were not kept: ` +
    'redirect the output to a workspace file and file_read it]\n');
  // positive control: under the limit nothing is said
  const small = await client.callTool({ name: 'shell_exec', arguments: { command: 'echo small' } });
  assert.equal(small.content[0].text, 'small\n');
  assert.equal('dropped_bytes' in structured(small), false);
});
