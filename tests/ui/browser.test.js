// The page in headless Chromium: the runs list, a run, live updates, keyboard, and runs whose
// content is hostile (none of it may run: a marker the payloads would set stays unset).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, startUi, tempDir } from './helpers.js';
import { WalWriter } from './wal.js';

const HOSTILE = [
  '<script>window.__pwned = "script"</script>',
  '<img src=x onerror="window.__pwned = \'img\'">',
  'javascript:window.__pwned="link"',
  '</script><script>window.__pwned="close"</script>',
  '\u001b[31mRED\u001b[0m\u001b]0;title\u0007',
  '\u202eevil',
];

let browser;
let ui;
let ws;
const runs = {};

before(async () => {
  ws = tempDir();
  runs.ok = new WalWriter(ws).start().call('c1', ['echo', 'hello world']).call('c2', ['ls', '-la']).finish(2);
  runs.denied = new WalWriter(ws).start().call('c1', ['rm', '-rf', '/tmp/x'], { decision: 'ask', asked: true, status: 'approval_denied', exit: 126 }).finish(1);
  runs.failed = new WalWriter(ws).start().call('c1', ['false'], { status: 'failed', exit: 1 }).finish(1);
  runs.hostile = new WalWriter(ws).start().call('c1', ['sh', '-c', ...HOSTILE]);
  runs.hostile.append('file_written', 'c1', { path: HOSTILE[1], bytes: 3, created: true });
  runs.hostile.append('mystery_event', 'c1', { [HOSTILE[0]]: HOSTILE[1] }).finish(1);
  runs.tampered = new WalWriter(ws).start().call('c1', ['echo', 'one']).call('c2', ['echo', 'two']).finish(2);
  const fs = await import('node:fs');
  const lines = fs.readFileSync(runs.tampered.file, 'utf8').split('\n');
  lines[4] = lines[4].replace('"allow"', '"ALLOW"');
  fs.writeFileSync(runs.tampered.file, lines.join('\n'));
  ui = await startUi([ws]);
  browser = await launchBrowser();
});
after(async () => {
  await browser.close();
  await ui.stop();
});

async function openPage(hash = '') {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.errors = errors;
  await page.goto(ui.url + hash);
  return page;
}

test('the token URL opens the runs list, and the token leaves the address bar', async () => {
  const page = await openPage();
  await page.waitForSelector('#runs tbody tr.run');
  assert.equal(new URL(page.url()).search, '');
  // HttpOnly: the page's own script cannot read it.
  assert.equal(await page.evaluate(() => document.cookie), '');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a browser without the token gets nothing', async () => {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  const res = await page.goto(ui.origin + '/');
  assert.equal(res.status(), 403);
  // Chromium shows its own error page for the empty body: nothing of airlock's is there.
  assert.equal(await page.evaluate(() => document.getElementById('app')), null);
  assert.equal(await page.evaluate(() => typeof window.__airlock), 'undefined');
  // Positive control: the same fresh context with the token gets the page.
  const ok = await page.goto(ui.url);
  assert.equal(ok.status(), 200);
  await context.close();
});

test('runs list: newest first, filters, search, keyboard', async () => {
  const page = await openPage();
  await page.waitForSelector('#runs tbody tr.run');
  const ids = await page.$$eval('#runs tbody tr.run td:nth-child(2) a', (as) => as.map((a) => a.textContent));
  assert.equal(ids.length, 5);
  assert.deepEqual(ids, [runs.tampered, runs.hostile, runs.failed, runs.denied, runs.ok].map((r) => r.runId));
  const outcomes = await page.$$eval('#runs tbody tr.run td:nth-child(5)', (tds) => tds.map((t) => t.textContent));
  assert.ok(outcomes[3].includes('denied'));
  assert.ok(outcomes[3].includes('asked'));
  const chains = await page.$$eval('#runs tbody tr.run td:nth-child(6)', (tds) => tds.map((t) => t.textContent));
  assert.ok(chains[0].startsWith('tampered'));
  assert.ok(chains[0].includes('line 6'));

  const visible = () => page.$$eval('#runs tbody tr.run td:nth-child(2) a', (as) => as.map((a) => a.textContent));
  await page.click('button[data-filter=denied]');
  assert.deepEqual(await visible(), [runs.denied.runId]);
  await page.click('button[data-filter=denied]');
  await page.click('button[data-filter=tampered]');
  assert.deepEqual(await visible(), [runs.tampered.runId]);
  await page.click('button[data-filter=tampered]');
  await page.click('button[data-filter=failed]');
  assert.deepEqual(await visible(), [runs.failed.runId]);
  await page.click('button[data-filter=failed]');

  await page.keyboard.press('/');
  await page.keyboard.type('hello world');
  assert.deepEqual(await visible(), [runs.ok.runId]);
  await page.keyboard.press('Enter'); // leaves the search box
  await page.keyboard.press('Enter'); // opens the selected run
  await page.waitForSelector('article.call[data-call=c1]');
  assert.ok(page.url().includes(runs.ok.runId));
  await page.keyboard.press('Escape');
  await page.waitForSelector('#runs tbody tr.run');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a run: each call with command, guard, policy, approval, sandbox, exit; raw records a click away', async () => {
  const page = await openPage(`#/run/0/${runs.denied.runId}`);
  await page.waitForSelector('article.call[data-call=c1]');
  const text = await page.$eval('article.call[data-call=c1]', (e) => e.innerText);
  for (const expected of ['rm -rf /tmp/x', 'risk high', 'rm: deletes files', 'ask-high-risk', 'asked deny',
    'static deny provider', 'approval denied', 'exit 126', 'k-c1'])
    assert.ok(text.includes(expected), expected);
  const ok = await openPage(`#/run/0/${runs.ok.runId}`);
  await ok.waitForSelector('article.call[data-call=c2]');
  const c1 = await ok.$eval('article.call[data-call=c1]', (e) => e.innerText);
  for (const expected of ['echo', 'hello world', 'allow-read-only-tools', 'bwrap', 'writable', '/ws', 'network', 'exit 0', 'stdout', '12 B'])
    assert.ok(c1.includes(expected), expected);
  assert.equal(await ok.$eval('#chain', (e) => e.textContent.includes('intact')), true);
  await ok.click('article.call[data-call=c1] button');
  await ok.waitForFunction(() => /"hash": "[0-9a-f]{64}"/.test(document.querySelector('article.call[data-call=c1] pre.raw').textContent));
  const raw = await ok.$eval('article.call[data-call=c1] pre.raw', (e) => e.textContent);
  assert.ok(raw.includes('"type": "call_received"'));
  assert.deepEqual(ok.errors, []);
  await ok.close();
  await page.close();
});

test('a tampered run shows the verdict and its first bad line', async () => {
  const page = await openPage(`#/run/0/${runs.tampered.runId}`);
  await page.waitForSelector('#verdict');
  const verdict = await page.$eval('#verdict', (e) => e.textContent);
  assert.match(verdict, /^tampered: line 6 \(seq 6\)/);
  await page.close();
});

test('hostile content stays text: no script runs, no element is made from it', async () => {
  const page = await openPage(`#/run/0/${runs.hostile.runId}`);
  await page.waitForSelector('article.call[data-call=c1] .command');
  await page.click('article.call[data-call=c1] button');
  await page.waitForFunction(() => document.querySelector('article.call[data-call=c1] pre.raw').textContent.includes('onerror'), { timeout: 5000 })
    .catch(async (e) => { console.log('# raw: ' + await page.$eval('article.call[data-call=c1]', (x) => x.outerHTML.slice(-1500))); throw e; });
  // Give any injected handler every chance: an image error fires after the next task.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.$$eval('img, iframe, object, embed', (e) => e.length), 0);
  assert.equal(await page.$$eval('#app script, #app a[href^="javascript"]', (e) => e.length), 0);
  const card = await page.$eval('article.call[data-call=c1]', (e) => e.textContent);
  assert.ok(card.includes('<script>window.__pwned = "script"</script>'));
  assert.ok(card.includes('<img src=x onerror='));
  assert.ok(card.includes('javascript:window.__pwned="link"'));
  // Terminal escapes and bidi overrides are shown, not obeyed.
  assert.ok(card.includes('\\x1b[31mRED\\x1b[0m\\x1b]0;title\\x07'));
  assert.ok(card.includes('\\u202eevil'));
  assert.ok(!card.includes('\u001b'));
  assert.deepEqual(page.errors, []);
  // The page's CSP stops inline handlers even if markup were ever made from data: the same
  // payload parsed as markup on the page sets nothing either.
  await page.evaluate((html) => { const d = document.createElement('div'); d.innerHTML = html; document.body.append(d); }, HOSTILE[1]);
  await page.waitForFunction(() => document.querySelector('body > div > img') !== null);
  await page.evaluate(() => new Promise((r) => setTimeout(r, 50)));
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await page.close();
  // Positive control: on a page without that CSP, the payload parsed as markup does set the marker.
  const control = await browser.newPage();
  await control.setContent('<main></main>');
  await control.evaluate((html) => { document.querySelector('main').innerHTML = html; }, HOSTILE[1]);
  await control.waitForFunction(() => window.__pwned === 'img');
  await control.close();
});

test('the runs list lists hostile commands as text too', async () => {
  const page = await openPage();
  await page.waitForSelector('#runs tbody tr.run');
  await page.evaluate(() => new Promise((r) => setTimeout(r, 0)));
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  const text = await page.$eval('#runs', (e) => e.textContent);
  assert.ok(text.includes('<script>window.__pwned'));
  await page.close();
});

test('a 10 MB line is shown clipped and the page stays responsive', async () => {
  const big = 'A'.repeat(10 * 1024 * 1024);
  const run = new WalWriter(ws).start().call('c1', ['echo', big]).finish(1);
  const page = await openPage(`#/run/0/${run.runId}`);
  await page.waitForSelector('article.call[data-call=c1] .command');
  const shown = await page.$eval('article.call[data-call=c1] .command', (e) => e.textContent.length);
  assert.ok(shown < 5000, `shown ${shown} characters`);
  assert.ok(await page.$eval('article.call[data-call=c1] .command button', (b) => /show all 10,485,765 characters/.test(b.textContent)));
  await page.close();
});

test('live: records appended while the page watches appear without reload', async () => {
  const run = new WalWriter(ws).start().call('c1', ['echo', 'first']);
  const page = await openPage(`#/run/0/${run.runId}`);
  await page.waitForSelector('article.call[data-call=c1]');
  await page.waitForSelector('#chain .live');
  const started = Date.now();
  run.call('c2', ['echo', 'second']);
  await page.waitForSelector('article.call[data-call=c2]');
  const latency = Date.now() - started;
  console.log(`# live update: WAL append to card on the page in ${latency} ms`);
  assert.ok((await page.$eval('article.call[data-call=c2]', (e) => e.innerText)).includes('second'));
  run.finish(2);
  await page.waitForFunction(() => !document.querySelector('#chain .live') && document.querySelector('#chain').textContent.includes('intact'));
  // The outcome is the finished run's, no longer "running".
  await page.waitForFunction(() => /outcome\s*ok/.test(document.getElementById('runhead').textContent));
  assert.deepEqual(page.errors, []);
  await page.close();
});
