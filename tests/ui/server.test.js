// airlock ui over plain HTTP: the token, the Host check, the headers, the API and SSE resume.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request, readEvents } from './http.js';
import { startUi, tempDir } from './helpers.js';
import { WalWriter } from './wal.js';

let ui;
let ws;
let run;
let cookie;

before(async () => {
  ws = tempDir();
  run = new WalWriter(ws).start().call('c1', ['echo', 'hello']).call('c2', ['ls']).finish(2);
  ui = await startUi([ws]);
  cookie = `airlock_ui=${ui.token}`;
});
after(async () => { await ui.stop(); });

test('the URL carries a token of at least 128 random bits', () => {
  assert.match(ui.token, /^[0-9a-f]{64}$/);
  assert.equal(new URL(ui.url).hostname, '127.0.0.1');
});

test('without the token: 403 and nothing else', async () => {
  for (const target of ['/', '/app.js', '/api/runs', `/api/run?ws=0&id=${run.runId}`, '/api/events?ws=0&id=x']) {
    const r = await request(ui.port, target);
    assert.equal(r.status, 403, target);
    assert.equal(r.body, '', target);
  }
  const wrong = await request(ui.port, '/?token=' + '0'.repeat(64));
  assert.equal(wrong.status, 403);
  assert.equal(wrong.headers['set-cookie'], undefined);
});

test('the token sets an HttpOnly SameSite=Strict cookie and is stripped by a redirect', async () => {
  const r = await request(ui.port, `/?token=${ui.token}`);
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/');
  const [set] = r.headers['set-cookie'];
  assert.match(set, new RegExp(`^airlock_ui=${ui.token};`));
  assert.match(set, /HttpOnly/);
  assert.match(set, /SameSite=Strict/);
  // Positive control: the cookie opens the page.
  const page = await request(ui.port, '/', { Cookie: cookie });
  assert.equal(page.status, 200);
  assert.match(page.body, /app\.js/);
});

test('another Host is refused, with the cookie (DNS rebinding)', async () => {
  for (const host of [`evil.example:${ui.port}`, `127.0.0.1:${ui.port + 1}`, '127.0.0.1']) {
    const r = await request(ui.port, '/api/runs', { Cookie: cookie, Host: host });
    assert.equal(r.status, 403, host);
  }
  const local = await request(ui.port, '/api/runs', { Cookie: cookie, Host: `localhost:${ui.port}` });
  assert.equal(local.status, 200);
});

test('a cross-origin request is refused; nothing allows CORS', async () => {
  const r = await request(ui.port, '/api/runs', { Cookie: cookie, Origin: 'http://evil.example' });
  assert.equal(r.status, 403);
  const ok = await request(ui.port, '/api/runs', { Cookie: cookie, Origin: ui.origin });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['access-control-allow-origin'], undefined);
  const post = await request(ui.port, '/api/runs', { Cookie: cookie }, 'POST');
  assert.equal(post.status, 405);
});

test('every response carries the strict CSP, nosniff and no-referrer', async () => {
  for (const target of ['/', '/app.js', '/app.css', '/api/runs']) {
    const r = await request(ui.port, target, { Cookie: cookie });
    assert.equal(r.status, 200, target);
    const csp = r.headers['content-security-policy'];
    for (const part of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
      "connect-src 'self'", "frame-ancestors 'none'"])
      assert.ok(csp.includes(part), `${target}: ${part}`);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['referrer-policy'], 'no-referrer');
  }
});

test('the API: runs, a page of records, a call\'s raw records', async () => {
  const runs = JSON.parse((await request(ui.port, '/api/runs', { Cookie: cookie })).body);
  assert.equal(runs.runs.length, 1);
  assert.equal(runs.runs[0].run_id, run.runId);
  assert.equal(runs.runs[0].calls, 2);
  assert.equal(runs.runs[0].chain, 'intact');
  assert.equal(runs.total, 1);
  // The page's first screen asks for the newest few only.
  const none = JSON.parse((await request(ui.port, '/api/runs?limit=0', { Cookie: cookie })).body);
  assert.deepEqual([none.runs.length, none.total], [0, 1]);
  assert.equal((await request(ui.port, '/api/runs?limit=x', { Cookie: cookie })).status, 400);
  const page = JSON.parse((await request(ui.port, `/api/run?ws=0&id=${run.runId}&from=2&limit=3`, { Cookie: cookie })).body);
  assert.deepEqual(page.records.map((r) => r.seq), [3, 4, 5]);
  assert.equal(page.next, 5);
  const call = JSON.parse((await request(ui.port, `/api/call?ws=0&id=${run.runId}&call=c2`, { Cookie: cookie })).body);
  assert.ok(call.records.every((r) => r.call_id === 'c2' && /^[0-9a-f]{64}$/.test(r.hash)));
  const missing = await request(ui.port, '/api/run?ws=0&id=..%2F..%2Fetc', { Cookie: cookie });
  assert.equal(missing.status, 404);
});

test('SSE resumes after Last-Event-ID', async () => {
  const all = await readEvents(ui.port, `/api/events?ws=0&id=${run.runId}`, { Cookie: cookie }, 100);
  const records = all.filter((e) => e.event === 'record');
  assert.equal(records.length, run.seq);
  assert.equal(all.at(-1).event, 'end');
  assert.equal(JSON.parse(all.at(-1).data).verdict, 'intact');
  const resumed = await readEvents(ui.port, `/api/events?ws=0&id=${run.runId}`, { Cookie: cookie, 'Last-Event-ID': '10' }, 100);
  const ids = resumed.filter((e) => e.event === 'record').map((e) => Number(e.id));
  assert.equal(ids[0], 11);
  assert.equal(ids.at(-1), run.seq);
});
