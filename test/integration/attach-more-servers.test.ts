/**
 * The uwsgi, puma and php-fpm presets against the real servers from Debian (uwsgi-core +
 * uwsgi-plugin-python3, puma, php-fpm), which scripts/setup-test-env.sh installs. A suite skips
 * only when its server is missing, as on a machine set up by hand.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { makeProject, writeFile } from '../helpers/project';
import { childPids, copyFixtures, get, isAlive, readPid, runAttach, startPhpFpm, startPuma, startUwsgi, stopAllServers, which } from './attach-servers';

const UWSGI = which('/usr/bin/uwsgi-core', '/usr/bin/uwsgi');
const PUMA = which('/usr/bin/puma', '/usr/local/bin/puma');
const FPM = which('/usr/sbin/php-fpm8.2', '/usr/sbin/php-fpm');

function rotated(before: number[], after: number[]): void {
  assert.equal(after.length, before.length, `as many workers as before (${before.join(', ')} → ${after.join(', ')})`);
  assert.deepEqual(after.filter((p) => before.includes(p)), [], 'no old worker is left');
}

describe('attach: uWSGI (uwsgi-core)', function () {
  this.timeout(60_000);
  before(function () {
    if (!UWSGI || !fs.existsSync('/usr/lib/uwsgi/plugins/python3_plugin.so')) this.skip();
  });
  afterEach(stopAllServers);

  const project = () => {
    const dir = makeProject({ 'version.txt': '1' }, 'attach-uwsgi');
    copyFixtures(dir, ['wsgi_app.py']);
    return dir;
  };

  it('reloads on SIGHUP: new workers, new code, same master', async () => {
    const dir = project();
    const server = await startUwsgi(dir, UWSGI!);
    const master = readPid(server.pidFile);
    const before = childPids(master);
    writeFile(dir, 'version.txt', '2');

    const run = await runAttach(['--preset', 'uwsgi', '--pid-file', server.pidFile, '--once', '--health', server.url, '--expect', 'v2'], { cwd: dir });

    assert.equal(run.code, 0, run.stderr + JSON.stringify(run.events));
    assert.equal(readPid(server.pidFile), master);
    rotated(before, childPids(master));
    assert.match((await get(server.url)).body, /^v2 /);
  });

  it('chain-reloads through the master FIFO with --fifo', async () => {
    const dir = project();
    const server = await startUwsgi(dir, UWSGI!);
    const master = readPid(server.pidFile);
    const before = childPids(master);
    writeFile(dir, 'version.txt', '2');

    const run = await runAttach(['--preset', 'uwsgi', '--pid-file', server.pidFile, '--fifo', server.fifo, '--once', '--health', server.url, '--expect', 'v2'], { cwd: dir });

    assert.equal(run.code, 0, run.stderr + JSON.stringify(run.events));
    assert.ok(run.events.some((e) => e.kind === 'reload-progress' && e.step.includes('chain reload')));
    rotated(before, childPids(master));
  });

  it('reports SR_ATTACH_SIGNAL_FAILED for a FIFO that nobody reads', async () => {
    const dir = project();
    const server = await startUwsgi(dir, UWSGI!);
    const before = childPids(readPid(server.pidFile));
    execFileSync('mkfifo', [path.join(dir, 'other.fifo')]);

    const run = await runAttach(['--preset', 'uwsgi', '--pid-file', server.pidFile, '--fifo', 'other.fifo', '--once'], { cwd: dir });

    assert.equal(run.code, 1);
    assert.equal(run.finding?.code, 'SR_ATTACH_SIGNAL_FAILED');
    assert.match(run.finding!.message, /nobody reads it/);
    assert.deepEqual(childPids(readPid(server.pidFile)), before);
  });
});

describe('attach: Puma (puma)', function () {
  this.timeout(90_000);
  before(function () {
    if (!PUMA) this.skip();
  });
  afterEach(stopAllServers);

  const project = () => {
    const dir = makeProject({ 'version.txt': '1' }, 'attach-puma');
    copyFixtures(dir, ['config.ru']);
    return dir;
  };

  it('phased-restarts on SIGUSR1: every worker replaced, new code served', async () => {
    const dir = project();
    const server = await startPuma(dir, PUMA!, ['-w', '2']);
    const master = readPid(server.pidFile);
    const before = childPids(master);
    writeFile(dir, 'version.txt', '2');

    const run = await runAttach(['--preset', 'puma', '--pid-file', server.pidFile, '--once', '--health', server.url, '--expect', 'v2', '--timeout', '30000'], { cwd: dir });

    assert.equal(run.code, 0, run.stderr + JSON.stringify(run.events));
    rotated(before, childPids(master));
    assert.match((await get(server.url)).body, /^v2 /);
  });

  it('reports SR_ATTACH_NO_WORKERS for Puma in single mode, and signals nothing', async () => {
    const dir = project();
    const server = await startPuma(dir, PUMA!);
    const master = readPid(server.pidFile);

    const run = await runAttach(['--preset', 'puma', '--pid-file', server.pidFile, '--once'], { cwd: dir });

    assert.equal(run.code, 1);
    assert.equal(run.finding?.code, 'SR_ATTACH_NO_WORKERS');
    assert.match(run.finding!.fix!, /puma -w 2/);
    assert.ok(isAlive(master));
  });
});

describe('attach: PHP-FPM (php8.2-fpm) behind nginx', function () {
  this.timeout(60_000);
  before(function () {
    if (!FPM) this.skip();
  });
  afterEach(stopAllServers);

  it('restarts the pool on SIGUSR2, so code OPcache kept is served new', async () => {
    const dir = makeProject({ 'index.php': '<?php echo "v1 ", getmypid(), "\\n";' }, 'attach-fpm');
    const { fpm, front } = await startPhpFpm(dir, FPM!);
    const master = readPid(fpm.pidFile);
    const before = childPids(master);
    assert.match((await get(front.url)).body, /^v1 /);
    assert.match((await get(front.url)).body, /^v1 /, 'both workers have v1 cached');
    writeFile(dir, 'index.php', '<?php echo "v2 ", getmypid(), "\\n";');
    assert.match((await get(front.url)).body, /^v1 /, 'OPcache does not look at the file again: only a reload brings v2');

    const run = await runAttach(['--preset', 'php-fpm', '--pid-file', fpm.pidFile, '--once', '--health', front.url, '--expect', 'v2'], { cwd: dir });

    assert.equal(run.code, 0, run.stderr + JSON.stringify(run.events));
    assert.equal(readPid(fpm.pidFile), master);
    rotated(before, childPids(master));
    assert.match((await get(front.url)).body, /^v2 /);
  });
});
