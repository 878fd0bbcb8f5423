/**
 * Differential testing of the front: the same bytes go to an app served directly by Node's own
 * http.Server and to the same app behind the master, and what the app received and what the
 * client got back are compared. Node's parser and server are the oracle.
 *
 * The app records every request it receives in full (method, URL, raw headers, body, trailers)
 * as a JSON line in the file named by RECORD_FILE; responses are deterministic (no Date).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { AfterHead, Http1Parser } from '../../server/front/http1';
import { startMaster, type RunningMaster } from './master';
import { makeProject } from './project';
import { waitFor } from './processes';

/** Routes: `/chunked` answers chunked with a trailer, `/early` answers 413 before reading the body, anything else echoes. */
export const RECORDING_APP = `const http = require('node:http');
const fs = require('node:fs');
const log = (r) => fs.appendFileSync(process.env.RECORD_FILE, JSON.stringify(r) + '\\n');
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  res.sendDate = false;
  if (url.pathname === '/early') {
    log({ method: req.method, url: req.url, headers: req.rawHeaders, early: true });
    res.writeHead(413, { 'Content-Type': 'text/plain' });
    return res.end('too large\\n');
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    log({ method: req.method, url: req.url, headers: req.rawHeaders, body: body.toString('base64'), trailers: req.rawTrailers });
    if (url.pathname === '/chunked') {
      res.setHeader('Trailer', 'X-Trailer');
      res.write('part one;');
      res.write('part two');
      res.addTrailers({ 'X-Trailer': 'end of ' + req.url });
      return res.end();
    }
    res.setHeader('Content-Type', 'text/plain');
    res.setHeader('X-Seen-Length', String(body.length));
    res.end(req.method + ' ' + req.url + ' ' + body.length + '\\n');
  });
});
server.listen(process.env.DIRECT_PORT ? 0 : 3000, '127.0.0.1', () => {
  if (process.env.DIRECT_PORT) console.log('PORT ' + server.address().port);
});
`;

/** What one target (direct or front) is. */
export interface Target {
  name: string;
  port: number;
  records: string;
}

export interface DifferentialPair {
  direct: Target;
  front: Target;
  close(): Promise<void>;
}

/** Ports that speak TLS (the front with DIFFERENTIAL_TLS=1): conversations with them go through a TLS client. */
const tlsPorts = new Set<number>();

/** A client connection to `port` on 127.0.0.1: TCP, or TLS for a front serving `https`. */
export function connectTo(port: number): net.Socket {
  // A self-signed development certificate: the differential suite compares HTTP, not trust.
  return tlsPorts.has(port) ? tls.connect({ port, host: '127.0.0.1', servername: 'localhost', rejectUnauthorized: false }) : net.connect(port, '127.0.0.1');
}

/** Starts `args` in `dir` and resolves with the port it prints (`PORT n`, or a bare number for the undici proxy). */
async function startPrinting(dir: string, args: string[], env: Record<string, string>, pattern: RegExp): Promise<{ child: ChildProcess; port: number }> {
  const child: ChildProcess = spawn(process.execPath, args, { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const port = await waitFor(`${args.join(' ')} to listen`, () => Number(pattern.exec(out)?.[1]) || undefined, 20_000);
  return { child, port };
}

/**
 * The app directly on Node, and the same app behind `smooth-reload serve` (1 worker). With
 * DIFFERENTIAL_FRONT=undici the front is bench/alt-front/undici-proxy.ts before a second copy of
 * the app instead (the alternative the front was measured against; not part of `npm test`).
 * With DIFFERENTIAL_TLS=1 the front serves `https` and clients speak TLS to it (the app directly
 * stays plain): the same HTTP must come out of a TLS socket.
 */
export async function startPair(extraArgs: string[] = []): Promise<DifferentialPair> {
  const dir = makeProject({ 'app.js': RECORDING_APP }, 'differential');
  const directRecords = path.join(dir, 'direct.jsonl');
  const frontRecords = path.join(dir, 'front.jsonl');
  fs.writeFileSync(directRecords, '');
  fs.writeFileSync(frontRecords, '');
  const direct = await startPrinting(dir, ['app.js'], { RECORD_FILE: directRecords, DIRECT_PORT: '1' }, /PORT (\d+)/);
  const pair = (front: number, stopFront: () => Promise<unknown>): DifferentialPair => ({
    direct: { name: 'direct', port: direct.port, records: directRecords },
    front: { name: 'front', port: front, records: frontRecords },
    async close() {
      direct.child.kill();
      await stopFront();
    },
  });
  if (process.env.DIFFERENTIAL_FRONT === 'undici') {
    const upstream = await startPrinting(dir, ['app.js'], { RECORD_FILE: frontRecords, DIRECT_PORT: '1' }, /PORT (\d+)/);
    const proxy = await startPrinting(dir, [require.resolve('tsx/cli'), path.join(__dirname, '..', '..', 'bench', 'alt-front', 'undici-proxy.ts'), '--upstream', String(upstream.port), '--port', '0'], {}, /^(\d+)$/m);
    return pair(proxy.port, async () => {
      proxy.child.kill();
      upstream.child.kill();
    });
  }
  // The requests name Host x or app.test: allowed, as the app served directly answers any Host.
  const overTls = process.env.DIFFERENTIAL_TLS === '1' ? ['--https'] : [];
  const master: RunningMaster = await startMaster(dir, ['app.js', '--workers', '1', '--no-watch', '--allowed-hosts', 'x,app.test', ...overTls, ...extraArgs], { RECORD_FILE: frontRecords });
  await master.waitEvent('reload-done');
  if (overTls.length) tlsPorts.add(master.port);
  return pair(master.port, () => master.stop());
}

/** One step of a conversation on one connection. */
export type Step = { write: Buffer | string } | { waitResponses: number } | { end: true } | { pauseMs: number };

export interface Response {
  status: number;
  /** Lower-case `name: value` lines, sorted, without the headers a hop may change (Date, Connection, framing). */
  headers: string[];
  body: string;
  trailers: string[];
}

export interface Conversation {
  responses: Response[];
  /** The server closed the connection. */
  closed: boolean;
}

const HOP_RESPONSE = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

function pairs(raw: readonly string[], drop: Set<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (!drop.has(raw[i].toLowerCase())) out.push(`${raw[i].toLowerCase()}: ${raw[i + 1]}`);
  return out.sort();
}

/**
 * Runs the steps on a fresh connection and reads responses until the server closes, or until it
 * has said nothing for `quietMs` after the last step (not with `untilClosed`); at most `limitMs`.
 * With `expectResponses`, the quiet after that many responses is short. `headMethods` lists
 * the requests' methods in order, so responses to HEAD are parsed without a body.
 */
export function converse(port: number, steps: Step[], options: { quietMs?: number; limitMs?: number; headMethods?: boolean[]; expectResponses?: number; untilClosed?: boolean } = {}): Promise<Conversation> {
  const quietMs = options.quietMs ?? 150;
  const limitMs = options.limitMs ?? 5_000;
  return new Promise((resolve) => {
    const socket = connectTo(port);
    const responses: Response[] = [];
    let current: Response | undefined;
    let closed = false;
    let finished = false;
    let lastData = Date.now();
    let stepsDone = false;
    const parser = new Http1Parser('response', {
      head: (h) => {
        if (h.status < 200 && h.status !== 101) return AfterHead.SkipBody;
        current = { status: h.status, headers: pairs(h.headers, HOP_RESPONSE), body: '', trailers: [] };
        if (h.status === 101) {
          responses.push(current);
          current = undefined;
          return AfterHead.Upgrade;
        }
        return options.headMethods?.[responses.length] ? AfterHead.SkipBody : AfterHead.Body;
      },
      body: (c) => current && (current.body += c.toString('latin1')),
      complete: (trailers) => {
        if (!current) return;
        current.trailers = pairs(trailers, new Set());
        responses.push(current);
        current = undefined;
      },
    });
    const done = () => {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      clearTimeout(limit);
      socket.destroy();
      setImmediate(() => parser.close());
      resolve({ responses, closed });
    };
    socket.on('data', (d: Buffer) => {
      lastData = Date.now();
      // Bytes after a 101 are the new protocol's: kept as a pseudo-body of that response.
      const upgraded = responses[responses.length - 1]?.status === 101;
      if (upgraded) responses[responses.length - 1].body += d.toString('latin1');
      else parser.execute(d);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      // A body that ends with the connection completes here.
      if (current) parser.finish();
      done();
    });
    socket.on('end', () => {
      closed = true;
      socket.end();
    });
    const timer = setInterval(() => {
      // With as many responses as expected, a short quiet shows nothing more comes.
      // Fewer than expected: waited for (a loaded machine may be slow), up to the limit.
      const expected = options.expectResponses;
      if (expected !== undefined && responses.length < expected) return;
      const quiet = expected !== undefined ? Math.min(quietMs, 40) : quietMs;
      // A conversation that must end with the server closing is waited for until then (or the limit).
      if (stepsDone && !options.untilClosed && Date.now() - lastData >= quiet) done();
    }, 20);
    const limit = setTimeout(done, limitMs);
    void (async () => {
      for (const step of steps) {
        if (finished) return;
        if ('write' in step) socket.write(step.write);
        else if ('end' in step) socket.end();
        else if ('pauseMs' in step) await new Promise((r) => setTimeout(r, step.pauseMs));
        else await waitFor('responses', () => responses.length >= step.waitResponses || finished, limitMs).catch(() => undefined);
      }
      lastData = Date.now();
      stepsDone = true;
    })();
  });
}

/** A request as the app recorded it, with what a proxy may legitimately change taken out. */
export interface Received {
  method: string;
  url: string;
  headers: string[];
  body?: string;
  trailers?: string[];
}

const HOP_REQUEST = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'upgrade', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']);

/** Requests the app received (completely) since `from` lines of the record file, normalized. */
export function receivedSince(target: Target, from: number): { received: Received[]; lines: number } {
  const lines = fs.readFileSync(target.records, 'utf8').split('\n').filter(Boolean);
  const received = lines.slice(from).map((line) => {
    const r = JSON.parse(line) as { method: string; url: string; headers: string[]; body?: string; trailers?: string[] };
    // Headers a Connection header nominated are the proxy's to drop.
    const nominated = new Set<string>();
    for (let i = 0; i < r.headers.length; i += 2) if (r.headers[i].toLowerCase() === 'connection') for (const t of r.headers[i + 1].split(',')) nominated.add(t.trim().toLowerCase());
    nominated.delete('content-length');
    nominated.delete('host');
    const drop = new Set([...HOP_REQUEST, ...nominated]);
    // Transfer codings compared without spacing or case.
    const headers = pairs(r.headers, drop).map((h) => (h.startsWith('transfer-encoding: ') ? h.replace(/\s*,\s*/g, ',').toLowerCase() : h));
    return { method: r.method, url: r.url, headers, ...(r.body !== undefined ? { body: r.body } : {}), ...(r.trailers ? { trailers: pairs(r.trailers, drop) } : {}) };
  });
  return { received, lines: lines.length };
}

export interface Outcome {
  conversations: Conversation[];
  received: Received[];
}

/** Runs the same conversations (one after another, each on its own connection) against a target. */
export async function run(target: Target, conversations: Step[][], options: Parameters<typeof converse>[2] = {}): Promise<Outcome> {
  const before = receivedSince(target, 0).lines;
  const results: Conversation[] = [];
  for (const steps of conversations) results.push(await converse(target.port, steps, options));
  // Records are written before the response; a last one may trail by a moment.
  await new Promise((r) => setTimeout(r, 20));
  return { conversations: results, received: receivedSince(target, before).received };
}
