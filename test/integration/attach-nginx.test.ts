import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeProject } from '../helpers/project';
import { childPids, get, isAlive, nginxConf, readPid, runAttach, startNginx, stopAllServers } from './attach-servers';

describe('attach: nginx (nginx-light)', function () {
  this.timeout(60_000);
  afterEach(stopAllServers);

  it('reloads on SIGHUP: worker pids rotate and the new configuration is served', async () => {
    const dir = makeProject({}, 'attach-nginx');
    const server = await startNginx(dir, 'v1');
    const master = readPid(server.pidFile);
    const before = childPids(master);
    assert.equal((await get(server.url)).body, 'v1\n');
    fs.writeFileSync(path.join(dir, 'nginx.conf'), nginxConf(dir, server.port, 'v2'));

    const run = await runAttach(['--preset', 'nginx', '--pid-file', server.pidFile, '--once', '--health', server.url, '--expect', 'v2'], { cwd: dir });

    assert.equal(run.code, 0, run.stderr + JSON.stringify(run.events));
    const after = childPids(master);
    assert.equal(after.length, before.length);
    assert.deepEqual(after.filter((p) => before.includes(p)), []);
    assert.ok(isAlive(master));
    assert.equal((await get(server.url)).body, 'v2\n');
  });

  it('reports SR_ATTACH_WORKERS_UNCHANGED when nginx refuses an invalid configuration, and it keeps serving', async () => {
    const dir = makeProject({}, 'attach-nginx');
    const server = await startNginx(dir, 'v1');
    const master = readPid(server.pidFile);
    const before = childPids(master);
    fs.writeFileSync(path.join(dir, 'nginx.conf'), nginxConf(dir, server.port, 'v2').replace('return 200', 'retrun 200'));

    const run = await runAttach(['--preset', 'nginx', '--pid-file', server.pidFile, '--once', '--timeout', '2000'], { cwd: dir });

    assert.equal(run.code, 1);
    assert.equal(run.finding?.code, 'SR_ATTACH_WORKERS_UNCHANGED');
    assert.match(run.finding!.fix!, /nginx -t/);
    assert.deepEqual(childPids(master), before);
    assert.equal((await get(server.url)).body, 'v1\n');
  });

  it('refuses a worker pid with SR_ATTACH_NOT_MASTER', async () => {
    const dir = makeProject({}, 'attach-nginx');
    const server = await startNginx(dir, 'v1');
    const master = readPid(server.pidFile);
    const before = childPids(master);
    fs.writeFileSync(path.join(dir, 'worker.pid'), `${before[1]}\n`);

    const run = await runAttach(['--preset', 'nginx', '--pid-file', 'worker.pid', '--once'], { cwd: dir });

    assert.equal(run.code, 1);
    assert.equal(run.finding?.code, 'SR_ATTACH_NOT_MASTER');
    assert.match(run.finding!.message, new RegExp(`master ${master}\\b`));
    assert.deepEqual(childPids(master), before);
  });
});
