/**
 * The browser side's attack surface: the live-reload socket checks Host (DNS rebinding) and
 * Origin (cross-site WebSocket hijacking, as in CVE-2025-24010 and CVE-2018-14732), accepts no
 * commands, reflects no CORS headers, and `/__smooth_reload/*` serves one fixed script and never
 * anything from disk, whatever the path.
 */
import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import WebSocket from 'ws';
import { startMaster, type RunningMaster } from '../helpers/master';
import { makeProject } from '../helpers/project';

const SECRET = 'TOP-SECRET-7f3a9c';

/** An app that would happily serve files from disk, so a request that reached it would leak. */
const leakyApp = `const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
http.createServer((req, res) => {
  const file = path.join(__dirname, decodeURIComponent(req.url.split('?')[0]));
  fs.readFile(file, (err, data) => {
    if (err) { res.setHeader('Content-Type', 'text/html'); return res.end('<html><head></head><body>app</body></html>'); }
    res.end(data);
  });
}).listen(3000);
`;

/** Send a raw request (no client-side path normalisation) and read the whole answer. */
function raw(port: number, request: string): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('connect', () => socket.write(request));
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = text.slice(0, split);
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0), head, body: text.slice(split + 4) });
    });
    socket.setTimeout(10000, () => socket.destroy(new Error('raw request timed out')));
  });
}

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET') {
  const lines = [`${method} ${path} HTTP/1.1`, `Host: localhost:${port}`, 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return raw(port, lines.join('\r\n') + '\r\n\r\n');
}

/** Try to open the live-reload socket; resolves with the HTTP status of the answer (101 when upgraded). */
function tryUpgrade(port: number, headers: Record<string, string>, path = '/__smooth_reload/ws'): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
    ws.on('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', (err) => reject(err));
  });
}

describe('live reload: security of the browser side', function () {
  this.timeout(60_000);
  let master: RunningMaster;
  let port: number;

  beforeEach(async () => {
    const dir = makeProject({ 'app.js': leakyApp, 'secret.txt': SECRET, 'package.json': `{"name":"${SECRET}"}` }, 'sec');
    master = await startMaster(dir, ['app.js']);
    await master.waitEvent('reload-done', (e) => e.ok);
    port = master.port;
  });

  it('accepts the socket only from a same-origin page on a loopback Host with the front port', async () => {
    const ok = { Host: `localhost:${port}`, Origin: `http://localhost:${port}` };
    assert.equal(await tryUpgrade(port, ok), 101);
    assert.equal(await tryUpgrade(port, { Host: `127.0.0.1:${port}`, Origin: `http://127.0.0.1:${port}` }), 101);
    const refused: Record<string, string>[] = [
      // Cross-site WebSocket hijacking: a page on another origin.
      { Host: `localhost:${port}`, Origin: 'http://evil.example' },
      { Host: `localhost:${port}`, Origin: `http://evil.example:${port}` },
      { Host: `localhost:${port}`, Origin: `http://localhost:${port + 1}` },
      { Host: `localhost:${port}`, Origin: `https://localhost:${port}` },
      { Host: `localhost:${port}`, Origin: 'null' },
      { Host: `localhost:${port}`, Origin: `http://localhost:${port}.evil.example` },
      // No Origin at all (not a page served by us).
      { Host: `localhost:${port}` },
      // DNS rebinding: a foreign name that resolves to 127.0.0.1, same-origin with itself.
      { Host: `rebind.example:${port}`, Origin: `http://rebind.example:${port}` },
      { Host: `localhost:${port + 1}`, Origin: `http://localhost:${port + 1}` },
      { Host: 'localhost', Origin: 'http://localhost' },
    ];
    for (const headers of refused) assert.equal(await tryUpgrade(port, headers), 403, `refused: ${JSON.stringify(headers)}`);
    // Other paths under the prefix never upgrade (and never reach the app).
    assert.equal(await tryUpgrade(port, ok, '/__smooth_reload/other'), 404);
    const upgrade = { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', Origin: `http://localhost:${port}` };
    assert.equal((await get(port, '/__smooth_reload/../ws', upgrade)).status, 404);
    assert.equal((await get(port, '/__smooth_reload/ws/..', upgrade)).status, 404);
  });

  it('the socket only broadcasts: a message from the page closes it with 1008', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/__smooth_reload/ws`, { headers: { Host: `localhost:${port}`, Origin: `http://localhost:${port}` } });
    const messages: string[] = [];
    ws.on('message', (d) => messages.push(String(d)));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(JSON.stringify({ type: 'reload' }));
    assert.equal(await closed, 1008);
    assert.equal(messages.length, 1);
    assert.equal(JSON.parse(messages[0]).type, 'hello');
    // It did not trigger anything.
    assert.equal(master.events.filter((e) => e.kind === 'reload-start').length, 1);
  });

  it('reflects no CORS headers, not even to a preflight', async () => {
    for (const method of ['GET', 'OPTIONS']) {
      const res = await get(port, '/__smooth_reload/client.js', { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'GET' }, method);
      assert.doesNotMatch(res.head, /access-control-/i, `${method}: ${res.head}`);
    }
    const page = await get(port, '/', { Origin: 'http://evil.example' });
    assert.doesNotMatch(page.head, /access-control-/i);
  });

  it('serves only the fixed client script: traversal-style paths get 404 and nothing from disk', async () => {
    const script = await get(port, '/__smooth_reload/client.js');
    assert.equal(script.status, 200);
    assert.match(script.head, /content-type: text\/javascript/i);
    assert.match(script.body, /__smooth_reload\/ws/);
    // The app itself does serve files (the leak a traversal would reach).
    assert.equal((await get(port, '/secret.txt')).body, SECRET);
    const attempts = [
      '/__smooth_reload/../package.json',
      '/__smooth_reload/../secret.txt',
      '/__smooth_reload/..%2fsecret.txt',
      '/__smooth_reload/%2e%2e/secret.txt',
      '/__smooth_reload/%2e%2e%2fsecret.txt',
      '/__smooth_reload/client.js/../../secret.txt',
      '/__smooth_reload//etc/passwd',
      '/__smooth_reload/..\\secret.txt',
      '/__smooth_reload%2f..%2fsecret.txt',
      '/__smooth_reload/client.js%00.txt',
      '/__smooth_reload/',
      '/__smooth_reload',
      '/__smooth_reload/ws',
      // Spelled so that a router reads them as the same path.
      '/%5f%5fsmooth_reload/../secret.txt',
      '/%5F%5Fsmooth_reload/client.js',
      '//__smooth_reload/',
      '/__SMOOTH_RELOAD/x',
      '/./__smooth_reload/x',
      '/x/../__smooth_reload/x',
      '/__smooth_reload%2e%2e/secret.txt',
    ];
    for (const p of attempts) {
      const res = await get(port, p);
      assert.equal(res.status, 404, `${p} → ${res.status}`);
      assert.ok(!res.body.includes(SECRET) && !res.body.includes('root:'), `${p} leaked: ${res.body.slice(0, 100)}`);
    }
    // Writing methods get nothing either.
    const post = await raw(port, `POST /__smooth_reload/client.js HTTP/1.1\r\nHost: localhost:${port}\r\nContent-Length: 4\r\nConnection: close\r\n\r\nabcd`);
    assert.equal(post.status, 404);
  });
});
