/**
 * DNS rebinding, for pages too (as Vite since CVE-2025-24010): every request whose Host is not
 * localhost, an IP literal, the listen host or an allowed host gets 403 from the front, before a
 * worker sees it; allowed hosts get the page and a working live-reload socket; a host can be
 * allowed while running (`allow-host`, what the editor sends for its forwarded address).
 */
import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import WebSocket from 'ws';
import { ControlClient } from '../../server/control/client';
import { readStateFile } from '../../server/state-file';
import { runCli, startMaster } from '../helpers/master';
import { makeProject } from '../helpers/project';

const app = `require('node:http').createServer((req, res) => {
  if (req.headers.upgrade) { res.writeHead(426); return res.end('worker saw an upgrade'); }
  res.setHeader('Content-Type', 'text/html');
  res.end('<html><head></head><body>app for ' + req.headers.host + '</body></html>');
}).listen(Number(process.env.PORT));
`;

function request(port: number, host: string, extra: string[] = []): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('connect', () => socket.write([`GET / HTTP/1.1`, `Host: ${host}`, 'Connection: close', ...extra, '', ''].join('\r\n')));
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0), body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('request timed out')));
  });
}

function liveReloadSocket(port: number, headers: Record<string, string>): Promise<{ status: number; hello?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/__smooth_reload/ws`, { headers });
    ws.on('message', (data) => {
      resolve({ status: 101, hello: String(data) });
      ws.terminate();
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.on('error', reject);
  });
}

describe('allowed hosts: the front answers only hosts it may (DNS rebinding)', function () {
  this.timeout(60_000);

  it('an allowed host gets the page and the socket; any other host gets 403 for pages, the socket and worker upgrades', async () => {
    const dir = makeProject({ 'app.js': app, 'smooth-reload.config.json': JSON.stringify({ entry: 'app.js', allowedHosts: ['my-app.test', '.corp.test'] }) });
    const master = await startMaster(dir, []);
    await master.waitEvent('reload-done', (e) => e.ok);
    const { port } = master;

    for (const host of [`my-app.test:${port}`, `api.corp.test:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      const page = await request(port, host);
      assert.equal(page.status, 200, host);
      assert.match(page.body, /__smooth_reload\/client\.js/, `${host}: the page has the live-reload client`);
    }
    const socket = await liveReloadSocket(port, { Host: `my-app.test:${port}`, Origin: `http://my-app.test:${port}` });
    assert.equal(socket.status, 101);
    assert.match(socket.hello ?? '', /"type":"hello"/);

    for (const host of [`rebind.example:${port}`, `my-app.test.evil.example:${port}`, `corp.test.evil:${port}`]) {
      const page = await request(port, host);
      assert.equal(page.status, 403, host);
      assert.match(page.body, /the Host "[^"]+" is not allowed/);
      assert.match(page.body, /"allowedHosts" in smooth-reload\.config\.json, or start with --allowed-hosts /);
      assert.doesNotMatch(page.body, /app for/, 'the worker never saw it');
      assert.equal((await liveReloadSocket(port, { Host: host, Origin: `http://${host}` })).status, 403);
      // An upgrade to the worker's own WebSocket is refused the same way, not tunnelled.
      const upgrade = await request(port, host, ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==']);
      assert.equal(upgrade.status, 403);
    }
  });

  it('allow-host adds a forwarded address while running; a forwarder that rewrites Host may open the socket from it', async () => {
    const dir = makeProject({ 'app.js': app });
    const master = await startMaster(dir, ['app.js', '--allowed-hosts', 'other.test']);
    await master.waitEvent('reload-done', (e) => e.ok);
    const { port } = master;
    const fwd = 'fwd-3000.preview.example';
    assert.equal((await request(port, fwd)).status, 403);
    assert.equal((await liveReloadSocket(port, { Host: `localhost:${port}`, Origin: `https://${fwd}` })).status, 403);
    const state = readStateFile(dir);
    assert.ok(state.ok);
    const client = await ControlClient.connect(state.state);
    try {
      const reply = await client.request<{ allowedHosts: string[] }>({ type: 'allow-host', host: `${fwd}:443` });
      assert.deepEqual(reply.allowedHosts, ['other.test', fwd]);
      await assert.rejects(client.request({ type: 'allow-host', host: 'not a host/' }), /is not a host name/);
    } finally {
      await client.close();
    }
    assert.equal((await request(port, fwd)).status, 200);
    assert.equal((await liveReloadSocket(port, { Host: `localhost:${port}`, Origin: `https://${fwd}` })).status, 101);
    assert.equal((await liveReloadSocket(port, { Host: `localhost:${port}`, Origin: 'https://elsewhere.example' })).status, 403);
  });

  it('a bad "allowedHosts" or --allowed-hosts is a clear error', async () => {
    const dir = makeProject({ 'app.js': app, 'smooth-reload.config.json': JSON.stringify({ entry: 'app.js', allowedHosts: 'all' }) });
    const bad = await runCli(dir, 'serve', '--port', '0');
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /allowedHosts/);
    const flag = await runCli(dir, 'serve', '--port', '0', '--allowed-hosts', ',');
    assert.equal(flag.code, 64);
    assert.match(flag.stderr, /give host names separated by commas/);
  });
});
