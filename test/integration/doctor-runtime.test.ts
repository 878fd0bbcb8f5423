/**
 * The doctor at run time, in a real master: the loaded-files check on each new worker
 * (findings source "doctor-runtime"), and SR_KILLED_AFTER_GRACE for a worker that ignores SIGTERM,
 * at its handler's file:line (the worker's inspector) with what was still open.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { MasterEvent } from '../../server/protocol';
import { CLI, startMaster, type RunningMaster } from '../helpers/master';
import { makeProject, versionApp } from '../helpers/project';
import { doctor, summary } from './doctor-helpers';

type FindingsEvent = Extract<MasterEvent, { kind: 'findings' }>;

function reload(dir: string): void {
  const r = spawnSync(process.execPath, [CLI, 'reload', '--cwd', dir, '--json'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `reload failed: ${r.stdout}${r.stderr}`);
}

/** The next doctor-runtime findings after `since` events. */
function runtimeFindings(master: RunningMaster, since: number): Promise<FindingsEvent> {
  return master.waitEvent('findings', (e) => e.source === 'doctor-runtime', 20_000, since);
}

describe('doctor at run time', function () {
  this.timeout(60_000);

  it('SR_STALE_CODE: a worker runs a module that was rewritten on disk after it loaded it; the next clean reload clears it', async () => {
    // A code generator that rewrites gen.js after the app loaded it, as a build in watch mode might.
    const dir = makeProject({
      'gen.js': 'module.exports = "v1";\n',
      'app.js': `const fs = require('node:fs');
const gen = require('./gen.js');
fs.writeFileSync(__dirname + '/gen.js', 'module.exports = "v2";\\n');
require('node:http').createServer((req, res) => res.end(gen)).listen(3000);
`,
    }, 'doctor-runtime');
    const master = await startMaster(dir, ['app.js', '--no-watch']);
    const first = await runtimeFindings(master, 0);
    assert.deepEqual(summary(first.findings), [`SR_STALE_CODE ${path.join(dir, 'gen.js')}:1`]);
    assert.match(first.findings[0].message, /^worker \d+ \(pid \d+\) runs a different version of gen\.js than the one on disk/);
    // The new worker loads v2 and writes v2 again: what it runs is what is on disk.
    const since = master.events.length;
    reload(dir);
    const second = await runtimeFindings(master, since);
    assert.deepEqual(second.findings, []);
  });

  it('clean twin: a worker that runs exactly the files on disk publishes an empty doctor-runtime list', async () => {
    const dir = makeProject({ 'app.js': versionApp(1) }, 'doctor-runtime');
    const master = await startMaster(dir, ['app.js', '--no-watch']);
    const e = await runtimeFindings(master, 0);
    assert.deepEqual(e.findings, []);
    assert.ok(!master.events.some((ev) => ev.kind === 'findings' && ev.findings.length), 'no findings of any source');
  });

  it('SR_KILLED_AFTER_GRACE: a worker whose SIGTERM handler does nothing is killed, naming what kept it open', async () => {
    const dir = makeProject({
      'smooth-reload.config.json': JSON.stringify({ entry: 'app.js', reload: { killTimeoutMs: 1000 } }),
      'app.js': `const http = require('node:http');
const server = http.createServer((req, res) => res.end('ok')).listen(3000);
setInterval(() => {}, 1000);
process.on('SIGTERM', () => {
  // Ignored: the server stays open and the interval keeps running.
});
`,
    }, 'doctor-killed');
    const master = await startMaster(dir, ['--no-watch']);
    await master.waitEvent('reload-done');
    const since = master.events.length;
    reload(dir);
    const killed = await master.waitEvent('findings', (e) => e.source.startsWith('killed:') && e.findings.length > 0, 20_000, since);
    const [f] = killed.findings;
    assert.equal(f.code, 'SR_KILLED_AFTER_GRACE');
    assert.match(f.message, /did not exit within 1000 ms of SIGTERM and was killed; still open: /);
    assert.match(f.message, /TCPServerWrap/, 'names the open server');
    assert.match(f.message, /Timeout/, 'names the interval');
    // Where the handler is, from the worker's inspector: the Problems panel shows it on that line.
    assert.match(f.message, /; SIGTERM handler at app\.js:4$/);
    assert.deepEqual([f.file, f.line], [path.join(dir, 'app.js'), 4]);
    // status lists it among the findings.
    const status = spawnSync(process.execPath, [CLI, 'status', '--cwd', dir], { encoding: 'utf8', timeout: 30_000 });
    assert.match(status.stdout, /SR_KILLED_AFTER_GRACE app\.js:4/);
    assert.equal(f.docs, 'docs/troubleshooting.md#sr_killed_after_grace');
    assert.ok(master.events.slice(since).some((e) => e.kind === 'worker' && e.event === 'killed'));
    // The static check points at the cause before any reload: the handler at line 4.
    assert.deepEqual(summary(doctor(dir).findings), [`SR_SIGTERM_NO_EXIT ${path.join(dir, 'app.js')}:4`]);
  });
});
