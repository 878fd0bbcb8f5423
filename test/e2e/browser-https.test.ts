/**
 * HTTPS in a real browser (Debian's headless Chromium, playwright-core): with `--https` the master
 * serves TLS with a self-signed certificate made for the project, the page's live-reload client
 * connects over wss, and a save reloads the page; with `"https": { "key", "cert" }` it serves the
 * user's own pair.
 */
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { makeCertificate } from '../../server/front/make-cert';
import { startMaster } from '../helpers/master';
import { makeProject, writeFile } from '../helpers/project';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const app = (version: string) => `require('node:http').createServer((req, res) => {
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end('<!doctype html><html><head><title>tls</title></head><body><h1 id="version">${version}</h1><p id="proto">' + (req.headers['x-forwarded-proto'] || '') + '</p></body></html>');
}).listen(Number(process.env.PORT));
`;

describe('HTTPS (headless Chromium)', function () {
  this.timeout(120_000);
  let context: BrowserContext | undefined;

  before(function () {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run "npm test" (its pretest installs Debian's chromium) or set CHROMIUM_PATH`);
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  async function open(url: string) {
    const profile = makeProject({}, 'chromium-profile');
    // The certificate is self-signed: the browser is told to accept it, as a user clicks through once.
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true, ignoreHTTPSErrors: true });
    const page = context.pages()[0] ?? (await context.newPage());
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await page.goto(url);
    await page.waitForFunction('window.__smoothReloadClient?.connected === true');
    return { page, sockets };
  }

  it('--https: the page loads over TLS, live reload runs over wss, and a save reloads the page', async () => {
    const dir = makeProject({ 'app.js': app('v1') }, 'tls');
    const master = await startMaster(dir, ['app.js', '--https']);
    await master.waitEvent('reload-done', (e) => e.ok);
    assert.match(master.url, /^https:\/\/localhost:\d+\/$/);
    const cert = new crypto.X509Certificate(fs.readFileSync(path.join(dir, '.smooth-reload', 'tls', 'cert.pem')));
    assert.equal(cert.checkHost('localhost'), 'localhost');
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal((fs.statSync(path.join(dir, '.smooth-reload', 'tls', 'key.pem')).mode & 0o777).toString(8), '600');

    const { page, sockets } = await open(master.url);
    assert.equal(await page.textContent('#version'), 'v1');
    assert.equal(await page.textContent('#proto'), 'https', 'the app hears the request came over https');
    assert.ok(sockets.some((u) => /^wss:\/\/localhost:\d+\/__smooth_reload\/ws$/.test(u)), `a wss socket: ${sockets.join(', ')}`);
    await page.evaluate('window.marker = 1');
    writeFile(dir, 'app.js', app('v2'));
    await page.waitForFunction(`document.querySelector('#version')?.textContent === 'v2'`, null, { timeout: 30_000 });
    assert.equal(await page.evaluate('window.marker'), undefined, 'the page reloaded');
  });

  it('"https": { "key", "cert" } serves the user’s pair and generates none', async () => {
    const pair = await makeCertificate({ dns: ['localhost'], ip: ['127.0.0.1'] }, 30);
    const dir = makeProject({ 'app.js': app('mine'), 'certs/key.pem': pair.key, 'certs/cert.pem': pair.cert, 'smooth-reload.config.json': JSON.stringify({ entry: 'app.js', https: { key: 'certs/key.pem', cert: 'certs/cert.pem' } }) }, 'tls-own');
    const master = await startMaster(dir, []);
    await master.waitEvent('reload-done', (e) => e.ok);
    const { page } = await open(master.url);
    assert.equal(await page.textContent('#version'), 'mine');
    const served = await page.evaluate(`fetch(location.href).then(() => 'ok')`);
    assert.equal(served, 'ok');
    assert.equal(fs.existsSync(path.join(dir, '.smooth-reload', 'tls')), false, 'no certificate generated');
  });
});
