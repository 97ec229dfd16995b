// Approvals from the page (`--approve web`): a real airlock process asks, the page in headless
// Chromium answers, and what ran is checked on disk and in the run's WAL. The only request that
// changes anything needs the token and the page's own origin.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { AIRLOCK, airlock, launchBrowser, startUi, tempDir } from './helpers.js';
import { request, send } from './http.js';

let browser;
let ui;
let ws;
let policy;
let shortPolicy;
// Whether a command can run in airlock's sandbox here; the tests that need one to run say "not
// applicable" where none works (a host without user namespaces, say).
let sandboxWorks = false;

before(async () => {
  ws = tempDir();
  const outside = tempDir('airlock-ui-policy-');
  const rules = [
    { id: 'ask-touch', decision: 'ask', tool: 'shell_exec', argv: ['touch'], reason: 'touching needs a yes' },
    { id: 'ask-echo', decision: 'ask', tool: 'shell_exec', argv: ['echo'], reason: 'echoing needs a yes' },
  ];
  policy = path.join(outside, 'policy.json');
  fs.writeFileSync(policy, JSON.stringify({ version: 1, default: 'allow', rules }));
  // For the closed page: the ask times out quickly.
  shortPolicy = path.join(outside, 'short.json');
  fs.writeFileSync(shortPolicy, JSON.stringify({ version: 1, default: 'allow', approvals: { timeout_seconds: 3 }, rules }));
  const probe = airlock(tempDir(), ['exec', '--json', '--approve', 'deny', '--', 'true']);
  sandboxWorks = probe.status === 0;
  if (!sandboxWorks) console.log(`# not applicable on this host: commands cannot run in airlock's sandbox: ${probe.stdout}`);
  ui = await startUi([ws]);
  browser = await launchBrowser();
});
const needsSandbox = (t) => {
  if (sandboxWorks) return false;
  t.skip('not applicable on this host: no sandbox works here');
  return true;
};
after(async () => {
  await browser.close();
  await ui.stop();
});

// `airlock ARGS` in the workspace, without waiting: resolves with {status, json} when it exits.
function ask(args) {
  const child = spawn(AIRLOCK, args, { cwd: ws, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve) => child.on('exit', (status) => {
    let json = null;
    try { json = JSON.parse(out); } catch (e) { /* not JSON */ }
    resolve({ status, json, out, err });
  }));
}
const exec = (file, extra = []) =>
  ask(['exec', '--json', '--approve', 'web', '--policy', policy, ...extra, '--', 'touch', file]);

function walRecords(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
const answered = (file) => walRecords(file).filter((r) => r.type === 'approval_answered').map((r) => r.data);

async function openPage() {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.errors = errors;
  await page.goto(ui.url);
  return page;
}

async function pendingAsks() {
  const r = await request(ui.port, '/api/asks', { Cookie: `airlock_ui=${ui.token}` });
  return JSON.parse(r.body).asks;
}

// Waits until the server holds `n` asks: follows the asks' event stream (no polling, no sleep).
function waitForAsks(n) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: ui.port, path: '/api/asks/stream',
      headers: { Host: `127.0.0.1:${ui.port}`, Cookie: `airlock_ui=${ui.token}` } }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        buf += d;
        for (let i; (i = buf.indexOf('\n\n')) >= 0;) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (!data) continue;
          const asks = JSON.parse(data.slice(6)).asks;
          if (asks.length === n) { req.destroy(); resolve(asks); return; }
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

test('an approval answered on the page lets the command run, recorded with provider web', async (t) => {
  if (needsSandbox(t)) return;
  const page = await openPage();
  const done = exec('approved.txt');
  const card = await page.waitForSelector('article.ask');
  const text = await card.evaluate((el) => el.textContent);
  assert.match(text, /touch approved\.txt/);
  assert.match(text, /ask-touch/);
  assert.match(text, /risk low/);
  assert.equal(fs.existsSync(path.join(ws, 'approved.txt')), false, 'nothing runs before the answer');
  await card.$eval('button[data-decision=approved]', (b) => b.click());
  const r = await done;
  assert.equal(r.status, 0, r.err);
  assert.equal(r.json.status, 'ok');
  assert.equal(fs.existsSync(path.join(ws, 'approved.txt')), true);
  const a = answered(r.json.wal);
  assert.equal(a.length, 1);
  assert.equal(a[0].provider, 'web');
  assert.equal(a[0].decision, 'approved');
  assert.match(a[0].reason, /on the page/);
  // The card leaves the page once answered.
  await page.waitForFunction(() => !document.querySelector('article.ask') && document.getElementById('asks').hidden);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a denial on the page stops the command', async () => {
  const page = await openPage();
  const done = exec('denied.txt');
  await page.waitForSelector('article.ask');
  await page.waitForSelector('#runs tbody tr.run');
  // By keyboard: Tab to the Deny button, Enter. The list behind must not take the Enter.
  await page.focus('article.ask button[data-decision=denied]');
  await page.keyboard.press('Enter');
  const r = await done;
  assert.equal(r.status, 126);
  assert.equal(r.json.status, 'approval_denied');
  assert.equal(fs.existsSync(path.join(ws, 'denied.txt')), false);
  assert.equal(new URL(page.url()).hash, '');
  const a = answered(r.json.wal);
  assert.equal(a[0].provider, 'web');
  assert.equal(a[0].decision, 'denied');
  await page.close();
});

test('an ask whose arguments are hostile is shown as text, and nothing of it runs in the page', async () => {
  const page = await openPage();
  const hostile = '<img src=x onerror="window.__pwned=1">\u001b[2K\u202e</script><script>window.__pwned=2</script>';
  const done = ask(['exec', '--json', '--approve', 'web', '--policy', policy, '--', 'touch', hostile]);
  const card = await page.waitForSelector('article.ask');
  assert.equal(await page.evaluate(() => document.querySelectorAll('#asks img, #asks script').length), 0);
  const text = await card.$eval('code', (el) => el.textContent);
  assert.ok(text.includes('<img src=x onerror='), text);
  assert.ok(text.includes('\\x1b[2K') && text.includes('\\u202e'), text);
  await card.$eval('button[data-decision=denied]', (b) => b.click());
  assert.equal((await done).status, 126);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('approve for session covers the next identical call of the run, and only that', async (t) => {
  if (needsSandbox(t)) return;
  const plan = path.join(tempDir('airlock-ui-plan-'), 'plan.json');
  const step = (id, word) => ({ id, tool: 'shell_exec', args: { argv: ['sh', '-c', `echo ${word} >> log.txt`] } });
  fs.writeFileSync(plan, JSON.stringify({ steps: [step('one', 'same'), step('two', 'same'), step('three', 'other')] }));
  const page = await openPage();
  const done = ask(['run', '--json', '--approve', 'web', '--policy', policy, plan]);
  const card = await page.waitForSelector('article.ask');
  await card.$eval('button[data-decision=approved_for_session]', (b) => b.click());
  // The third step differs by one word: asked again. Denied here, so it does not run.
  await page.waitForFunction(() => [...document.querySelectorAll('article.ask code')].some((c) => c.textContent.includes('other')));
  const asks = await pendingAsks();
  assert.equal(asks.length, 1);
  assert.match(JSON.stringify(asks[0].ask.request.argv), /other/);
  await page.click('article.ask button[data-decision=denied]');
  const r = await done;
  assert.notEqual(r.status, 0);
  assert.equal(fs.readFileSync(path.join(ws, 'log.txt'), 'utf8'), 'same\nsame\n');
  const runDir = fs.readdirSync(path.join(ws, '.airlock', 'runs')).map((d) => path.join(ws, '.airlock', 'runs', d, 'events.jsonl'))
    .find((f) => fs.readFileSync(f, 'utf8').includes('log.txt'));
  const a = answered(runDir);
  assert.deepEqual(a.map((x) => [x.decision, x.from_session_cache === true, x.provider]),
    [['approved_for_session', false, 'web'], ['approved', true, 'web'], ['denied', false, 'web']]);
  fs.rmSync(path.join(ws, 'log.txt'));
  await page.close();
});

test('an answer without the token, or from another origin, is refused; the page\'s own is taken', async (t) => {
  if (needsSandbox(t)) return;
  const done = exec('forged.txt');
  const [pending] = await waitForAsks(1);
  const body = JSON.stringify({ id: pending.id, decision: 'approved' });
  const json = { 'Content-Type': 'application/json' };
  const own = { Origin: ui.origin, ...json };
  const cookie = { Cookie: `airlock_ui=${ui.token}` };
  // No token.
  assert.equal((await send(ui.port, '/api/asks/answer', own, 'POST', body)).status, 403);
  // The token, but not this page's origin (another server on 127.0.0.1 is the same site).
  for (const origin of ['http://127.0.0.1:1', 'http://evil.example', 'null']) {
    const r = await send(ui.port, '/api/asks/answer', { ...cookie, ...json, Origin: origin }, 'POST', body);
    assert.equal(r.status, 403, origin);
  }
  // The token, no Origin at all (not a browser's fetch), or a form's content type.
  assert.equal((await send(ui.port, '/api/asks/answer', { ...cookie, ...json }, 'POST', body)).status, 403);
  assert.equal((await send(ui.port, '/api/asks/answer', { ...cookie, Origin: ui.origin, 'Content-Type': 'application/x-www-form-urlencoded' }, 'POST', body)).status, 403);

  // A page of another origin on this machine tries in a real browser: a form post, a no-cors
  // fetch, and a CORS fetch with JSON. None of them may answer.
  const evil = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.end(`<!doctype html><body><form id=f method=POST action="${ui.origin}/api/asks/answer" enctype="text/plain">
<input name='{"id":"${pending.id}","decision":"approved","x":"' value='"}'></form><script>
window.tries = Promise.allSettled([
  fetch('${ui.origin}/api/asks/answer', {method: 'POST', mode: 'no-cors', credentials: 'include', body: '${body}'}),
  fetch('${ui.origin}/api/asks/answer', {method: 'POST', credentials: 'include', headers: {'Content-Type': 'application/json'}, body: '${body}'}),
]).then((r) => r.map((x) => x.status));
</script></body>`);
  });
  await new Promise((resolve) => evil.listen(0, '127.0.0.1', resolve));
  const evilPage = await openPage(); // this browser holds the cookie
  await evilPage.goto(`http://127.0.0.1:${evil.address().port}/`);
  // The no-cors one is refused by the server (403, and its resource policy), the CORS one at
  // its preflight; whatever the browser makes of them, the ask below is still waiting.
  await evilPage.evaluate(() => window.tries);
  await Promise.all([evilPage.waitForNavigation(), evilPage.evaluate(() => document.getElementById('f').submit())]);
  evil.close();
  await evilPage.close();
  // Still waiting: nothing answered it.
  assert.equal((await pendingAsks()).length, 1);
  assert.equal(fs.existsSync(path.join(ws, 'forged.txt')), false);

  // Positive control: the same body with the token and the page's origin answers it.
  const ok = await send(ui.port, '/api/asks/answer', { ...cookie, ...own }, 'POST', body);
  assert.equal(ok.status, 200, ok.body);
  const r = await done;
  assert.equal(r.status, 0);
  assert.equal(fs.existsSync(path.join(ws, 'forged.txt')), true);
  // Answered once: a second answer finds nothing.
  assert.equal((await send(ui.port, '/api/asks/answer', { ...cookie, ...own }, 'POST', body)).status, 404);
});

test('a page that is closed leaves the ask to time out as a denial', async () => {
  const page = await openPage();
  const done = ask(['exec', '--json', '--approve', 'web', '--policy', shortPolicy, '--', 'touch', 'closed.txt']);
  await page.waitForSelector('article.ask');
  await page.close();
  const r = await done;
  assert.equal(r.status, 126);
  assert.equal(r.json.status, 'approval_denied');
  assert.equal(fs.existsSync(path.join(ws, 'closed.txt')), false);
  const a = answered(r.json.wal);
  assert.equal(a[0].decision, 'timed_out');
  assert.equal(a[0].provider, 'web');
  assert.match(a[0].reason, /nobody answered on the page within 3 s/);
  // Withdrawn from the server when the asking process gave up.
  assert.deepEqual(await waitForAsks(0), []);
});

test('an agent hook with --approve web: the page\'s answer becomes the agent\'s allow or deny', async () => {
  const event = (command, id) => JSON.stringify({ session_id: 'ui-hook', transcript_path: path.join(ws, 't.jsonl'), cwd: ws,
    permission_mode: 'default', hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command }, tool_use_id: id });
  const hook = (command, id) => {
    const child = spawn(AIRLOCK, ['hook', 'claude-code', '--approve', 'web', '--policy', policy], { cwd: ws, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stdin.end(event(command, id));
    return new Promise((resolve) => child.on('exit', (status) => resolve({ status, out })));
  };
  const page = await openPage();
  for (const [decision, expected] of [['denied', 'deny'], ['approved', 'allow']]) {
    const done = hook('touch hooked.txt', 'toolu_' + decision);
    const card = await page.waitForSelector('article.ask');
    await card.$eval(`button[data-decision=${decision}]`, (b) => b.click());
    const r = await done;
    assert.equal(r.status, 0);
    assert.equal(JSON.parse(r.out).hookSpecificOutput.permissionDecision, expected);
    await page.waitForFunction(() => !document.querySelector('article.ask'));
  }
  await page.close();
});

test('--approve web without a running airlock ui is a configuration error, and nothing runs', () => {
  const lone = tempDir();
  const r = airlock(lone, ['exec', '--json', '--approve', 'web', '--policy', policy, '--', 'touch', 'x.txt']);
  assert.equal(r.status, 125);
  assert.match(JSON.parse(r.stdout).message, /no airlock ui answers approvals/);
  assert.equal(fs.existsSync(path.join(lone, 'x.txt')), false);
  // The positive control is the first test: the same command where an airlock ui listens.
});

test('a second airlock ui on the same workspace leaves its approvals to the first', async () => {
  const second = await startUi([ws]);
  const r = await request(second.port, '/api/asks', { Cookie: `airlock_ui=${second.token}` });
  const w = JSON.parse(r.body).workspaces[0];
  assert.equal(w.approvals, 'elsewhere');
  await second.stop();
  // The first still answers.
  const own = JSON.parse((await request(ui.port, '/api/asks', { Cookie: `airlock_ui=${ui.token}` })).body);
  assert.equal(own.workspaces[0].approvals, 'here');
});

test('a network destination ("unknown": "ask") on the page: host, port and program, never the URL', async (t) => {
  if (needsSandbox(t)) return;
  for (const tool of ['/usr/bin/bwrap', '/usr/bin/curl'])
    if (!fs.existsSync(tool)) return t.skip(`not applicable here: no ${tool}`);
  const hits = [];
  const target = http.createServer((req, res) => {
    hits.push(req.url);
    res.end('hello');
  });
  await new Promise((resolve) => target.listen(0, '127.0.0.1', resolve));
  t.after(() => target.close());
  const port = target.address().port;
  const net = path.join(tempDir('airlock-ui-policy-'), 'net.json');
  fs.writeFileSync(net, JSON.stringify({
    version: 1, default: 'allow', env: { allow: ['PATH', 'HOME', 'LANG'] },
    sandbox: { network: { allow: [`127.0.0.1:${port}`], unknown: 'ask', hosts: { 'ask.test': '127.0.0.1' } } },
  }));
  const page = await openPage();
  const done = ask(['exec', '--json', '--approve', 'web', '--no-builtin-policy', '--policy', net, '--sandbox', 'bwrap',
    '--', 'curl', '-sS', '-m', '30', `http://ask.test:${port}/p?token=SECRET`]);
  const card = await page.waitForSelector('article.ask');
  const text = await card.evaluate((el) => el.textContent);
  assert.match(text, new RegExp(`connect to ask\\.test:${port}`));
  assert.match(text, /program\s*curl/);
  assert.match(text, /network/);
  assert.doesNotMatch(text, /SECRET|\/p\?|risk/);
  assert.deepEqual(hits, [], 'nothing reaches the target before the answer');
  await card.$eval('button[data-decision=approved]', (b) => b.click());
  const r = await done;
  assert.equal(r.status, 0, r.err);
  assert.equal(r.json.stdout, 'hello');
  assert.deepEqual(hits, ['/p?token=SECRET']);
  const a = answered(r.json.wal);
  assert.equal(a.length, 1);
  assert.equal(a[0].provider, 'web');
  assert.deepEqual(a[0].network, { host: 'ask.test', port });
  assert.deepEqual(page.errors, []);
  await page.close();
});
