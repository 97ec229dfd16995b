// Every client setup an agent host uses does the same things through airlock: the 1.x SDK
// (2025-11-25, approvals through elicitation/create), the v2 client pinned to 2026-07-28 and
// the v2 client negotiating on its own (both: approvals as input-required results).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  ASK_TOUCH, CLIENTS, DENY_CURL, MODERN, connectAs, longRunning, makeWorkspace, processesWith,
  structured, uniqueMarker, waitFor, walRecords,
} from './helpers.js';

// The model's text beyond the command's own output, for a successful call.
const TEXT_BUDGET = 120;

const era = (flavour) => (flavour === 'sdk-1.x' ? 'legacy' : 'modern');

for (const flavour of CLIENTS) {
  test(`${flavour}: lists the tools and runs a command; the text is the output`, async (t) => {
    const ws = makeWorkspace(t);
    const { client } = await connectAs(t, flavour, ws);
    if (era(flavour) === 'modern') assert.equal(client.getNegotiatedProtocolVersion(), MODERN);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name).sort(), ['file_read', 'file_write', 'shell_exec']);
    for (const tool of tools) assert.equal(tool.outputSchema.type, 'object');

    const hi = await client.callTool({ name: 'shell_exec', arguments: { command: 'echo hi' } });
    assert.equal(hi.isError, false);
    assert.equal(structured(hi).status, 'ok');
    assert.equal(hi.content.length, 1);
    assert.equal(hi.content[0].text, 'hi\n'); // 0 bytes beyond the output
    const noisy = await client.callTool({
      name: 'shell_exec',
      arguments: { command: 'printf "%s\\n" one two three; echo warning >&2' },
    });
    const s = structured(noisy);
    const extra = Buffer.byteLength(noisy.content[0].text) - Buffer.byteLength(s.stdout + s.stderr);
    assert.ok(extra <= TEXT_BUDGET, `${extra} bytes beyond the output`);
    assert.equal(noisy.content[0].text, 'one\ntwo\nthree\n[stderr]\nwarning\n');
    // A full result is still there for the client, and in the WAL.
    assert.ok(s.sandbox && s.decision && s.run_id);
    const failed = await client.callTool({ name: 'shell_exec', arguments: { command: 'exit 3' } });
    assert.equal(failed.isError, true);
    assert.equal(failed.content[0].text, '[exit status 3]');
    await client.close();
    const finished = walRecords(ws.workspace).filter((r) => r.type === 'call_finished');
    assert.deepEqual(finished.map((r) => r.data.status), ['ok', 'ok', 'failed']);
  });

  test(`${flavour}: file_write then file_read`, async (t) => {
    const ws = makeWorkspace(t);
    const { client } = await connectAs(t, flavour, ws);
    const content = 'first line\nsecond: ünïcödé\n';
    const written = await client.callTool({ name: 'file_write', arguments: { path: 'notes/a.txt', content } });
    assert.equal(written.isError, false);
    assert.equal(written.content[0].text, `Wrote ${Buffer.byteLength(content)} bytes to notes/a.txt.`);
    assert.equal(fs.readFileSync(path.join(ws.workspace, 'notes/a.txt'), 'utf8'), content);
    const read = await client.callTool({ name: 'file_read', arguments: { path: 'notes/a.txt' } });
    assert.equal(read.content[0].text, content);
    assert.equal(structured(read).stdout, content);
  });

  test(`${flavour}: approvals: accept once, decline, remember for the session`, async (t) => {
    const ws = makeWorkspace(t);
    const asked = [];
    const answers = [];
    const { client } = await connectAs(t, flavour, ws, ['--policy', ws.policy('ask.json', [ASK_TOUCH])], {
      onElicit: async (params) => {
        asked.push(params);
        return answers.shift();
      },
    });
    const touch = (file) => ({ name: 'shell_exec', arguments: { command: `touch ${file}` } });

    answers.push({ action: 'accept', content: { approve: true, remember: 'once' } });
    const once = await client.callTool(touch('once'));
    assert.equal(once.isError, false, JSON.stringify(once));
    assert.ok(fs.existsSync(path.join(ws.workspace, 'once')));
    assert.equal(structured(once).approval.decision, 'approved');
    assert.equal(asked.length, 1);
    assert.equal(asked[0].mode, 'form');
    assert.match(asked[0].message, /Command: touch once/);
    assert.match(asked[0].message, /Policy rule: "ask-touch"/);

    answers.push({ action: 'decline' });
    const declined = await client.callTool(touch('declined'));
    assert.equal(declined.isError, true);
    assert.equal(structured(declined).status, 'approval_denied');
    assert.match(declined.content[0].text, /^Blocked by airlock at stage approval: .*the user declined/);
    assert.equal(declined.content[0].text.includes('\n'), false); // one line
    assert.equal(fs.existsSync(path.join(ws.workspace, 'declined')), false);

    answers.push({ action: 'accept', content: { approve: true, remember: 'session' } });
    const first = await client.callTool(touch('session'));
    const second = await client.callTool(touch('session'));
    assert.equal(asked.length, 3); // the second identical call was not asked
    assert.equal(structured(first).approval.decision, 'approved_for_session');
    assert.equal(structured(second).approval.from_session_cache, true);
    assert.equal(second.isError, false);

    await client.close();
    const records = walRecords(ws.workspace);
    const answered = records.filter((r) => r.type === 'approval_answered').map((r) => r.data.decision);
    assert.deepEqual(answered, ['approved', 'denied', 'approved_for_session', 'approved']);
    // The 2026-07-28 clients were asked through input-required results, the 1.x one through
    // elicitation/create requests.
    const inputRequired = records.filter((r) => r.type === 'input_required').length;
    assert.equal(inputRequired, era(flavour) === 'modern' ? 3 : 0);
  });

  test(`${flavour}: cancelling a long call kills it`, async (t) => {
    const ws = makeWorkspace(t);
    const marker = uniqueMarker();
    const { client } = await connectAs(t, flavour, ws);
    const abort = new AbortController();
    const params = { name: 'shell_exec', arguments: { command: longRunning(marker) } };
    // callTool(params, resultSchema, options) in 1.x; callTool(params, options) in v2
    const call = flavour === 'sdk-1.x'
      ? client.callTool(params, undefined, { signal: abort.signal })
      : client.callTool(params, { signal: abort.signal });
    await waitFor(() => fs.existsSync(path.join(ws.workspace, 'started')), 'the command to start');
    assert.ok(processesWith(marker).length > 0, 'positive control: the command is running');
    abort.abort('the user pressed escape');
    await assert.rejects(call);
    await waitFor(() => processesWith(marker).length === 0, 'the process tree to be gone');
    // The tree goes before its record is written: wait for the record, so that the next call's
    // cannot come first.
    const finished = () => walRecords(ws.workspace).filter((r) => r.type === 'call_finished');
    const recorded = () => { try { return finished().length === 1; } catch { return false; } };  // a line half written
    await waitFor(recorded, 'the cancelled call to be recorded');
    // the connection still serves
    const after = await client.callTool({ name: 'shell_exec', arguments: { command: 'echo still here' } });
    assert.equal(after.content[0].text, 'still here\n');
    await client.close();
    assert.deepEqual(finished().map((r) => r.data.status), ['cancelled', 'ok']);
  });

  test(`${flavour}: a policy denial is one line naming the stage and the rule`, async (t) => {
    const ws = makeWorkspace(t);
    const { client } = await connectAs(t, flavour, ws, ['--policy', ws.policy('deny.json', [DENY_CURL])]);
    const denied = await client.callTool({ name: 'shell_exec', arguments: { command: 'curl https://example.com > got' } });
    assert.equal(denied.isError, true);
    assert.equal(structured(denied).status, 'denied');
    assert.equal(denied.content.length, 1);
    assert.match(denied.content[0].text, /^Blocked by airlock at stage policy: rule "no-curl" denies this call \(no downloads\)/);
    assert.equal(denied.content[0].text.includes('\n'), false);
    assert.equal(fs.existsSync(path.join(ws.workspace, 'got')), false);
    // positive control: the same policy lets other commands run
    const allowed = await client.callTool({ name: 'shell_exec', arguments: { command: 'echo fine > got' } });
    assert.equal(allowed.isError, false);
    assert.equal(fs.readFileSync(path.join(ws.workspace, 'got'), 'utf8'), 'fine\n');
  });
}

test('v2-pinned: the loop guard holds for input-required approvals as for elicitation', async (t) => {
  const ws = makeWorkspace(t);
  let asked = 0;
  const { client } = await connectAs(t, 'v2-pinned', ws, ['--policy', ws.policy('ask.json', [ASK_TOUCH])], {
    onElicit: async () => {
      ++asked;
      return { action: 'decline' };
    },
  });
  const touch = { name: 'shell_exec', arguments: { command: 'touch loop' } };
  assert.equal(structured(await client.callTool(touch)).status, 'approval_denied');
  const second = await client.callTool(touch);
  assert.equal(structured(second).status, 'aborted');
  assert.match(second.content[0].text, /no further tool calls/);
  const after = await client.callTool({ name: 'shell_exec', arguments: { command: 'echo hi' } });
  assert.equal(structured(after).status, 'aborted');
  assert.equal(asked, 2);
  assert.equal(fs.existsSync(path.join(ws.workspace, 'loop')), false);
  await client.close();
  const records = walRecords(ws.workspace);
  assert.equal(records.filter((r) => r.type === 'input_required').length, 2);
  assert.equal(records.at(-1).type, 'run_aborted');
});
