/**
 * The two ways Smooth Reload ships. The .vsix as users install it: built by `vsce package` from dist/, it holds the four bundles
 * and the docs and no node_modules, and its CLI runs from an unpacked copy with no
 * node_modules anywhere above it (the master, the doctor and the attach command are bundled).
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { makeProject, versionApp } from '../helpers/project';
import { startMaster } from '../helpers/master';
import { get } from '../helpers/http';

const REPO = path.resolve(__dirname, '..', '..');
const VSCE = path.join(REPO, 'node_modules', '.bin', 'vsce');

describe('packaged extension (.vsix)', function () {
  this.timeout(120_000);

  it('holds dist/ and docs, no node_modules, and its CLI serves an app from an unpacked copy', async () => {
    const out = makeProject({}, 'vsix');
    const vsix = path.join(out, 'smooth-reload.vsix');
    execFileSync(VSCE, ['package', '--no-dependencies', '--allow-missing-repository', '--readme-path', 'docs/extension.md', '--out', vsix], { cwd: REPO, stdio: 'pipe' });
    const unpacked = path.join(out, 'unpacked');
    execFileSync('python3', ['-m', 'zipfile', '-e', vsix, unpacked]);
    const files = execFileSync('find', ['.', '-type', 'f'], { cwd: unpacked, encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    for (const f of ['cli.js', 'extension.js', 'bootstrap.js', 'worker-shim.js', 'standby.js', 'make-cert.js']) assert.ok(files.includes(`./extension/dist/${f}`), `${f} is packaged`);
    assert.ok(files.includes('./extension/docs/troubleshooting.md'), 'the troubleshooting docs the diagnostics link to');
    assert.deepEqual(files.filter((f) => f.includes('node_modules')), []);
    assert.ok(fs.statSync(vsix).size < 2 * 1024 * 1024, `small: ${fs.statSync(vsix).size} bytes`);

    const cli = path.join(unpacked, 'extension', 'dist', 'cli.js');
    assert.match(execFileSync(process.execPath, [cli, '--version'], { encoding: 'utf8' }), /^\d+\.\d+\.\d+/);
    const app = makeProject({ 'app.js': versionApp(7) }, 'vsix-app');
    const master = await startMaster(app, ['app.js', '--no-watch'], {}, cli);
    await master.waitEvent('reload-done');
    assert.match((await get(master.url)).body, /^v7 /);
    // HTTPS loads its certificate maker from the bundle folder (dist/make-cert.js).
    const tlsApp = makeProject({ 'app.js': versionApp(8) }, 'vsix-tls');
    const tls = await startMaster(tlsApp, ['app.js', '--no-watch', '--https'], {}, cli);
    await tls.waitEvent('reload-done');
    assert.match(tls.url, /^https:/);
    const body = await new Promise<string>((resolve, reject) => {
      https.get(tls.url, { rejectUnauthorized: false }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    assert.match(body, /^v8 /);
  });

  it('npm pack holds the CLI with its bundles, and the unpacked package serves an app through its bin', async () => {
    const out = makeProject({}, 'npm-pack');
    execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', out], { cwd: REPO, stdio: 'pipe' });
    const tarball = fs.readdirSync(out).find((f) => f.endsWith('.tgz'))!;
    execFileSync('tar', ['-xzf', path.join(out, tarball), '-C', out]);
    const pkg = path.join(out, 'package');
    for (const f of ['bin/smooth-reload.js', 'dist/cli.js', 'dist/bootstrap.js', 'dist/worker-shim.js', 'dist/standby.js', 'dist/make-cert.js', 'README.md']) assert.ok(fs.existsSync(path.join(pkg, f)), `${f} is in the package`);
    assert.equal(fs.existsSync(path.join(pkg, 'server')), false, 'sources stay out');
    const bin = path.join(pkg, 'bin', 'smooth-reload.js');
    const app = makeProject({ 'app.js': versionApp(8) }, 'npm-pack-app');
    const master = await startMaster(app, ['app.js', '--no-watch'], {}, bin);
    await master.waitEvent('reload-done');
    assert.match((await get(master.url)).body, /^v8 /);
  });
});
