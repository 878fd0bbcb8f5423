/**
 * Where serve runs: on Windows it refuses at once with the shared message; without /proc and
 * without lsof it warns, naming lsof, and still serves.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UNSUPPORTED_PLATFORM_EXIT, unsupportedPlatformMessage } from '../../server/platform';
import { get } from '../helpers/http';
import { CLI, startMaster } from '../helpers/master';
import { makeProject, versionApp } from '../helpers/project';

describe('platforms', function () {
  this.timeout(60_000);

  it('serve on Windows exits at once with the refusal that names WSL, and starts nothing', () => {
    const app = makeProject({ 'app.js': versionApp(1), 'as-windows.js': "Object.defineProperty(process, 'platform', { value: 'win32' });" }, 'win32');
    const r = spawnSync(process.execPath, ['--require', path.join(app, 'as-windows.js'), CLI, 'serve', 'app.js', '--port', '0'], { cwd: app, encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, UNSUPPORTED_PLATFORM_EXIT);
    assert.equal(r.stderr, `smooth-reload: ${unsupportedPlatformMessage('win32')}\n`);
    assert.match(r.stderr, /does not run on Windows: .*Use it in WSL/);
    assert.equal(r.stdout, '');
    assert.equal(fs.existsSync(path.join(app, '.smooth-reload')), false, 'no state file');
    assert.equal(unsupportedPlatformMessage('linux'), undefined);
    assert.equal(unsupportedPlatformMessage('darwin'), undefined);
  });

  it('serve without /proc and without lsof warns naming lsof, and serves', async () => {
    const app = makeProject({ 'app.js': versionApp(2) }, 'no-lsof');
    const bin = makeProject({}, 'no-lsof-bin');
    const ps = spawnSync('sh', ['-c', 'command -v ps'], { encoding: 'utf8' }).stdout.trim();
    fs.symlinkSync(ps, path.join(bin, 'ps'));
    const master = await startMaster(app, ['app.js', '--no-watch'], { PATH: bin, SMOOTH_RELOAD_PROCFS: 'off' });
    await master.waitEvent('reload-done');
    assert.match((await get(master.url)).body, /^v2 /);
    assert.ok(
      master.output.some((l) => l.startsWith('smooth-reload: warning: lsof is not installed (or not on PATH): Smooth Reload runs it to find the ports a process listens on')),
      master.output.join('\n'),
    );
    assert.ok(!master.output.some((l) => l.includes('ps is not installed')));
  });
});
