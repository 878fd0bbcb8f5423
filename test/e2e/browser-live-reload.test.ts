/**
 * Live reload in a real browser (Debian's headless Chromium driven by playwright-core): a page
 * opened through the master reloads after a server file is saved, takes a CSS or image change
 * in public/ without reloading (a variable set on window survives), shows an overlay with the
 * file and line after a broken save, and loses it when the fix is saved.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { REPO, startMaster, type RunningMaster } from '../helpers/master';
import { makeProject, writeFile } from '../helpers/project';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const RESULTS = path.join(REPO, 'test-results');

function app(version: string, brokenLine = ''): string {
  return `const http = require('node:http');
const fs = require('node:fs');
${brokenLine}
const path = require('node:path');
const VERSION = ${JSON.stringify(version)};
const types = { '.css': 'text/css', '.svg': 'image/svg+xml' };
http.createServer((req, res) => {
  const file = req.url.split('?')[0];
  if (file === '/style.css' || file === '/logo.svg') {
    res.setHeader('Content-Type', types[path.extname(file)]);
    return res.end(fs.readFileSync(path.join(__dirname, 'public', file)));
  }
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  // What Express's res.send('ok') sends, an htmx-style fragment, and a page without <html>.
  if (file === '/ok') return res.end('ok');
  if (file === '/fragment') return res.end('<li>item</li>');
  if (file === '/bare') return res.end('<h1 id="bare">bare page</h1>');
  res.end('<!doctype html><html><head><title>e2e</title><link rel="stylesheet" href="/style.css"></head>' +
    '<body><h1 id="version">' + VERSION + '</h1><img id="logo" src="/logo.svg" alt="logo"></body></html>');
}).listen(3000);
`;
}

const svg = (width: number) => `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="10"><rect width="${width}" height="10" fill="green"/></svg>`;

describe('browser live reload (headless Chromium)', function () {
  this.timeout(120_000);
  let context: BrowserContext | undefined;
  let master: RunningMaster;
  let dir: string;
  let page: Page;

  before(function () {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run "npm test" (its pretest installs Debian's chromium) or set CHROMIUM_PATH`);
  });

  beforeEach(async () => {
    dir = makeProject({ 'app.js': app('v1'), 'public/style.css': 'h1 { color: rgb(255, 0, 0); }\n', 'public/logo.svg': svg(10) }, 'browser');
    master = await startMaster(dir, ['app.js']);
    await master.waitEvent('reload-done', (e) => e.ok);
    // A new profile per test, under the test root so a leftover browser fails the process check.
    const profile = makeProject({}, 'chromium-profile');
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true });
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto(master.url);
    assert.equal(await page.textContent('#version'), 'v1');
    // The client's socket is open (it got the master's hello).
    await page.waitForFunction('window.__smoothReloadClient?.connected === true');
    await page.evaluate('window.marker = 42');
  });

  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  // Page-side code is passed as strings: this file is type-checked without the DOM library.
  const marker = () => page.evaluate('window.marker');
  const shows = (version: string) => page.waitForFunction(`document.querySelector('#version')?.textContent === '${version}'`, null, { timeout: 30000 });
  const color = () => page.evaluate("getComputedStyle(document.querySelector('#version')).color");
  const logoWidth = () => page.evaluate("document.querySelector('#logo').naturalWidth");

  it('saving a server file reloads the page with the new content', async () => {
    writeFile(dir, 'app.js', app('v2'));
    await shows('v2');
    assert.equal(await marker(), undefined, 'the page was reloaded');
  });

  it('saving a CSS file in public/ changes the computed style without a page reload; an image updates too', async () => {
    const reloadsBefore = master.events.filter((e) => e.kind === 'reload-start').length;
    assert.equal(await color(), 'rgb(255, 0, 0)');
    writeFile(dir, 'public/style.css', 'h1 { color: rgb(0, 0, 255); }\n');
    await page.waitForFunction("getComputedStyle(document.querySelector('#version')).color === 'rgb(0, 0, 255)'", null, { timeout: 15000 });
    assert.equal(await marker(), 42, 'no page reload: the window variable survived');
    assert.equal(await page.$$eval('link[rel=stylesheet]', (links) => links.length), 1, 'the old stylesheet was replaced, not piled up');

    assert.equal(await logoWidth(), 10);
    writeFile(dir, 'public/logo.svg', svg(20));
    await page.waitForFunction("document.querySelector('#logo').naturalWidth === 20", null, { timeout: 15000 });
    assert.equal(await marker(), 42, 'no page reload for the image either');
    assert.equal(master.events.filter((e) => e.kind === 'reload-start').length, reloadsBefore, 'static files did not reload the workers');
  });

  it('a broken save shows an overlay with the file and line; the fix removes it and shows the new content', async () => {
    const since = master.events.length;
    writeFile(dir, 'app.js', app('v2', 'const broken = ;'));
    await master.waitEvent('reload-failed', () => true, 30000, since);
    await page.waitForSelector('#__smooth_reload_overlay', { timeout: 15000 });
    const where = await page.textContent('#__smooth_reload_overlay .__smooth_reload_file');
    assert.match(where ?? '', /^app\.js:3(:\d+)?$/);
    const message = await page.textContent('#__smooth_reload_overlay .__smooth_reload_message');
    assert.match(message ?? '', /SyntaxError|Unexpected token/);
    assert.equal(await marker(), 42, 'a failed reload does not reload the page');
    assert.equal(await page.textContent('#version'), 'v1', 'the previous version is still shown');
    fs.mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS, 'live-reload-overlay.png') });

    writeFile(dir, 'app.js', app('v3'));
    await shows('v3');
    assert.equal(await page.$('#__smooth_reload_overlay'), null, 'the overlay is gone');
  });

  it('error text with markup is shown as text, never run', async () => {
    const since = master.events.length;
    writeFile(dir, 'app.js', app('v2', `throw new Error('<img src=x onerror="window.pwned=1"><b>bold</b>');`));
    await master.waitEvent('reload-failed', () => true, 30000, since);
    await page.waitForSelector('#__smooth_reload_overlay', { timeout: 15000 });
    assert.match((await page.textContent('#__smooth_reload_overlay .__smooth_reload_message')) ?? '', /<img src=x onerror="window.pwned=1"><b>bold<\/b>/);
    assert.equal(await page.evaluate("document.querySelectorAll('#__smooth_reload_overlay img, #__smooth_reload_overlay b').length"), 0);
    assert.equal(await page.evaluate('window.pwned'), undefined);
  });

  it('only pages get the live-reload tag: fetch() answers and fragments come back as the app sent them', async () => {
    assert.equal(await page.evaluate("fetch('/ok').then((r) => r.text())"), 'ok');
    assert.equal(await page.evaluate("fetch('/fragment', { headers: { 'HX-Request': 'true' } }).then((r) => r.text())"), '<li>item</li>');
    assert.equal(await page.evaluate("new Promise((resolve) => { const x = new XMLHttpRequest(); x.open('GET', '/fragment'); x.onload = () => resolve(x.responseText); x.send(); })"), '<li>item</li>');
    // A page the browser navigates to gets it, <html> or not, and reloads on a save.
    await page.goto(`${master.url}bare`);
    await page.waitForFunction('window.__smoothReloadClient?.connected === true');
    assert.equal(await page.evaluate("document.querySelectorAll('script[src=\"/__smooth_reload/client.js\"]').length"), 1);
  });

  it('when the master restarts, the open page reconnects and reloads', async () => {
    const port = master.port;
    await master.stop();
    writeFile(dir, 'app.js', app('v2'));
    master = await startMaster(dir, ['app.js', '--port', String(port)]);
    await master.waitEvent('reload-done', (e) => e.ok);
    await shows('v2');
    assert.equal(await marker(), undefined, 'the page was reloaded');
  });
});
