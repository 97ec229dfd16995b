// airlock wal report: one HTML file that opens offline, shows the run, and runs nothing of it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { airlock, launchBrowser, tempDir } from './helpers.js';
import { WalWriter } from './wal.js';

let browser;
let ws;

before(async () => {
  ws = tempDir();
  browser = await launchBrowser();
});
after(async () => { await browser.close(); });

// Opens the file with every request but the file itself refused, and returns those requests.
async function openOffline(file) {
  const page = await browser.newPage();
  const others = [];
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.setRequestInterception(true);
  const own = pathToFileURL(file).href;
  page.on('request', (req) => {
    if (req.url() === own) req.continue();
    else { others.push(req.url()); req.abort(); }
  });
  await page.goto(own);
  return { page, others, errors };
}

test('a real run as one self-contained file: no request leaves it, no script of the run runs', async () => {
  // A run made by airlock itself, whose command holds markup and terminal escapes.
  const ran = airlock(ws, ['exec', '--', 'echo', '<script>window.__pwned=1</script>', '<img src=x onerror="window.__pwned=2">', '\u001b[31mred']);
  assert.equal(ran.status, 0, ran.stderr);
  const out = path.join(ws, 'report.html');
  const made = airlock(ws, ['wal', 'report', 'last', '-o', out]);
  assert.equal(made.status, 0, made.stderr);
  const html = fs.readFileSync(out, 'utf8');
  // No external reference of any kind, and the data cannot close its element.
  const markup = html.replace(/(<script type="application\/json" id="airlock-report">)[^]*?(<\/script>)/, '$1$2');
  assert.ok(markup.length < html.length);
  assert.doesNotMatch(markup, /\b(src|href)\s*=/i);
  assert.doesNotMatch(markup, /https?:\/\//);
  assert.equal(html.split('</script>').length - 1, 2);
  assert.match(html, /<script type="application\/json" id="airlock-report">/);

  const { page, others, errors } = await openOffline(out);
  await page.waitForSelector('article.call[data-call=c1] .command');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
  assert.deepEqual(others, []);
  assert.deepEqual(errors, []);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.$$eval('img', (e) => e.length), 0);
  const card = await page.$eval('article.call[data-call=c1]', (e) => e.textContent);
  assert.ok(card.includes('<script>window.__pwned=1</script>'));
  assert.ok(card.includes('\\x1b[31mred'));
  assert.ok(card.includes('bwrap') || card.includes('seccomp'), card);
  assert.ok((await page.$eval('#chain', (e) => e.textContent)).includes('intact'));
  // Raw records come from the file too.
  await page.click('article.call[data-call=c1] button');
  await page.waitForFunction(() => /"hash": "[0-9a-f]{64}"/.test(document.querySelector('article.call[data-call=c1] pre.raw').textContent));
  assert.deepEqual(others, []);
  await page.close();
});

test('a tampered run: the report shows the verdict and exits 3', async () => {
  const run = new WalWriter(ws).start().call('c1', ['echo', 'one']).call('c2', ['echo', 'two']).finish(2);
  const lines = fs.readFileSync(run.file, 'utf8').split('\n');
  lines[4] = lines[4].replace('"allow"', '"ALLOW"');
  fs.writeFileSync(run.file, lines.join('\n'));
  const out = path.join(ws, 'tampered.html');
  const made = airlock(ws, ['wal', 'report', run.runId, '-o', out]);
  assert.equal(made.status, 3, made.stderr);
  const { page, others } = await openOffline(out);
  await page.waitForSelector('#verdict');
  assert.match(await page.$eval('#verdict', (e) => e.textContent), /^tampered: line 6/);
  assert.deepEqual(others, []);
  await page.close();
});

test('no such run: exit 125 and no file', () => {
  const out = path.join(ws, 'none.html');
  const made = airlock(ws, ['wal', 'report', 'nope', '-o', out]);
  assert.equal(made.status, 125);
  assert.equal(fs.existsSync(out), false);
});
