#!/usr/bin/env node
// Load generator for the bench, run in its own process so it never shares an event loop (or a
// CPU slice it could hide) with the tool under test or the orchestrator.
//
//   node bench/load-worker.js '<json options>'
//
// Modes:
//   load   autocannon, `connections` connections (keep-alive or `Connection: close`) for
//          `durationSec`; every response is reported as a sample.
//   probe  one request at a time on a fresh connection, started every `intervalMs`, for
//          `durationSec` (a light "is the new code live yet" loop, without load).
// Either mode ends early when the parent writes "stop" on stdin (durationSec is the cap).
//
// Output on stdout, one JSON object per line:
//   {"type":"samples","s":[[receivedAtMs, version, latencyMs, status], ...]}   (batched)
//   {"type":"error","code":"ECONNREFUSED","t":receivedAtMs}                      (probe mode)
//   {"type":"done","result":{requests, errors, timeouts, non2xx, errorCodes, durationMs}}
// version is the number in the body ("v7 <pid>"), -1 when the body has none (an error page).
'use strict';
const http = require('node:http');
const path = require('node:path');

const opts = JSON.parse(process.argv[2] || '{}');
const FLUSH_MS = 100;
let batch = [];

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}
function flush() {
  if (batch.length) out({ type: 'samples', s: batch });
  batch = [];
}
function versionOf(body) {
  const m = /^v(\d+)\b/.exec(String(body));
  return m ? Number(m[1]) : -1;
}
const flusher = setInterval(flush, FLUSH_MS);
let stopRequested = false;
const onStop = [];
require('node:readline')
  .createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (line.trim() !== 'stop' || stopRequested) return;
    stopRequested = true;
    for (const fn of onStop) fn();
  });

function finish(result) {
  clearInterval(flusher);
  flush();
  out({ type: 'done', result });
  // Exit once stdout has drained; the parent also has a hard deadline on this process.
  process.stdout.write('', () => process.exit(0));
}

function runLoad() {
  // autocannon is a devDependency of the repo; resolve it from there whatever the cwd.
  const autocannon = require(require.resolve('autocannon', { paths: [path.resolve(__dirname, '..')] }));
  const errorCodes = {};
  let lastVersion = -1;
  const instance = autocannon({
    url: opts.url,
    connections: opts.connections ?? 50,
    duration: opts.durationSec,
    timeout: opts.timeoutSec ?? 5,
    headers: opts.keepAlive === false ? { connection: 'close' } : {},
    requests: [
      {
        // Called synchronously just before the client's 'response' event for the same response.
        onResponse: (_status, body) => {
          lastVersion = versionOf(body);
        },
      },
    ],
  });
  instance.on('response', (_client, status, _bytes, latencyMs) => {
    batch.push([Date.now(), lastVersion, Math.round(latencyMs * 100) / 100, status]);
    lastVersion = -1;
  });
  instance.on('reqError', (err) => {
    const code = err.code || (/timed out/.test(err.message) ? 'TIMEOUT' : err.message);
    errorCodes[code] = (errorCodes[code] || 0) + 1;
  });
  instance.on('done', (r) => {
    finish({
      requests: r.requests.total,
      responses: r['1xx'] + r['2xx'] + r['3xx'] + r['4xx'] + r['5xx'],
      errors: r.errors,
      timeouts: r.timeouts,
      non2xx: r.non2xx,
      errorCodes,
      reqPerSec: r.requests.average,
      durationMs: Math.round(r.duration * 1000),
    });
  });
  onStop.push(() => instance.stop());
  instance.on('error', (err) => {
    out({ type: 'fatal', message: String(err && err.stack || err) });
    process.exit(1);
  });
}

function runProbe() {
  const url = new URL(opts.url);
  const interval = opts.intervalMs ?? 5;
  const deadline = Date.now() + opts.durationSec * 1000;
  const maxCount = opts.maxCount ?? 10_000;
  const errorCodes = {};
  let requests = 0;
  let errors = 0;
  let timeouts = 0;
  let non2xx = 0;
  const once = () =>
    new Promise((resolve) => {
      const started = performance.now();
      requests++;
      const req = http.get({ host: url.hostname, port: url.port, path: '/', agent: false, timeout: 2000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => {
          const status = res.statusCode || 0;
          if (status < 200 || status >= 300) non2xx++;
          batch.push([Date.now(), versionOf(body), Math.round((performance.now() - started) * 100) / 100, status]);
          resolve();
        });
        res.on('error', () => resolve());
      });
      req.on('timeout', () => {
        timeouts++;
        req.destroy(Object.assign(new Error('timed out'), { code: 'TIMEOUT' }));
      });
      req.on('error', (err) => {
        errors++;
        const code = err.code || err.message;
        errorCodes[code] = (errorCodes[code] || 0) + 1;
        out({ type: 'error', code, t: Date.now() });
        resolve();
      });
    });
  (async () => {
    const started = Date.now();
    while (Date.now() < deadline && requests < maxCount && !stopRequested) {
      const t = Date.now();
      await once();
      const wait = interval - (Date.now() - t);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    finish({ requests, responses: requests - errors, errors, timeouts, non2xx, errorCodes, reqPerSec: (requests * 1000) / (Date.now() - started), durationMs: Date.now() - started });
  })();
}

if (opts.mode === 'probe') runProbe();
else runLoad();
// Never outlive the planned run by much, whatever happens.
setTimeout(() => process.exit(2), ((opts.durationSec ?? 10) + 20) * 1000).unref();
