/**
 * The swoole preset against a PHP (pcntl) stand-in with Swoole's process shape and reload protocol
 * (test/fixtures/attach/swoole_server.php): Swoole itself is not packaged in Debian.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeProject } from '../helpers/project';
import { childPids, copyFixtures, get, isAlive, readPid, runAttach, startSwooleStandIn, stopAllServers } from './attach-servers';

function swooleProject(): string {
  const dir = makeProject({}, 'attach-swoole');
  copyFixtures(dir, ['swoole_server.php', 'handler.php']);
  return dir;
}

function saveVersion(dir: string, version: string): void {
  const file = path.join(dir, 'handler.php');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/'v\d+'/, `'${version}'`));
}

/** Workers are the manager's children: master -> manager -> workers. */
function workers(master: number): number[] {
  const [manager] = childPids(master);
  return childPids(manager);
}

describe('attach: swoole preset (PHP stand-in)', function () {
  this.timeout(60_000);
  afterEach(stopAllServers);

  it("finds pid_file in the script's set([...]) and reloads every worker on SIGUSR1", async () => {
    const dir = swooleProject();
    const server = await startSwooleStandIn(dir);
    const master = readPid(server.pidFile);
    const manager = childPids(master)[0];
    const before = workers(master);
    assert.match((await get(server.url)).body, /^v1 /);
    saveVersion(dir, 'v2');

    // No --pid-file: the preset reads 'pid_file' => __DIR__ . '/swoole.pid' from swoole_server.php.
    const run = await runAttach(['--preset', 'swoole', '--once', '--health', server.url, '--expect', '/^v2 \\d+$/m'], { cwd: dir });

    assert.equal(run.code, 0, run.stderr + JSON.stringify(run.events));
    const steps = run.events.flatMap((e) => (e.kind === 'reload-progress' ? [e.step] : []));
    assert.ok(steps.some((s) => s.includes(server.pidFile)), steps.join('\n'));
    assert.deepEqual(childPids(master), [manager], 'the manager stays');
    const after = workers(master);
    assert.equal(after.length, 3, 'two workers and a task worker');
    assert.deepEqual(after.filter((p) => before.includes(p)), []);
    assert.match((await get(server.url)).body, /^v2 /);
  });

  it('reloads only the task workers on --signal USR2', async () => {
    const dir = swooleProject();
    const server = await startSwooleStandIn(dir);
    const master = readPid(server.pidFile);
    const before = workers(master);

    const run = await runAttach(['--preset', 'swoole', '--signal', 'SIGUSR2', '--once'], { cwd: dir });

    assert.equal(run.code, 0, run.stderr + JSON.stringify(run.events));
    const after = workers(master);
    assert.equal(after.length, 3);
    assert.equal(after.filter((p) => before.includes(p)).length, 2, 'the two HTTP workers stay, the task worker is new');
    assert.match((await get(server.url)).body, /^v1 /);
  });

  it('reports SR_ATTACH_WORKERS_UNCHANGED when the master has no SIGUSR1 handler', async () => {
    const dir = swooleProject();
    const server = await startSwooleStandIn(dir, 'no-reload');
    const master = readPid(server.pidFile);
    const before = workers(master);

    const run = await runAttach(['--preset', 'swoole', '--script', 'swoole_server.php', '--once', '--timeout', '1500'], { cwd: dir });

    assert.equal(run.code, 1);
    assert.equal(run.finding?.code, 'SR_ATTACH_WORKERS_UNCHANGED');
    assert.ok(isAlive(master));
    assert.deepEqual(workers(master), before);
  });

  it('reports SR_ATTACH_STALE_CODE when the app is included before start()', async () => {
    const dir = swooleProject();
    const server = await startSwooleStandIn(dir, 'preload');
    const before = workers(readPid(server.pidFile));
    saveVersion(dir, 'v2');

    const run = await runAttach(['--preset', 'swoole', '--pid-file', 'swoole.pid', '--once', '--health', server.url, '--expect', 'v2', '--timeout', '2000'], { cwd: dir });

    assert.equal(run.code, 1);
    assert.equal(run.finding?.code, 'SR_ATTACH_STALE_CODE');
    assert.match(run.finding!.fix!, /onWorkerStart/);
    assert.deepEqual(workers(readPid(server.pidFile)).filter((p) => before.includes(p)), [], 'the workers did rotate');
  });

  it("refuses the manager's pid with SR_ATTACH_NOT_MASTER, naming the master", async () => {
    const dir = swooleProject();
    const server = await startSwooleStandIn(dir);
    const master = readPid(server.pidFile);
    const before = workers(master);
    fs.writeFileSync(path.join(dir, 'manager.pid'), String(childPids(master)[0]));

    const run = await runAttach(['--preset', 'swoole', '--pid-file', 'manager.pid', '--once'], { cwd: dir });

    assert.equal(run.code, 1);
    assert.equal(run.finding?.code, 'SR_ATTACH_NOT_MASTER');
    assert.match(run.finding!.message, new RegExp(`master ${master}\\b`));
    assert.deepEqual(workers(master), before);
  });
});
