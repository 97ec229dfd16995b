// Figures for docs/PERFORMANCE.md and docs/UI.md, not a test: the runs list of a workspace with
// 1,000 runs, the first screen of a run of 10,000 events, and the server's memory while it
// follows a run of 100,000 events. Run: AIRLOCK_BINARY=build/cli/airlock node bench.mjs
import fs from 'node:fs';
import { request, readEvents } from './http.js';
import { launchBrowser, startUi, tempDir } from './helpers.js';
import { WalWriter } from './wal.js';

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
console.log(`1,001 runs: /api/runs first ${cold} ms wall, ${coldCpu} ms CPU (reads and verifies every log); then ${median(warm)} ms wall (median of 10), ${warmCpu} ms CPU each (${(r.body.length / 1024).toFixed(0)} KiB)`);
c0 = cpu(ui.pid);
t0 = process.hrtime.bigint();
await request(ui.port, `/api/run?ws=0&id=${big.runId}&from=0&limit=300`, cookie);
console.log(`run of ${big.seq} events: first page of 300 records ${ms(t0)} ms wall, ${cpu(ui.pid) - c0} ms CPU (reads and verifies the whole log)`);

const browser = await launchBrowser();
const page = await browser.newPage();
await page.setViewport({ width: 1280, height: 800 });
await page.goto(ui.url); // sets the cookie
await page.waitForSelector('#runs tbody tr.run');
const chrome = browser.process().pid;
const listFirst = [];
const listTimes = [];
const listCpu = [];
for (let i = 0; i < 3; i++) {
  const b0 = treeCpu(chrome);
  const s0 = cpu(ui.pid);
  t0 = process.hrtime.bigint();
  await page.reload();
  await page.waitForSelector('#runs tbody tr.run');
  listFirst.push(ms(t0));
  await page.waitForFunction(() => document.querySelectorAll('#runs tbody tr.run').length === 1001);
  listTimes.push(ms(t0));
  listCpu.push(treeCpu(chrome) - b0 + cpu(ui.pid) - s0);
}
console.log(`runs list page of 1,001 runs, from reload: first rows ${median(listFirst)} ms, every row ${median(listTimes)} ms wall; ${median(listCpu)} ms CPU of Chromium and the server together (medians of 3)`);

const firstScreen = [];
const whole = [];
for (let i = 0; i < 3; i++) {
  await page.goto('about:blank');
  // Not CPU here: leaving about:blank swaps Chromium's renderer process, whose time goes with it.
  t0 = process.hrtime.bigint();
  await page.goto(ui.origin + `/#/run/0/${big.runId}`);
  await page.waitForSelector('article.call[data-call=c1]');
  firstScreen.push(ms(t0));
  await page.waitForFunction((n) => document.querySelectorAll('article.call').length === n && document.getElementById('more').textContent === '',
    { timeout: 120000 }, bigCalls);
  whole.push(ms(t0));
}
console.log(`run of ${big.seq.toLocaleString()} events: opened from a blank page: first call on screen ${median(firstScreen)} ms wall, all ${bigCalls} calls ${median(whole)} ms (medians of 3)`);
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
await ui.stop();
fs.rmSync(ws, { recursive: true, force: true });
