/**
 * Long connections across reloads: WebSocket clients see only clean closes (1000 or 1012, never
 * 1006) and reconnect to the new code; server-sent event streams end cleanly and an
 * EventSource-like client reconnects and gets the new code.
 */
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import WebSocket from 'ws';
import type { MasterStatus } from '../../server/protocol';
import { runCli, startMaster, type RunningMaster } from '../helpers/master';
import { waitFor } from '../helpers/processes';
import { makeProject, writeFile } from '../helpers/project';

const WS_MODULE = require.resolve('ws');


/** A Node app with a `ws` server that streams frames (some large, so closes land mid-stream) and an SSE endpoint. */
function longApp(version: number): string {
  return `const http = require('node:http');
const { WebSocketServer } = require(${JSON.stringify(WS_MODULE)});
const VERSION = 'v${version}';
const big = 'x'.repeat(200 * 1024);
const server = http.createServer((req, res) => {
  if (req.url === '/events') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.write('data: ' + VERSION + '\\n\\n');
    const timer = setInterval(() => res.write('data: ' + VERSION + '\\n\\n'), 50);
    req.on('close', () => clearInterval(timer));
    return;
  }
  res.setHeader('Content-Type', 'text/plain');
  res.end(VERSION + ' ' + process.pid + '\\n');
});
const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => {
  ws.send(VERSION);
  let n = 0;
  const timer = setInterval(() => ws.send(++n % 5 === 0 ? VERSION + ' ' + big : VERSION + ' tick ' + n), 20);
  ws.on('close', () => clearInterval(timer));
  ws.on('message', (m) => ws.send(VERSION + ' echo ' + m));
});
server.listen(3000);
`;
}

interface Client {
  versions: Set<string>;
  closes: number[];
  stop(): void;
}

/** A WebSocket client that reconnects after every close, recording close codes and versions seen. */
function wsClient(url: string): Client {
  const versions = new Set<string>();
  const closes: number[] = [];
  let stopped = false;
  let current: WebSocket | undefined;
  const connect = () => {
    const ws = new WebSocket(url);
    current = ws;
    ws.on('message', (data) => versions.add(String(data).split(' ')[0]));
    ws.on('error', () => undefined);
    ws.on('close', (code) => {
      if (stopped) return;
      closes.push(code);
      setTimeout(connect, 50);
    });
  };
  connect();
  return {
    versions,
    closes,
    stop() {
      stopped = true;
      current?.terminate();
    },
  };
}

/** An EventSource-like client: reads `data:` lines, reconnects when the stream ends; records whether each end was clean. */
function sseClient(url: string): Client & { unclean: number } {
  const versions = new Set<string>();
  const closes: number[] = [];
  let stopped = false;
  let req: http.ClientRequest | undefined;
  const state = { unclean: 0 };
  const connect = () => {
    req = http.get(url, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const event = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const m = /^data: (\S+)/m.exec(event);
          if (m) versions.add(m[1]);
        }
      });
      res.on('error', () => undefined);
      res.on('close', () => {
        if (stopped) return;
        // A clean end: the chunked stream was terminated properly (res.complete).
        if (!res.complete) state.unclean++;
        closes.push(res.complete ? 1000 : 1006);
        setTimeout(connect, 50);
      });
    });
    req.on('error', () => {
      if (stopped) return;
      state.unclean++;
      setTimeout(connect, 50);
    });
  };
  connect();
  return {
    versions,
    closes,
    get unclean() {
      return state.unclean;
    },
    stop() {
      stopped = true;
      req?.destroy();
    },
  };
}

async function reloadTo(master: RunningMaster, dir: string, version: number): Promise<void> {
  const since = master.events.length;
  writeFile(dir, 'app.js', longApp(version));
  const done = await master.waitEvent('reload-done', () => true, 30000, since);
  assert.ok(done.ok, 'the reload succeeded');
}

describe('long connections across reloads', function () {
  this.timeout(120_000);

  for (const workers of [1, 2]) {
    it(`WebSocket clients (${workers} worker${workers > 1 ? 's' : ''}): every close is 1000 or 1012, never 1006, and each reconnects to the new code after 3 reloads`, async () => {
      const dir = makeProject({ 'app.js': longApp(1) }, 'ws');
      const master = await startMaster(dir, ['app.js', '--workers', String(workers)]);
      await master.waitEvent('reload-done', (e) => e.ok);
      const wsUrl = master.url.replace(/^http/, 'ws');
      const clients = Array.from({ length: 6 }, () => wsClient(wsUrl));
      try {
        await waitFor('every client to get v1', () => clients.every((c) => c.versions.has('v1')), 15000);
        for (const v of [2, 3, 4]) {
          await reloadTo(master, dir, v);
          await waitFor(`every client to reconnect and get v${v}`, () => clients.every((c) => c.versions.has(`v${v}`)), 20000);
        }
      } finally {
        for (const c of clients) c.stop();
      }
      const codes = clients.flatMap((c) => c.closes);
      assert.deepEqual(codes.filter((c) => c !== 1000 && c !== 1012), [], `close codes seen: ${codes.join(', ')}`);
      // Every client was closed (and reconnected) once per reload.
      for (const c of clients) assert.ok(c.closes.length >= 3, `a client saw ${c.closes.length} closes`);
    });
  }

  it('server-sent events: streams end cleanly on reload and the client reconnects to the new code', async () => {
    const dir = makeProject({ 'app.js': longApp(1) }, 'sse');
    const master = await startMaster(dir, ['app.js']);
    await master.waitEvent('reload-done', (e) => e.ok);
    const clients = Array.from({ length: 4 }, () => sseClient(`${master.url}events`));
    try {
      await waitFor('every client to get v1', () => clients.every((c) => c.versions.has('v1')), 15000);
      // Each open stream is one request in the worker's metrics, and holds it while open.
      const { stdout } = await runCli(dir, 'status', '--json');
      const [w] = (JSON.parse(stdout) as MasterStatus).workers;
      assert.deepEqual({ requests: w.requests, inFlight: w.inFlight }, { requests: 4, inFlight: 4 });
      for (const v of [2, 3, 4]) {
        await reloadTo(master, dir, v);
        await waitFor(`every client to reconnect and get v${v}`, () => clients.every((c) => c.versions.has(`v${v}`)), 20000);
      }
    } finally {
      for (const c of clients) c.stop();
    }
    assert.deepEqual(clients.map((c) => c.unclean), clients.map(() => 0), 'no stream ended abruptly');
    for (const c of clients) assert.ok(c.closes.length >= 3, `a client saw ${c.closes.length} stream ends`);
  });
});
