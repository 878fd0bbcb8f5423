/**
 * `envFile` through the real CLI: `.env` (or the configured file) sets the workers' variables; a
 * change to it reloads the workers with the new values, through the warm standby when it can take
 * them and a fresh process when the standby holds a variable the file dropped; the shell and the
 * config's "env" win over the file.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { get } from '../helpers/http';
import { runCli, startMaster, type RunningMaster } from '../helpers/master';
import { makeProject, writeFile } from '../helpers/project';
import { waitFor } from '../helpers/processes';
import type { MasterStatus } from '../../server/protocol';

const app = `const http = require('node:http');
http.createServer((req, res) => res.end(['GREETING', 'OTHER'].map((k) => k + '=' + (process.env[k] ?? 'unset')).join(' ') + ' pid=' + process.pid)).listen(3000);
`;

async function body(master: RunningMaster): Promise<string> {
  return (await get(master.url, { agent: false })).body;
}

async function parkedStandby(dir: string): Promise<number> {
  return waitFor('a parked standby', async () => {
    const s = JSON.parse((await runCli(dir, 'status', '--json')).stdout) as MasterStatus;
    return s.standby && s.standby.pids.length === 1 && s.standby.pids[0];
  }, 20_000, 100);
}

function readyPid(master: RunningMaster, generation: number): number | undefined {
  return (master.events.find((e) => e.kind === 'worker' && e.event === 'ready' && e.generation === generation) as { pid?: number } | undefined)?.pid;
}

describe('envFile (.env)', function () {
  this.timeout(60_000);

  it('loads .env; a change reloads with the new values (the standby takes them; one holding a dropped variable is not used)', async () => {
    const dir = makeProject({ 'app.js': app, '.env': 'GREETING=one\n# a comment\nOTHER="quoted value"\n' });
    const master = await startMaster(dir, ['app.js']);
    await master.waitEvent('reload-done');
    assert.match(await body(master), /^GREETING=one OTHER=quoted value pid=/);

    const standby = await parkedStandby(dir);
    writeFile(dir, '.env', 'GREETING=two\nOTHER=x\n');
    await master.waitEvent('reload-done', (e) => e.generation === 2);
    assert.match(await body(master), /^GREETING=two OTHER=x pid=/);
    assert.equal(readyPid(master, 2), standby, 'the standby became the worker, with the new values');

    const standby2 = await parkedStandby(dir);
    writeFile(dir, '.env', 'OTHER=y\n');
    await master.waitEvent('reload-done', (e) => e.generation === 3);
    assert.match(await body(master), /^GREETING=unset OTHER=y pid=/);
    assert.notEqual(readyPid(master, 3), standby2, 'a standby that has GREETING cannot drop it: a fresh process ran');
  });

  it('the shell wins over the file, the config\'s "env" over both', async () => {
    const dir = makeProject({ 'app.js': app, '.env': 'GREETING=file\nOTHER=file\n', 'smooth-reload.config.json': JSON.stringify({ env: { OTHER: 'config' } }) });
    const master = await startMaster(dir, ['app.js', '--no-watch'], { GREETING: 'shell', OTHER: 'shell' });
    await master.waitEvent('reload-done');
    assert.match(await body(master), /^GREETING=shell OTHER=config pid=/);
  });

  it('"envFile" names another file; false reads none; a missing named file is a config error', async () => {
    const dir = makeProject({ 'app.js': app, '.env': 'GREETING=dotenv\n', 'config/dev.env': 'GREETING=dev\n', 'smooth-reload.config.json': JSON.stringify({ envFile: 'config/dev.env' }) });
    const master = await startMaster(dir, ['app.js', '--no-watch']);
    await master.waitEvent('reload-done');
    assert.match(await body(master), /^GREETING=dev /);
    await master.stop();

    writeFile(dir, 'smooth-reload.config.json', JSON.stringify({ envFile: false }));
    const again = await startMaster(dir, ['app.js', '--no-watch']);
    await again.waitEvent('reload-done');
    assert.match(await body(again), /^GREETING=unset /);
    await again.stop();

    writeFile(dir, 'smooth-reload.config.json', JSON.stringify({ envFile: 'nope.env' }));
    const out = await runCli(dir, 'serve', 'app.js', '--port', '0');
    assert.equal(out.code, 64);
    assert.ok(out.stderr.includes(`env file not found: ${path.join(dir, 'nope.env')}`), out.stderr);
  });
});
