// Shared by the browser tests: the system's Chromium (never a downloaded one), `airlock ui`
// started on a workspace, and WAL runs made by the real airlock binary.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

export const AIRLOCK = process.env.AIRLOCK_BINARY;
export const CHROMIUM = process.env.AIRLOCK_CHROMIUM || '/usr/bin/chromium';

export function tempDir(prefix = 'airlock-ui-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// Runs `airlock ARGS` in `workspace`; returns {status, stdout, stderr}.
export function airlock(workspace, args, input = '') {
  const r = spawnSync(AIRLOCK, args, { cwd: workspace, input, encoding: 'utf8', timeout: 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export async function launchBrowser() {
  const profile = tempDir('airlock-ui-chromium-');
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-dev-shm-usage',
      `--user-data-dir=${profile}`],
  });
  const close = browser.close.bind(browser);
  browser.close = async () => {
    await close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return browser;
}

// Starts `airlock ui` and resolves with {url, origin, port, token, stop} once it printed its URL.
export function startUi(workspaces, extra = []) {
  const args = ['ui', ...workspaces.flatMap((w) => ['--workspace', w]), ...extra];
  const child = spawn(AIRLOCK, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => reject(new Error(`airlock ui exited ${code}: ${err}`)));
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n')[0];
      if (!out.includes('\n')) return;
      const url = new URL(line);
      resolve({
        url: line,
        pid: child.pid,
        origin: url.origin,
        port: Number(url.port),
        token: url.searchParams.get('token'),
        stop: () => new Promise((done) => {
          child.removeAllListeners('exit');
          child.on('exit', () => done());
          child.kill('SIGTERM');
        }),
      });
    });
  });
}

// The browser tests need Chromium and its own Node; without them they are not applicable.
export function browserAvailable() {
  if (!fs.existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM}`;
  return null;
}
