// The target of the egress benchmark (scripts/bench_egress.sh): HTTPS and plain HTTP on two
// ephemeral ports of 127.0.0.1. GET /bytes/N answers N bytes; GET /bytes/N?together=K holds each
// answer until K such requests wait at once (or 30 s pass), so that K connections are open at
// the same time; GET /together answers how many the last such batch held. GET /bytes/N?held
// holds each answer until GET /release (or 30 s pass), GET /waiting answers how many wait:
// the connections then stay open and idle for as long as the client needs. Prints
// {"https": PORT, "http": PORT} once it listens and serves until its stdin closes.
//
//   node egress_server.mjs CERT.pem KEY.pem
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const chunk = Buffer.alloc(1 << 20, 'x');

let waiting = [];
let timer = null;
let lastBatch = 0;
let held = [];
let heldTimer = null;

function releaseHeld() {
  clearTimeout(heldTimer);
  const now = held;
  held = [];
  now.forEach((answer) => answer());
}

function release() {
  clearTimeout(timer);
  const now = waiting;
  waiting = [];
  lastBatch = now.length;
  now.forEach((answer) => answer());
}

function handler(req, res) {
  if (req.url === '/together') {
    res.end(String(lastBatch));
    return;
  }
  if (req.url === '/waiting') {
    res.end(String(held.length));
    return;
  }
  if (req.url === '/release') {
    res.end(String(held.length));
    releaseHeld();
    return;
  }
  const m = /^\/bytes\/(\d+)(?:\?together=(\d+)|\?(held))?$/.exec(req.url);
  if (!m) {
    res.writeHead(404).end();
    return;
  }
  if (m[3] !== undefined) {
    held.push(() => send(res, Number(m[1])));
    if (held.length === 1) heldTimer = setTimeout(releaseHeld, 30000);
    return;
  }
  if (m[2] !== undefined) {
    waiting.push(() => send(res, Number(m[1])));
    if (waiting.length >= Number(m[2])) release();
    else if (waiting.length === 1) timer = setTimeout(release, 30000);
    return;
  }
  send(res, Number(m[1]));
}

function send(res, bytes) {
  let left = bytes;
  res.writeHead(200, {'Content-Type': 'application/octet-stream', 'Content-Length': left});
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      left -= n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

const [cert, key] = process.argv.slice(2).map((f) => fs.readFileSync(f));
const secure = https.createServer({cert, key}, handler);
const plain = http.createServer(handler);
const listening = (server) =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', 511, () => resolve(server.address().port)));
const ports = {https: await listening(secure), http: await listening(plain)};
process.stdout.write(JSON.stringify(ports) + '\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
