/**
 * Live reload without a browser: the client script is injected into HTML (any encoding, with a
 * correct Content-Length, `<head>`-less pages, CSP nonces) and nothing else; the socket tells
 * pages what changed: CSS and images in a static folder (no worker reload), code (reload),
 * a failed reload (error with file and line) and its fix.
 */
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import * as zlib from 'node:zlib';
import WebSocket from 'ws';
import { startMaster } from '../helpers/master';
import { waitFor } from '../helpers/processes';
import { makeProject, writeFile } from '../helpers/project';

const TAG = '<script src="/__smooth_reload/client.js"></script>';

const pagesApp = (version: number) => `const http = require('node:http');
const zlib = require('node:zlib');
const VERSION = ${version};
const page = '<!doctype html><html><head><title>t</title></head><body>v' + VERSION + ' é</body></html>';
const encoders = { gzip: zlib.gzipSync, deflate: zlib.deflateSync, br: zlib.brotliCompressSync };
http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const enc = url.searchParams.get('enc');
  if (url.pathname === '/page') {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    if (enc) {
      res.setHeader('Content-Encoding', enc);
      return res.end(encoders[enc](Buffer.from(page)));
    }
    return res.end(page);
  }
  if (url.pathname === '/chunked') {
    res.setHeader('Content-Type', 'text/html');
    res.write('<html><head>');
    setTimeout(() => res.end('</head><body>chunked</body></html>'), 20);
    return;
  }
  if (url.pathname === '/huge') {
    // 17 MiB of HTML in 1 MiB chunks, no Content-Length: past what the master buffers to inject.
    res.setHeader('Content-Type', 'text/html');
    res.write('<html><head></head><body>');
    let left = 17;
    const more = () => (left-- > 0 ? res.write('x'.repeat(1024 * 1024), more) : res.end('</body></html>'));
    return more();
  }
  if (url.pathname === '/headless') { res.setHeader('Content-Type', 'text/html'); return res.end('<body class="x"><p>no head</p></body>'); }
  if (url.pathname === '/fragment') { res.setHeader('Content-Type', 'text/html'); return res.end('<p>just a fragment</p>'); }
  if (url.pathname === '/header-tag') { res.setHeader('Content-Type', 'text/html'); return res.end('<header>site</header><p>x</p>'); }
  if (url.pathname === '/csp') {
    res.setHeader('Content-Type', 'text/html');
    res.setHeader('Content-Security-Policy', "default-src 'self'; script-src 'self' 'nonce-r4nd0m+/='");
    return res.end('<html><head></head><body>csp</body></html>');
  }
  if (url.pathname === '/json') { res.setHeader('Content-Type', 'application/json'); return res.end('{"html":"<head></head>"}'); }
  if (url.pathname === '/events') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    res.write('data: <head>\\n\\n');
    return setTimeout(() => res.end(), 50);
  }
  res.statusCode = 404;
  res.end();
}).listen(3000);
`;

function fetchRaw(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; statusMessage: string; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function decode(body: Buffer, encoding: string | undefined): string {
  if (encoding === 'gzip') return zlib.gunzipSync(body).toString();
  if (encoding === 'deflate') return zlib.inflateSync(body).toString();
  if (encoding === 'br') return zlib.brotliDecompressSync(body).toString();
  return body.toString();
}

describe('live reload: injection and events', function () {
  this.timeout(90_000);

  it('injects the client into HTML only, in every encoding, with a correct Content-Length', async () => {
    const dir = makeProject({ 'app.js': pagesApp(1) }, 'inject');
    const master = await startMaster(dir, ['app.js']);
    await master.waitEvent('reload-done', (e) => e.ok);
    for (const enc of ['', 'gzip', 'deflate', 'br']) {
      const res = await fetchRaw(`${master.url}page${enc ? `?enc=${enc}` : ''}`, { 'Accept-Encoding': 'gzip, deflate, br' });
      assert.equal(Number(res.headers['content-length']), res.body.length, `${enc || 'identity'}: Content-Length matches the body`);
      assert.equal(res.statusMessage, 'OK', 'the rewritten response keeps the status line');
      assert.equal(res.headers['content-encoding'], enc || undefined);
      assert.equal(decode(res.body, enc || undefined), `<!doctype html><html><head>${TAG}<title>t</title></head><body>v1 é</body></html>`, `${enc || 'identity'}`);
    }
    const chunked = await fetchRaw(`${master.url}chunked`);
    assert.equal(chunked.body.toString(), `<html><head>${TAG}</head><body>chunked</body></html>`);
    assert.equal(Number(chunked.headers['content-length']), chunked.body.length);
    assert.equal((await fetchRaw(`${master.url}headless`)).body.toString(), `<body class="x">${TAG}<p>no head</p></body>`);
    // A fragment is a page only when the browser navigates to it; fetch()/XHR/htmx answers and
    // fragments a request does not call a navigation are left as the app sent them.
    const nav = { 'Sec-Fetch-Dest': 'document' };
    assert.equal((await fetchRaw(`${master.url}fragment`, nav)).body.toString(), `${TAG}<p>just a fragment</p>`);
    assert.equal((await fetchRaw(`${master.url}header-tag`, nav)).body.toString(), `${TAG}<header>site</header><p>x</p>`);
    assert.equal((await fetchRaw(`${master.url}fragment`)).body.toString(), '<p>just a fragment</p>');
    for (const headers of [{ 'Sec-Fetch-Dest': 'empty' }, { 'HX-Request': 'true' }, { 'X-Requested-With': 'XMLHttpRequest' }] as Record<string, string>[]) {
      const res = await fetchRaw(`${master.url}page`, headers);
      assert.equal(res.body.toString(), '<!doctype html><html><head><title>t</title></head><body>v1 é</body></html>', JSON.stringify(headers));
      assert.equal(res.headers.vary, 'Sec-Fetch-Dest, HX-Request, X-Requested-With');
    }
    assert.equal((await fetchRaw(`${master.url}page`, { 'Sec-Fetch-Dest': 'iframe' })).body.toString(), `<!doctype html><html><head>${TAG}<title>t</title></head><body>v1 é</body></html>`);
    assert.equal((await fetchRaw(`${master.url}page`)).headers.vary, 'Sec-Fetch-Dest, HX-Request, X-Requested-With', 'an injected page varies on what decided it');
    assert.equal(
      (await fetchRaw(`${master.url}csp`)).body.toString(),
      `<html><head><script src="/__smooth_reload/client.js" nonce="r4nd0m+/="></script></head><body>csp</body></html>`,
    );
    assert.equal((await fetchRaw(`${master.url}json`)).body.toString(), '{"html":"<head></head>"}');
    assert.equal((await fetchRaw(`${master.url}events`)).body.toString(), 'data: <head>\n\n');
    const head = await fetchRaw(`${master.url}page`, {}, 'HEAD');
    assert.equal(head.body.length, 0);
    // Past 16 MiB without a Content-Length: passed through as it came, not buffered further.
    const huge = await fetchRaw(`${master.url}huge`);
    assert.equal(huge.statusMessage, 'OK');
    assert.equal(huge.body.length, '<html><head></head><body>'.length + 17 * 1024 * 1024 + '</body></html>'.length);
    assert.ok(!huge.body.includes(TAG), 'nothing injected');
  });

  it('injects nothing when "liveReload" is false', async () => {
    const dir = makeProject({ 'app.js': pagesApp(1), 'smooth-reload.config.json': JSON.stringify({ entry: 'app.js', liveReload: false }) }, 'off');
    const master = await startMaster(dir, []);
    await master.waitEvent('reload-done', (e) => e.ok);
    assert.equal((await fetchRaw(`${master.url}page`)).body.toString(), '<!doctype html><html><head><title>t</title></head><body>v1 é</body></html>');
    assert.equal((await fetchRaw(`${master.url}__smooth_reload/client.js`)).status, 404);
  });

  it('tells pages: CSS and images in public/ (no worker reload), code (reload), a failed reload with file and line, and its fix', async () => {
    const dir = makeProject({ 'app.js': pagesApp(1), 'public/style.css': 'body { color: red }', 'public/logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>' }, 'events');
    const master = await startMaster(dir, ['app.js']);
    await master.waitEvent('reload-done', (e) => e.ok);
    const ws = new WebSocket(`${master.url.replace(/^http/, 'ws')}__smooth_reload/ws`, { origin: master.url.replace(/\/$/, '') });
    const messages: { type: string; files?: string[]; error?: { file?: string; line?: number; message: string } }[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(String(d))));
    try {
      await waitFor('hello', () => messages.some((m) => m.type === 'hello'));
      const reloadsBefore = master.events.filter((e) => e.kind === 'reload-start').length;

      writeFile(dir, 'public/style.css', 'body { color: blue }');
      const css = await waitFor('a css message', () => messages.find((m) => m.type === 'css'), 10000);
      assert.deepEqual(css.files, ['public/style.css']);
      writeFile(dir, 'public/logo.svg', '<svg xmlns="http://www.w3.org/2000/svg" width="2"/>');
      const asset = await waitFor('an asset message', () => messages.find((m) => m.type === 'asset'), 10000);
      assert.deepEqual(asset.files, ['public/logo.svg']);
      assert.equal(master.events.filter((e) => e.kind === 'reload-start').length, reloadsBefore, 'static files do not reload workers');

      let since = master.events.length;
      writeFile(dir, 'app.js', pagesApp(2));
      await master.waitEvent('reload-done', () => true, 30000, since);
      await waitFor('a reload message', () => messages.some((m) => m.type === 'reload'), 10000);

      since = master.events.length;
      writeFile(dir, 'app.js', pagesApp(3).replace("const zlib = require('node:zlib');", "const zlib = require('node:zlib');\nundefinedFunction();"));
      await master.waitEvent('reload-failed', () => true, 30000, since);
      const failed = await waitFor('an error message', () => messages.find((m) => m.type === 'error'), 10000);
      assert.equal(failed.error?.file, 'app.js');
      assert.equal(failed.error?.line, 3);
      assert.match(failed.error?.message ?? '', /undefinedFunction is not defined/);

      const reloadsSeen = messages.filter((m) => m.type === 'reload').length;
      since = master.events.length;
      writeFile(dir, 'app.js', pagesApp(4));
      await master.waitEvent('reload-done', () => true, 30000, since);
      await waitFor('ok and reload', () => messages.some((m) => m.type === 'ok') && messages.filter((m) => m.type === 'reload').length > reloadsSeen, 10000);
      assert.match((await fetchRaw(`${master.url}page`)).body.toString(), /v4/);
    } finally {
      ws.terminate();
    }
  });
});
