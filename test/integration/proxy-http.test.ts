/**
 * HTTP/1.1 through the front, byte for byte: bodies both ways (sized, chunked, large), HEAD,
 * 100-continue, pipelining, HTTP/1.0, bodies that end with the connection, many and non-ASCII
 * headers, malformed requests, and an upgrade after ordinary requests on one connection.
 * Real master, real worker, raw sockets where the wire format is what is checked.
 */
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';
import { LIVE_RELOAD_PREFIX } from '../../server/front/live-reload';
import { startMaster, type RunningMaster } from '../helpers/master';
import { makeProject } from '../helpers/project';

const WS_MODULE = require.resolve('ws');

/** Echoes what it received, and has a route for each kind of response framing. */
const APP = `const http = require('node:http');
const crypto = require('node:crypto');
const { WebSocketServer } = require(${JSON.stringify(WS_MODULE)});
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/echo') {
    const hash = crypto.createHash('sha256');
    let size = 0;
    req.on('data', (c) => { hash.update(c); size += c.length; });
    req.on('end', () => res.end(JSON.stringify({ method: req.method, size, sha256: hash.digest('hex'), te: req.headers['transfer-encoding'] || null, headers: req.rawHeaders })));
    return;
  }
  if (url.pathname === '/stream') {
    // No Content-Length: Node sends it chunked.
    res.setHeader('Content-Type', 'text/plain');
    let n = 0;
    const next = () => (++n > 5 ? res.end('end\\n') : (res.write('part ' + n + '\\n'), setTimeout(next, 5)));
    return next();
  }
  if (url.pathname === '/close-delimited') {
    // Neither length nor chunking: the body ends when the worker closes the connection.
    res.useChunkedEncodingByDefault = false;
    res.shouldKeepAlive = false;
    res.setHeader('Connection', 'close');
    res.write('until ');
    setTimeout(() => res.end('the end\\n'), 10);
    return;
  }
  if (url.pathname === '/big') {
    const size = Number(url.searchParams.get('mb')) * 1024 * 1024;
    res.setHeader('Content-Length', size);
    const block = Buffer.alloc(64 * 1024, 'z');
    let sent = 0;
    const pump = () => { while (sent < size) { sent += block.length; if (!res.write(block)) return res.once('drain', pump); } res.end(); };
    return pump();
  }
  if (url.pathname === '/early') {
    // Answers without reading the body (like a 413 for an upload that is too large). Node then
    // reads and drops the rest itself; an app that also closes the connection may reset it before
    // the answer is read (architecture.md, "Answers before the body").
    res.writeHead(413, { 'Content-Type': 'text/plain' });
    return res.end('too large\\n');
  }
  if (url.pathname === '/headers') {
    res.setHeader('Set-Cookie', ['a=1', 'b=2']);
    // Node writes a head as latin1 unless it shares a write with a string body: the body goes as a Buffer.
    res.setHeader('X-Latin1', 'caf\\u00e9');
    return res.end(Buffer.from(JSON.stringify(req.rawHeaders)));
  }
  res.setHeader('Content-Type', 'text/plain');
  res.end('hello ' + req.method + ' ' + url.pathname + '\\n');
});
const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => ws.on('message', (m) => ws.send('echo ' + m)));
server.listen(3000);
`;

/** Write `bytes` on a fresh connection and collect what comes back until `done(text)` holds or the server closes. */
function raw(port: number, bytes: string | Buffer, done: (text: string) => boolean = () => false, timeoutMs = 10_000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let closed = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer in ${timeoutMs} ms to ${String(bytes).slice(0, 400)}; got:\n${text}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed });
    };
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (done(text)) finish();
    });
    socket.on('end', () => {
      closed = true;
      finish();
    });
    socket.on('error', reject);
    socket.write(bytes);
  });
}

function request(port: number, options: http.RequestOptions, body?: Buffer | Buffer[]): Promise<{ status: number; headers: http.IncomingHttpHeaders; raw: string[]; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, agent: false, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, raw: res.rawHeaders, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (Array.isArray(body)) {
      for (const b of body) req.write(b);
      req.end();
    } else req.end(body);
  });
}

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

describe('the front speaks HTTP/1.1 byte for byte', function () {
  let master: RunningMaster;

  // The global hooks stop every master after each test.
  beforeEach(async function () {
    const dir = makeProject({ 'app.js': APP, 'package.json': '{}' }, 'proxy-http');
    master = await startMaster(dir, ['app.js', '--workers', '1', '--no-watch', '--allowed-hosts', 'front.test']);
  });

  it('passes request bodies through whole: sized, chunked, and 8 MB with back-pressure', async () => {
    const small = Buffer.from('hello body');
    const sized = await request(master.port, { method: 'POST', path: '/echo', headers: { 'Content-Length': small.length } }, small);
    assert.deepEqual(JSON.parse(String(sized.body)), { ...JSON.parse(String(sized.body)), method: 'POST', size: small.length, sha256: sha(small), te: null });

    const parts = [Buffer.from('one,'), Buffer.from('two,'), Buffer.from('three')];
    const chunked = await request(master.port, { method: 'PUT', path: '/echo' }, parts);
    const c = JSON.parse(String(chunked.body));
    assert.equal(c.te, 'chunked', 'a chunked request reaches the worker chunked');
    assert.equal(c.sha256, sha(Buffer.concat(parts)));

    const big = crypto.randomBytes(8 * 1024 * 1024);
    const large = await request(master.port, { method: 'POST', path: '/echo', headers: { 'Content-Length': big.length } }, big);
    const l = JSON.parse(String(large.body));
    assert.equal(l.size, big.length);
    assert.equal(l.sha256, sha(big));
  });

  it('passes response bodies through whole: chunked, ending with the connection, and 32 MB', async () => {
    const streamed = await request(master.port, { path: '/stream' });
    assert.equal(String(streamed.body), 'part 1\npart 2\npart 3\npart 4\npart 5\nend\n');
    assert.equal(streamed.headers['transfer-encoding'], 'chunked');

    // The worker ends this body by closing; an HTTP/1.1 client gets it chunked on a connection that stays open.
    const { text, closed } = await raw(master.port, 'GET /close-delimited HTTP/1.1\r\nHost: localhost\r\n\r\n', (t) => t.endsWith('0\r\n\r\n'));
    assert.match(text, /^HTTP\/1\.1 200 /);
    assert.match(text, /\r\nTransfer-Encoding: chunked\r\n/i);
    assert.equal(closed, false);
    const body = text.slice(text.indexOf('\r\n\r\n') + 4).replace(/[0-9a-f]+\r\n([^]*?)\r\n/g, '$1');
    assert.equal(body, 'until the end\n');

    const big = await request(master.port, { path: '/big?mb=32' });
    assert.equal(big.body.length, 32 * 1024 * 1024);
    assert.equal(Number(big.headers['content-length']), 32 * 1024 * 1024);
  });

  it('passes on an answer the worker gives before reading the body, then closes that connection', async () => {
    const body = Buffer.alloc(4 * 1024 * 1024, 'u');
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: master.port, method: 'POST', path: '/early', agent: false, headers: { 'Content-Length': body.length } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      // The connection may be closed while the body is still being written: that is the point.
      req.on('error', (err: NodeJS.ErrnoException) => (['EPIPE', 'ECONNRESET'].includes(err.code ?? '') ? undefined : reject(err)));
      req.end(body);
    });
    assert.deepEqual(answer, { status: 413, text: 'too large\n' });
    const ok = await request(master.port, { path: '/next' });
    assert.equal(String(ok.body), 'hello GET /next\n');
  });

  it('answers a client that half-closed after its request', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ port: master.port, host: '127.0.0.1', allowHalfOpen: true });
      let got = '';
      socket.on('data', (d) => (got += d));
      socket.on('end', () => resolve(got));
      socket.on('error', reject);
      socket.end('GET /half HTTP/1.1\r\nHost: localhost\r\n\r\n');
    });
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(text.endsWith('hello GET /half\n'), text);
  });

  it('answers HEAD with headers only and keeps the connection usable', async () => {
    const { text } = await raw(master.port, 'HEAD /hello HTTP/1.1\r\nHost: localhost\r\n\r\nGET /after HTTP/1.1\r\nHost: localhost\r\n\r\n', (t) => t.includes('hello GET /after\n'));
    const responses = text.split(/(?=HTTP\/1\.1 )/);
    assert.equal(responses.length, 2, text);
    assert.match(responses[0], /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(responses[0].endsWith('\r\n\r\n'), 'no body after a HEAD response');
    assert.match(responses[1], /\r\n\r\nhello GET \/after\n$/);
  });

  it('answers pipelined requests in order on one connection', async () => {
    const paths = ['/a', '/b', '/c', '/d'];
    const { text } = await raw(master.port, paths.map((p) => `GET ${p} HTTP/1.1\r\nHost: localhost\r\n\r\n`).join(''), (t) => t.includes('hello GET /d\n'));
    assert.deepEqual([...text.matchAll(/hello GET (\/\w)\n/g)].map((m) => m[1]), paths);
  });

  it('sends 100 Continue on, then the answer', async () => {
    const { text } = await raw(master.port, 'POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n', (t) => t.includes('100 Continue'));
    assert.match(text, /^HTTP\/1\.1 100 Continue\r\n\r\n/);
    const socketText = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(master.port, '127.0.0.1');
      let got = '';
      socket.on('data', (d) => {
        got += d.toString('latin1');
        if (got.includes('100 Continue') && !got.includes('"size"')) socket.write('12345');
        if (got.includes('"size":5')) {
          socket.destroy();
          resolve(got);
        }
      });
      socket.on('error', reject);
      socket.write('POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    });
    assert.match(socketText, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  });

  it('answers a request the master serves itself without waiting for a body the client holds back', async () => {
    // The client waits for 100 Continue before sending its body; a final answer means it never will.
    const { text, closed } = await raw(master.port, `POST ${LIVE_RELOAD_PREFIX}/nothing HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n`);
    assert.match(text, /^HTTP\/1\.1 404 Not Found\r\n/);
    assert.match(text, /\r\nConnection: close\r\n/i);
    assert.ok(closed);
  });

  it('speaks HTTP/1.0: closes after the answer unless asked to keep alive', async () => {
    const plain = await raw(master.port, 'GET /old HTTP/1.0\r\n\r\n');
    assert.ok(plain.closed, 'closed after an HTTP/1.0 answer');
    assert.match(plain.text, /\r\nConnection: close\r\n/i);
    assert.match(plain.text, /hello GET \/old\n$/);
    // A chunked answer cannot go to an HTTP/1.0 client: it gets the body, ended by the close.
    const streamed = await raw(master.port, 'GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    assert.ok(streamed.closed);
    assert.doesNotMatch(streamed.text, /Transfer-Encoding/i);
    assert.ok(streamed.text.endsWith('part 5\nend\n'), streamed.text);
    const kept = await raw(master.port, 'GET /k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', (t) => t.includes('hello GET /k\n'));
    assert.equal(kept.closed, false);
    assert.match(kept.text, /\r\nConnection: keep-alive\r\n/i);
  });

  it('forwards 40 headers, repeated ones and non-ASCII bytes unchanged, and adds X-Forwarded-*', async () => {
    const many: string[] = [];
    for (let i = 0; i < 40; i++) many.push(`X-H${i}: value ${i}`);
    const utf8 = Buffer.from('X-Name: Zoë\r\n', 'utf8');
    const head = Buffer.concat([Buffer.from(`GET /headers HTTP/1.1\r\nHost: front.test\r\n${many.join('\r\n')}\r\n`), utf8, Buffer.from('Cookie: a\r\nCookie: b\r\n\r\n')]);
    const { text } = await raw(master.port, head, (t) => t.includes(']'));
    const seen = JSON.parse(Buffer.from(text.slice(text.indexOf('\r\n\r\n') + 4), 'latin1').toString('utf8')) as string[];
    const pairs: [string, string][] = [];
    for (let i = 0; i < seen.length; i += 2) pairs.push([seen[i], seen[i + 1]]);
    for (let i = 0; i < 40; i++) assert.ok(pairs.some(([n, v]) => n === `X-H${i}` && v === `value ${i}`), `X-H${i} arrived`);
    // The worker's Node reads header bytes as latin1; the same bytes as sent, read as UTF-8, are "Zoë".
    const name = pairs.find(([n]) => n === 'X-Name')![1];
    assert.equal(Buffer.from(name, 'latin1').toString('utf8'), 'Zoë');
    assert.deepEqual(pairs.filter(([n]) => n === 'Cookie').map(([, v]) => v), ['a', 'b']);
    assert.ok(pairs.some(([n, v]) => n === 'X-Forwarded-For' && v === '127.0.0.1'));
    assert.ok(pairs.some(([n, v]) => n === 'X-Forwarded-Host' && v === 'front.test'));
    assert.match(text, /\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n/);
    assert.match(text, /\r\nX-Latin1: caf\xe9\r\n/);
  });

  it('refuses malformed requests with 400 and oversized heads with 431, and goes on serving', async () => {
    const bad = await raw(master.port, 'GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    assert.match(bad.text, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.ok(bad.closed);
    const garbage = await raw(master.port, 'NOT HTTP AT ALL\r\n\r\n');
    assert.match(garbage.text, /^HTTP\/1\.1 400 /);
    const huge = await raw(master.port, `GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'y'.repeat(20_000)}\r\n\r\n`);
    assert.match(huge.text, /^HTTP\/1\.1 431 /);
    const ok = await request(master.port, { path: '/still' });
    assert.equal(String(ok.body), 'hello GET /still\n');
  });

  it('answers a head that stalls with 408 and closes; closes an idle keep-alive connection without a word', async () => {
    // Both after KEEP_ALIVE_TIMEOUT_MS (5 s) of silence; the raw() deadline bounds the wait.
    const stalled = await raw(master.port, 'GET /slow HTTP/1.1\r\nHost: localhost\r\n', () => false, 15_000);
    assert.match(stalled.text, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.ok(stalled.closed);
    const idle = await raw(master.port, 'GET /once HTTP/1.1\r\nHost: localhost\r\n\r\n', () => false, 15_000);
    assert.ok(idle.closed);
    assert.ok(idle.text.endsWith('hello GET /once\n'), 'nothing after the answer');
  });

  it('upgrades a connection that already carried ordinary requests', async () => {
    const key = crypto.randomBytes(16).toString('base64');
    const accept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
    const { text } = await raw(
      master.port,
      'GET /first HTTP/1.1\r\nHost: localhost\r\n\r\n' + `GET /ws HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`,
      (t) => t.includes(`Sec-WebSocket-Accept: ${accept}\r\n`) && t.endsWith('\r\n\r\n'),
      3000,
    );
    assert.match(text, /hello GET \/first\n/);
    assert.match(text, /HTTP\/1\.1 101 Switching Protocols\r\n/);
  });
});
