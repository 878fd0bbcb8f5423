/**
 * Warm standbys: after a reload the master boots one Node process per worker that waits, with
 * Node and the safe preloads loaded, for the next reload. These tests check that a reload really
 * runs in those processes, that they run the code saved after they booted, and that they are not
 * used when they could hold app code loaded too early.
 */
import { strict as assert } from 'node:assert';
import { get } from '../helpers/http';
import { runCli, startMaster, type RunningMaster } from '../helpers/master';
import { makeProject, versionApp, writeFile } from '../helpers/project';
import { isAlive, waitFor } from '../helpers/processes';
import type { MasterStatus } from '../../server/protocol';

async function status(dir: string): Promise<MasterStatus> {
  const out = await runCli(dir, 'status', '--json');
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout) as MasterStatus;
}

/** Wait until `count` standbys are parked; returns their pids. */
async function parkedStandbys(dir: string, count: number): Promise<number[]> {
  return waitFor(`${count} parked standbys`, async () => {
    const s = await status(dir);
    return s.standby && s.standby.pids.length === count && s.standby.pids;
  }, 20_000, 100);
}

/** Pids of the workers that became ready during the reload with this id. */
function readyPids(master: RunningMaster, generation: number): number[] {
  return master.events.filter((e) => e.kind === 'worker' && e.event === 'ready' && e.generation === generation).map((e) => (e as { pid: number }).pid);
}

describe('warm standbys', function () {
  this.timeout(60_000);

  it('a reload runs the new code in the processes booted before the save, as the main module', async () => {
    const app = (v: number) => versionApp(v).replace("res.end('v' + VERSION", "res.end((require.main === module ? 'main ' : 'not-main ') + process.argv[1].split('/').pop() + ' v' + VERSION");
    const dir = makeProject({ 'app.js': app(1) });
    const master = await startMaster(dir, ['app.js', '--no-watch', '--workers', '2']);
    await master.waitEvent('reload-done');
    for (let v = 2; v <= 3; v++) {
      const standbys = await parkedStandbys(dir, 2);
      writeFile(dir, 'app.js', app(v));
      assert.equal((await runCli(dir, 'reload')).code, 0);
      assert.deepEqual(readyPids(master, v).sort(), [...standbys].sort(), `generation ${v} runs in the standbys`);
      for (let i = 0; i < 4; i++) assert.match((await get(master.url, { agent: false })).body, new RegExp(`^main app\\.js v${v} `));
    }
  });

  it('a save that throws at start fails in the standby with the file and line, and the old code keeps serving', async () => {
    const dir = makeProject({ 'app.js': versionApp(1) });
    const master = await startMaster(dir, ['app.js', '--no-watch']);
    await master.waitEvent('reload-done');
    const [standby] = await parkedStandbys(dir, 1);
    writeFile(dir, 'app.js', `const ok = 1;\nthrow new Error('broken at start');\n`);
    const out = await runCli(dir, 'reload', '--json');
    assert.equal(out.code, 1, out.stdout);
    const finding = JSON.parse(out.stdout).finding;
    assert.equal(finding.code, 'SR_BOOT_CRASH');
    assert.match(finding.message, /broken at start/);
    assert.match(finding.file, /app\.js$/);
    assert.equal(finding.line, 2);
    const spawned = master.events.find((e) => e.kind === 'worker' && e.event === 'spawn' && e.generation === 2) as { pid?: number } | undefined;
    assert.equal(spawned?.pid, standby, 'the broken code ran in the standby');
    assert.match((await get(master.url)).body, /^v1 /);
  });

  it('runs ES module and TypeScript (--import tsx) entries from a standby', async () => {
    const mjs = (v: number) => `import http from 'node:http';\nhttp.createServer((q, r) => r.end('mjs v${v} ' + (import.meta.url.endsWith('/app.mjs')))).listen(3000);\n`;
    const ts = (v: number) => `import * as http from 'node:http';\nconst v: number = ${v};\nhttp.createServer((q, r) => r.end('ts v' + v)).listen(3000);\n`;
    for (const [entry, source, args, expect] of [
      ['app.mjs', mjs, [], (v: number) => new RegExp(`^mjs v${v} true$`)],
      // require.resolve('tsx') is tsx's loader inside its package, a preload standbys accept.
      ['app.ts', ts, [`--node-arg=--import=${require.resolve('tsx')}`], (v: number) => new RegExp(`^ts v${v}$`)],
    ] as const) {
      const dir = makeProject({ [entry]: source(1) }, entry.replace('.', '-'));
      const master = await startMaster(dir, [entry, '--no-watch', ...args]);
      await master.waitEvent('reload-done');
      const [standby] = await parkedStandbys(dir, 1);
      writeFile(dir, entry, source(2));
      assert.equal((await runCli(dir, 'reload')).code, 0);
      assert.deepEqual(readyPids(master, 2), [standby]);
      assert.match((await get(master.url)).body, expect(2));
      await master.stop();
    }
  });

  it('are off when nodeArgs preload the app\'s own code, and a change to that preload is served', async () => {
    const dir = makeProject({ 'app.js': versionApp(1).replace("res.end('v' + VERSION", "res.end(globalThis.preloaded + ' v' + VERSION"), 'setup.js': 'globalThis.preloaded = "setup1";\n' });
    const master = await startMaster(dir, ['app.js', '--no-watch', '--node-arg=--require', '--node-arg=./setup.js']);
    await master.waitEvent('reload-done');
    const s = await status(dir);
    assert.deepEqual(s.standby?.pids, []);
    assert.match(s.standby?.off ?? '', /nodeArgs preloads \.\/setup\.js \(--require\)/);
    writeFile(dir, 'setup.js', 'globalThis.preloaded = "setup2";\n');
    assert.equal((await runCli(dir, 'reload')).code, 0);
    assert.match((await get(master.url)).body, /^setup2 v1 /);
  });

  it('are turned off, not retried, when a preload compiles app code before the entry runs', async () => {
    // A package under a safe name that nonetheless loads the app's file at start.
    const dir = makeProject({
      'app.js': versionApp(1),
      'shared.js': 'module.exports = 1;\n',
      'node_modules/tsx/package.json': '{"name":"tsx","main":"index.js"}',
      'node_modules/tsx/index.js': "require('../../shared.js');\n",
    });
    const master = await startMaster(dir, ['app.js', '--no-watch', '--node-arg=--require', '--node-arg=tsx']);
    await master.waitEvent('reload-done');
    const s = await waitFor('standbys turned off', async () => {
      const st = await status(dir);
      return st.standby?.off ? st : undefined;
    }, 20_000, 100);
    assert.match(s.standby!.off!, /the preloads compiled app files before the entry ran \(.*shared\.js\)/);
    assert.deepEqual(s.standby!.pids, []);
    await waitFor('the log line', () => master.output.some((line) => line.includes('warm standbys are off')));
    assert.equal((await runCli(dir, 'reload')).code, 0);
    assert.match((await get(master.url)).body, /^v1 /);
    assert.deepEqual((await status(dir)).standby?.pids, [], 'none booted again after a reload');
  });

  it('are not kept when reload.standby is false, and are stopped with the master', async () => {
    const off = makeProject({ 'app.js': versionApp(1), 'smooth-reload.config.json': JSON.stringify({ entry: 'app.js', reload: { standby: false } }) }, 'off');
    const master = await startMaster(off, ['--no-watch']);
    await master.waitEvent('reload-done');
    const since = master.events.length;
    assert.equal((await runCli(off, 'reload')).code, 0);
    await master.waitSettled(since);
    assert.deepEqual((await status(off)).standby, { pids: [], off: 'reload.standby is false' });
    await master.stop();

    const on = makeProject({ 'app.js': versionApp(1) }, 'on');
    const second = await startMaster(on, ['app.js', '--no-watch']);
    await second.waitEvent('reload-done');
    const [pid] = await parkedStandbys(on, 1);
    await second.stop();
    await waitFor('the standby to exit with its master', () => !isAlive(pid));
  });
});
