// Writes WAL files the way airlock does (hash-chained JSON lines), for runs whose content and
// timing a test must control: hostile strings, a 10 MB line, records appended while a page
// watches. wal/'s strict reader verifies them like any other log.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

let clock = Date.parse('2026-11-21T10:00:00Z') * 1000;

function ts() {
  clock += 1234;
  const ms = Math.floor(clock / 1000);
  const iso = new Date(ms).toISOString().replace(/\.\d{3}Z$/, '');
  return `${iso}.${String(clock % 1000000).padStart(6, '0')}Z`;
}

let counter = 0;
export function runId() {
  counter += 1;
  const t = new Date(Math.floor(clock / 1000) + counter * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return `${t}-${crypto.randomBytes(3).toString('hex')}`;
}

export class WalWriter {
  constructor(workspace, id = runId()) {
    this.runId = id;
    this.dir = path.join(workspace, '.airlock', 'runs', id);
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.file = path.join(this.dir, 'events.jsonl');
    this.seq = 0;
    this.prev = '0'.repeat(64);
    this.pending = '';
  }

  // Appends one record; with `buffer`, only collects it for flush() (fast bulk writing).
  append(type, callId, data, buffer = false) {
    this.seq += 1;
    const line = JSON.stringify({ v: 1, seq: this.seq, ts: ts(), run_id: this.runId, type, call_id: callId, data, prev: this.prev });
    this.prev = crypto.createHash('sha256').update(line).digest('hex');
    this.pending += line + '\n';
    if (!buffer) this.flush();
    return this;
  }

  flush() {
    if (this.pending) fs.appendFileSync(this.file, this.pending);
    this.pending = '';
  }

  start() {
    return this.append('run_started', '', { airlock_version: '0.1.0', host: 'testhost', user: 'tester', pid: 42, workspace: '/ws', policy_digest: 'a'.repeat(64) })
      .append('policy_loaded', '', { digest: 'a'.repeat(64), layers: ['builtin'] });
  }

  // One shell_exec call of `argv` with every stage a session records.
  call(id, argv, { decision = 'allow', status = 'ok', exit = 0, asked = false, buffer = false } = {}) {
    this.append('call_received', id, { tool: 'shell_exec', argv, cwd: '', timeout_ms: 120000 }, buffer);
    this.append('risk_scored', id, { level: asked ? 'high' : 'low', score: asked ? 50 : 0, reasons: asked ? [{ id: 'rm', message: 'deletes files' }] : [], segments: 1 }, buffer);
    this.append('policy_decided', id, { decision, rule: decision === 'allow' ? 'allow-read-only-tools' : 'ask-high-risk', reason: 'test', matched: null }, buffer);
    if (asked) {
      this.append('approval_requested', id, { key: 'k-' + id, provider: 'deny', rule: 'ask-high-risk' }, buffer);
      this.append('approval_answered', id, { key: 'k-' + id, provider: 'deny', decision: 'deny', reason: 'static deny provider', seconds: 0, from_session_cache: false, loop_guard: false }, buffer);
    }
    if (status === 'ok' || status === 'failed') {
      this.append('sandbox_prepared', id, { active: true, adapter: 'bwrap', effective: { filesystem: { writable: ['/ws'], hidden: [] }, network: 'off' } }, buffer);
      this.append('exec_started', id, { adapter: 'bwrap', timeout_ms: 120000 }, buffer);
      this.append('exec_finished', id, { exit_code: exit, signal: 0, timed_out: false, duration_ms: 7,
        stdout: { bytes: 12, sha256: 'b'.repeat(64), truncated: false }, stderr: { bytes: 0, sha256: 'c'.repeat(64), truncated: false } }, buffer);
    }
    this.append('call_finished', id, { status, exit_code: exit }, buffer);
    return this;
  }

  finish(calls = 1) {
    return this.append('run_finished', '', { calls, blocked_or_failed: 0 });
  }
}
