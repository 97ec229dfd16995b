// Figures for docs/PERFORMANCE.md and docs/UI.md, not a test: the runs list of a workspace with
// 1,000 runs, the first screen of a run of 10,000 events, and the server's memory while it
// follows a run of 100,000 events. Run: AIRLOCK_BINARY=build/cli/airlock node bench.mjs
// [--quick] [--json]; scripts/bench.sh runs it (--json: one JSON object as the last line).
// Page times are taken inside the page (performance.now(), from the navigation or the click),
// so they hold Chromium's work and the server's, not the test driver's.
import fs from 'node:fs';
import { request, readEvents } from './http.js';
import { launchBrowser, startUi, tempDir } from './helpers.js';
import { WalWriter } from './wal.js';

const QUICK = process.argv.includes('--quick');
const JSON_OUT = process.argv.includes('--json');
const REPS = QUICK ? 3 : 7;
const figures = {};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0) => Math.round(Number(process.hrtime.bigint() - t0) / 1e5) / 10;
// CPU time (user + system) a process has used, in ms: on a shared, loaded machine the wall
// clock says more about the neighbours than about airlock.
const cpu = (pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
// The CPU time of a process and all its descendants (Chromium's renderer, GPU, network ones).
const treeCpu = (root) => {
  const parent = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try { parent.set(Number(d), Number(fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[1])); } catch (e) { /* gone */ }
  }
  let total = 0;
  for (const pid of parent.keys()) {
    let p = pid;
    while (p > 1 && p !== root) p = parent.get(p) || 0;
    if (p === root) { try { total += cpu(pid); } catch (e) { /* gone */ } }
  }
  return total;
};
const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

const ws = tempDir('airlock-ui-bench-');
for (let i = 0; i < 1000; i++) {
  const w = new WalWriter(ws).start();
  for (let c = 1; c <= 3; c++) w.call('c' + c, ['echo', 'run', String(i), 'call', String(c)], { buffer: true });
  w.append('run_finished', '', { calls: 3, blocked_or_failed: 0 }, true);
  w.flush();
}
const big = new WalWriter(ws).start();
let bigCalls = 0;
while (big.seq < 10000) { bigCalls += 1; big.call('c' + bigCalls, ['echo', String(bigCalls)], { buffer: true }); }
big.append('run_finished', '', { calls: 0, blocked_or_failed: 0 }, true);
big.flush();

const ui = await startUi([ws]);
const cookie = { Cookie: `airlock_ui=${ui.token}` };
console.log(`load average: ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${(await import('node:os')).cpus().length} CPUs`);
let c0 = cpu(ui.pid);
let t0 = process.hrtime.bigint();
let r = await request(ui.port, '/api/runs', cookie);
const cold = ms(t0);
const coldCpu = cpu(ui.pid) - c0;
const warm = [];
c0 = cpu(ui.pid);
for (let i = 0; i < 10; i++) {
  t0 = process.hrtime.bigint();
  r = await request(ui.port, '/api/runs', cookie);
  warm.push(ms(t0));
}
const warmCpu = (cpu(ui.pid) - c0) / 10;
figures.api_runs_first_ms = cold;
figures.api_runs_warm_ms = median(warm);
figures.api_runs_warm_cpu_ms = warmCpu;
console.log(`1,001 runs: /api/runs first ${cold} ms wall, ${coldCpu} ms CPU (reads and verifies every log); then ${median(warm)} ms wall (median of 10), ${warmCpu} ms CPU each (${(r.body.length / 1024).toFixed(0)} KiB)`);
c0 = cpu(ui.pid);
t0 = process.hrtime.bigint();
await request(ui.port, `/api/run?ws=0&id=${big.runId}&from=0&limit=300`, cookie);
figures.api_run_first_page_ms = ms(t0);
figures.api_run_first_page_cpu_ms = cpu(ui.pid) - c0;
console.log(`run of ${big.seq} events: first page of 300 records ${figures.api_run_first_page_ms} ms wall, ${figures.api_run_first_page_cpu_ms} ms CPU (reads and verifies the whole log)`);

const browser = await launchBrowser();
const page = await browser.newPage();
await page.setViewport({ width: 1280, height: 800 });
// Marks taken in the page: the first runs-list row, the first call card, and long tasks (a
// frozen page is one whose main thread is busy for long stretches).
await page.evaluateOnNewDocument(() => {
  window.__marks = {};
  window.__longest = 0;
  window.__mark = (name) => { window.__marks[name] = performance.now(); };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longest = Math.max(window.__longest, e.duration);
  }).observe({ type: 'longtask', buffered: true });
  const seen = new MutationObserver(() => {
    if (!window.__marks.row && document.querySelector('#runs tbody tr.run')) {
      window.__mark('row');
      requestAnimationFrame(() => window.__mark('rowPaint'));
    }
    if (!window.__marks.card && document.querySelector('article.call')) {
      window.__mark('card');
      requestAnimationFrame(() => window.__mark('cardPaint'));
    }
  });
  document.addEventListener('DOMContentLoaded', () => seen.observe(document.body, { childList: true, subtree: true }));
});
await page.goto(ui.url); // sets the cookie
await page.waitForSelector('#runs tbody tr.run');
const chrome = browser.process().pid;
const listPaint = [];
const listAll = [];
const listCpu = [];
const listLongest = [];
const listParts = [];
for (let i = 0; i < REPS; i++) {
  const b0 = treeCpu(chrome);
  const s0 = cpu(ui.pid);
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll('#runs tbody tr.run').length === 1001 && window.__marks.rowPaint);
  const m = await page.evaluate(() => {
    const api = performance.getEntriesByName(location.origin + '/api/runs?limit=100')[0];
    const script = performance.getEntriesByName(location.origin + '/app.js')[0];
    return { paint: window.__marks.rowPaint, all: performance.now(), longest: window.__longest,
      api: api ? api.responseEnd : NaN, apiStart: api ? api.startTime : NaN, script: script ? script.responseEnd : NaN };
  });
  listParts.push(`app.js ${Math.round(m.script)}, /api/runs?limit=100 asked ${Math.round(m.apiStart)} answered ${Math.round(m.api)}, painted ${Math.round(m.paint)}`);
  listPaint.push(Math.round(m.paint));
  listLongest.push(Math.round(m.longest));
  listAll.push(Math.round(m.all));
  listCpu.push(treeCpu(chrome) - b0 + cpu(ui.pid) - s0);
}
figures.list_first_screen_ms = median(listPaint);
figures.list_all_rows_ms = median(listAll);
figures.list_cpu_ms = median(listCpu);
figures.list_longest_task_ms = median(listLongest);
console.log(`runs list, where the time goes (ms from the navigation): ${listParts.join('; ')}`);
console.log(`runs list page of 1,001 runs, reloaded: first screen painted ${median(listPaint)} ms after the navigation began (${Math.min(...listPaint)}–${Math.max(...listPaint)}), all rows in the DOM ${median(listAll)} ms, longest main-thread task ${median(listLongest)} ms; ${median(listCpu)} ms CPU of Chromium and the server together (medians of ${REPS})`);

// The big run, opened as a person does: a click in the list (a hash change, no reload).
const firstScreen = [];
const whole = [];
const longest = [];
for (let i = 0; i < REPS; i++) {
  await page.goto(ui.origin + '/#/');
  await page.waitForSelector('#runs tbody tr.run');
  await page.evaluate(() => { window.__marks = {}; window.__longest = 0; });
  await page.evaluate((id) => { window.__mark('click'); location.hash = `#/run/0/${id}`; }, big.runId);
  await page.waitForFunction((n) => document.querySelectorAll('article.call').length === n && document.getElementById('more').textContent === '' && window.__marks.cardPaint,
    { timeout: 120000 }, bigCalls);
  const m = await page.evaluate(() => ({ click: window.__marks.click, paint: window.__marks.cardPaint, now: performance.now(), longest: window.__longest }));
  firstScreen.push(Math.round(m.paint - m.click));
  whole.push(Math.round(m.now - m.click));
  longest.push(Math.round(m.longest));
}
figures.run_first_screen_ms = median(firstScreen);
figures.run_all_ms = median(whole);
figures.run_longest_task_ms = median(longest);
console.log(`run of ${big.seq.toLocaleString()} events, opened from the list: first screen painted ${median(firstScreen)} ms after the click (${Math.min(...firstScreen)}–${Math.max(...firstScreen)}), all ${bigCalls} calls ${median(whole)} ms; longest main-thread task while it loads ${median(longest)} ms (medians of ${REPS})`);
await browser.close();

// Memory while following a live run of 100,000 events.
const live = new WalWriter(ws).start();
const serverPid = ui.pid;
const following = readEvents(ui.port, `/api/events?ws=0&id=${live.runId}`, cookie, 100001);
const samples = [];
for (let c = 1; live.seq < 100000; c++) {
  live.call('c' + c, ['echo', String(c)], { buffer: true });
  if (c % 1000 === 0) {
    live.flush();
    samples.push(rss(serverPid));
    await new Promise((res) => setTimeout(res, 20));
  }
}
live.append('run_finished', '', { calls: 0, blocked_or_failed: 0 }, true);
live.flush();
const events = await following;
console.log(`following ${live.seq.toLocaleString()} appended events over SSE (${events.length} received): server RSS ${samples[0]} KiB after the first 1,000 calls, ${samples[Math.floor(samples.length / 2)]} KiB midway, ${rss(serverPid)} KiB at the end`);
figures.live_events = live.seq;
figures.live_rss_kib = { first: samples[0], middle: samples[Math.floor(samples.length / 2)], end: rss(serverPid) };
figures.load_average = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
await ui.stop();
fs.rmSync(ws, { recursive: true, force: true });
if (JSON_OUT) console.log(JSON.stringify(figures));
