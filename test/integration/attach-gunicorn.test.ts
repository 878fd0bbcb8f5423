import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeProject, TEST_ROOT, writeFile } from '../helpers/project';
import {
  childPids,
  copyFixtures,
  get,
  isAlive,
  PYTHON,
  readPid,
  runAttach,
  startAttachWatch,
  startGroup,
  startGunicorn,
  stopAllServers,
  waitFor,
} from './attach-servers';

function gunicornProject(version = '1'): string {
  const dir = makeProject({ 'version.txt': version }, 'attach-gunicorn');
  copyFixtures(dir, ['wsgi_app.py']);
  return dir;
}

describe('attach: gunicorn (python3-gunicorn)', function () {
  this.timeout(90_000);
  afterEach(stopAllServers);

  it('reloads on --once: every worker pid rotates and the new code is served', async () => {
    const dir = gunicornProject('1');
    const server = await startGunicorn(dir);
    const master = readPid(server.pidFile);
    const before = childPids(master);
    assert.match((await get(server.url)).body, /^v1 /);
    writeFile(dir, 'version.txt', '2');

    const run = await runAttach(['--preset', 'gunicorn', '--pid-file', server.pidFile, '--once', '--health', server.url, '--expect', 'v2'], { cwd: dir });

    assert.equal(run.code, 0, run.stderr + JSON.stringify(run.events));
    assert.deepEqual(run.events.map((e) => e.kind).filter((k) => k !== 'reload-progress'), ['reload-start', 'reload-done', 'findings']);
    const after = childPids(master);
    assert.equal(after.length, 2);
    assert.deepEqual(after.filter((p) => before.includes(p)), [], 'no old worker is left');
    assert.ok(isAlive(master), 'the master stays');
    assert.match((await get(server.url)).body, /^v2 /);
  });

  it('watches: a saved .py file reloads gunicorn, and the new code is served', async () => {
    const dir = gunicornProject('1');
    const server = await startGunicorn(dir);
    const before = childPids(readPid(server.pidFile));
    const attach = startAttachWatch(['--preset', 'gunicorn', '--pid-file', server.pidFile, '--health', server.url, '--expect', 'v2', '--debounce', '50'], dir);
    await attach.waitEvent('log', (e) => /watching/.test(e.message));
    writeFile(dir, 'version.txt', '2');
    fs.appendFileSync(path.join(dir, 'wsgi_app.py'), '\n# saved\n');

    const done = await attach.waitEvent('reload-done');
    const start = attach.events.find((e) => e.kind === 'reload-start') as { files?: string[] };
    assert.deepEqual(start.files, ['wsgi_app.py']);
    assert.equal(done.generation, 1);
    assert.deepEqual(childPids(readPid(server.pidFile)).filter((p) => before.includes(p)), []);
    assert.match((await get(server.url)).body, /^v2 /);
    assert.equal(await attach.stop(), 0);
  });

  it('reads the attach section of smooth-reload.config.json', async () => {
    const dir = gunicornProject('1');
    const server = await startGunicorn(dir);
    writeFile(dir, 'version.txt', '2');
    writeFile(dir, 'smooth-reload.config.json', JSON.stringify({ attach: { preset: 'gunicorn', pidFile: 'gunicorn.pid', health: server.url, expect: '/^v2 \\d+/' } }));

    const run = await runAttach(['--once'], { cwd: dir });

    assert.equal(run.code, 0, run.stderr + JSON.stringify(run.events));
    assert.match((await get(server.url)).body, /^v2 /);
  });

  it('reports SR_ATTACH_STALE_CODE when --preload makes new workers fork the old code', async () => {
    const dir = gunicornProject('1');
    const server = await startGunicorn(dir, ['--preload']);
    const before = childPids(readPid(server.pidFile));
    writeFile(dir, 'version.txt', '2');

    const run = await runAttach(['--preset', 'gunicorn', '--pid-file', server.pidFile, '--once', '--health', server.url, '--expect', 'v2', '--timeout', '3000'], { cwd: dir });

    assert.equal(run.code, 1);
    assert.equal(run.finding?.code, 'SR_ATTACH_STALE_CODE');
    assert.match(run.finding!.fix!, /preload/);
    assert.deepEqual(childPids(readPid(server.pidFile)).filter((p) => before.includes(p)), [], 'the workers did rotate');
    assert.match((await get(server.url)).body, /^v1 /);
  });

  it('refuses a worker pid with SR_ATTACH_NOT_MASTER, naming the master, and signals nothing', async () => {
    const dir = gunicornProject();
    const server = await startGunicorn(dir);
    const master = readPid(server.pidFile);
    const before = childPids(master);
    writeFile(dir, 'worker.pid', String(before[0]));

    const run = await runAttach(['--preset', 'gunicorn', '--pid-file', path.join(dir, 'worker.pid'), '--once'], { cwd: dir });

    assert.equal(run.code, 1);
    assert.equal(run.finding?.code, 'SR_ATTACH_NOT_MASTER');
    assert.match(run.finding!.message, new RegExp(`master ${master}\\b`));
    assert.deepEqual(childPids(master), before, 'the workers are untouched');
  });

  it('refuses an unrelated process with SR_ATTACH_NOT_SERVER and leaves it running', async () => {
    const dir = gunicornProject();
    const { proc } = startGroup('sleep', ['300'], { cwd: dir });
    writeFile(dir, 'other.pid', String(proc.pid));

    const run = await runAttach(['--preset', 'gunicorn', '--pid-file', path.join(dir, 'other.pid'), '--once'], { cwd: dir });

    assert.equal(run.code, 1);
    assert.equal(run.finding?.code, 'SR_ATTACH_NOT_SERVER');
    assert.ok(isAlive(proc.pid!), 'the unrelated process got no signal');
  });

  it('reports a stale pid file (dead pid) with SR_ATTACH_STALE_PID and exit 2', async () => {
    const dir = gunicornProject();
    const server = await startGunicorn(dir);
    const master = readPid(server.pidFile);
    const stale = path.join(dir, 'stale.pid');
    fs.copyFileSync(server.pidFile, stale);
    await stopAllServers();
    await waitFor('gunicorn to exit', () => !isAlive(master));

    const run = await runAttach(['--preset', 'gunicorn', '--pid-file', stale, '--once'], { cwd: dir });

    assert.equal(run.code, 2);
    assert.equal(run.finding?.code, 'SR_ATTACH_STALE_PID');
  });

  it('reports a missing pid file with SR_ATTACH_PID_FILE_MISSING and exit 2', async () => {
    const dir = gunicornProject();
    const run = await runAttach(['--preset', 'gunicorn', '--pid-file', 'nowhere.pid', '--once'], { cwd: dir });
    assert.equal(run.code, 2);
    assert.equal(run.finding?.code, 'SR_ATTACH_PID_FILE_MISSING');
    assert.equal(run.finding?.file, path.join(dir, 'nowhere.pid'));
  });

  it('reports SR_ATTACH_WORKERS_UNCHANGED for a master that ignores SIGHUP', async () => {
    const dir = makeProject({}, 'attach-ignoring');
    copyFixtures(dir, ['hup_ignoring_master.py']);
    const pidFile = path.join(dir, 'master.pid');
    startGroup(PYTHON, ['hup_ignoring_master.py', pidFile], { cwd: dir });
    const master = await waitFor('the master to write its pid and fork', () => {
      const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8')) : 0;
      return pid > 0 && childPids(pid).length === 1 ? pid : undefined;
    });
    const before = childPids(master);

    const run = await runAttach(['--preset', 'gunicorn', '--process-name', 'hup_ignoring_master', '--pid-file', pidFile, '--once', '--timeout', '1500'], { cwd: dir });

    assert.equal(run.code, 1);
    assert.equal(run.finding?.code, 'SR_ATTACH_WORKERS_UNCHANGED');
    assert.ok(isAlive(master));
    assert.deepEqual(childPids(master), before);
  });

  it('reports SR_ATTACH_EPERM when the master belongs to another user', async function () {
    if (process.getuid?.() !== 0) this.skip();
    const dir = gunicornProject();
    const server = await startGunicorn(dir);
    const before = childPids(readPid(server.pidFile));
    // The unprivileged attach must reach the pid file: let others through the test folders.
    fs.chmodSync(TEST_ROOT, 0o711);
    fs.chmodSync(dir, 0o755);
    try {
      const run = await runAttach(['--preset', 'gunicorn', '--pid-file', server.pidFile, '--once'], { cwd: dir, uid: 65534 });
      assert.equal(run.code, 1, run.stderr);
      assert.equal(run.finding?.code, 'SR_ATTACH_EPERM');
      assert.match(run.finding!.message, /uid 0/);
    } finally {
      fs.chmodSync(TEST_ROOT, 0o700);
    }
    assert.deepEqual(childPids(readPid(server.pidFile)), before);
  });
});
