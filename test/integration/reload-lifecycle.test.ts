import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ControlClient } from '../../server/control/client';
import type { MasterStatus } from '../../server/protocol';
import { readStateFile } from '../../server/state-file';
import { get } from '../helpers/http';
import { runCli, startMaster } from '../helpers/master';
import { makeProject, versionApp, writeFile } from '../helpers/project';
import { isAlive, waitFor } from '../helpers/processes';

describe('reload lifecycle', function () {
  this.timeout(60_000);

  it('keeps the old code serving when a save breaks the app, reports file and line, and reloads once fixed', async () => {
    const dir = makeProject({ 'app.js': versionApp(1) });
    const master = await startMaster(dir, ['app.js', '--no-watch']);
    await master.waitEvent('reload-done');
    writeFile(dir, 'app.js', versionApp(2).replace("const VERSION", 'const = VERSION'));
    const broken = await runCli(dir, 'reload', '--json');
    assert.equal(broken.code, 1, 'reload exits 1 when rolled back');
    const result = JSON.parse(broken.stdout);
    assert.equal(result.ok, false);
    assert.equal(result.finding.code, 'SR_BOOT_CRASH');
    assert.equal(result.finding.file, path.join(fs.realpathSync(dir), 'app.js'));
    assert.equal(result.finding.line, 2);
    assert.match(result.finding.message, /SyntaxError/);
    assert.match((await get(master.url)).body, /^v1 /, 'the old worker still serves');
    writeFile(dir, 'app.js', versionApp(3));
    const fixed = await runCli(dir, 'reload', '--json');
    assert.equal(fixed.code, 0);
    assert.equal(JSON.parse(fixed.stdout).ok, true);
    assert.match((await get(master.url)).body, /^v3 /);
    const findings = master.events.filter((e) => e.kind === 'findings' && e.source === 'reload');
    assert.deepEqual(findings.at(-1), { kind: 'findings', source: 'reload', findings: [] }, 'the failure finding is cleared');
  });

  it('answers 503 naming the failure when the very first start fails, and serves after the fix', async () => {
    const dir = makeProject({ 'app.js': 'throw new Error("not configured");\n' });
    const master = await startMaster(dir, ['app.js']);
    const failed = await master.waitEvent('reload-failed');
    assert.equal(failed.finding?.line, 1);
    const res = await get(master.url);
    assert.equal(res.status, 503);
    assert.match(res.body, /not configured/);
    writeFile(dir, 'app.js', versionApp(1));
    await master.waitEvent('reload-done');
    assert.match((await get(master.url)).body, /^v1 /);
  });

  it('status --wait-settled returns once a reload and its drains are over, and times out with an exact error', async () => {
    // Generation 2 listens only after 4 s, so the reload is under way while the CLI waits.
    const slow = versionApp(2).replace('http.createServer(', 'const server = http.createServer(').replace('}).listen(3000);', '});\nsetTimeout(() => server.listen(3000), 4000);');
    const dir = makeProject({ 'app.js': versionApp(1) });
    const master = await startMaster(dir, ['app.js', '--no-watch']);
    await master.waitEvent('reload-done');
    const idle = JSON.parse((await runCli(dir, 'status', '--wait-settled', '--json')).stdout);
    assert.equal(idle.settled, true, 'settled after the first start');
    writeFile(dir, 'app.js', slow);
    const since = master.events.length;
    assert.equal((await runCli(dir, 'reload', '--no-wait')).code, 0);
    await master.waitEvent('reload-start', () => true, 10_000, since);
    const early = await runCli(dir, 'status', '--wait-settled', '--timeout-ms', '200');
    assert.equal(early.code, 1, early.stderr);
    assert.match(early.stderr, /^smooth-reload: the master did not settle within 200 ms \(state \w+, generation 1, 1 worker\(s\)\)\n$/);
    const waited = await runCli(dir, 'status', '--wait-settled', '--json', '--timeout-ms', '20000');
    assert.equal(waited.code, 0, waited.stderr);
    const settled = JSON.parse(waited.stdout);
    assert.equal(settled.settled, true);
    assert.deepEqual(settled.workers.map((w: { generation: number; state: string }) => [w.generation, w.state]), [[2, 'ready']]);
    // The event stream said so too, after the reload was done.
    const events = master.events.slice(since).map((e) => e.kind);
    assert.ok(events.indexOf('settled') > events.indexOf('reload-done'), events.join(','));
    assert.deepEqual(await master.waitSettled(since), { kind: 'settled', generation: 2 });
  });

  it('coalesces a burst of 30 saves into one reload', async () => {
    const dir = makeProject({ 'app.js': versionApp(1), ...Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`lib/m${i}.js`, `module.exports = ${i};\n`])) });
    const master = await startMaster(dir, ['app.js']);
    await master.waitEvent('reload-done');
    const since = master.events.length;
    for (let i = 0; i < 30; i++) writeFile(dir, `lib/m${i}.js`, `module.exports = ${i + 100};\n`);
    await master.waitEvent('reload-done', () => true, 20000, since);
    // A later save is a barrier: a late event of the burst would come before it or in its batch.
    writeFile(dir, 'app.js', versionApp(2));
    const barrier = await master.waitEvent('reload-start', (e) => /app\.js/.test(e.reason), 20000, since);
    assert.doesNotMatch(barrier.reason, /lib/);
    const starts = master.events.slice(since).filter((e) => e.kind === 'reload-start');
    assert.equal(starts.length, 2, `one reload for the burst and one for the later save, saw ${starts.length}`);
  });

  it('restarts a crashed worker, and recycles a worker after maxRequests', async () => {
    const app = `${versionApp(1)}
if (process.env.SMOOTH_RELOAD_WORKER_ID === '1') setTimeout(() => process.exit(3), 300);
`;
    const dir = makeProject({ 'app.js': app, 'smooth-reload.config.json': JSON.stringify({ restart: { maxRequests: 5, backoffInitialMs: 1500 } }) });
    const master = await startMaster(dir, ['app.js', '--no-watch']);
    const read = readStateFile(dir);
    assert.ok(read.ok);
    const client = await ControlClient.connect(read.state);
    const crash = await master.waitEvent('worker', (e) => e.event === 'exit' && e.id === 1 && e.code === 3);
    // A scheduled crash restart keeps the pool unsettled until its replacement serves.
    const during = await client.request<MasterStatus>({ type: 'status' }).finally(() => client.close());
    assert.equal(during.settled, false, 'not settled while the restart waits out its backoff');
    const afterCrash = master.events.indexOf(await master.waitSettled(master.events.indexOf(crash)));
    const ready2 = master.events.findIndex((e) => e.kind === 'worker' && e.event === 'ready' && e.id === 2);
    assert.ok(ready2 > 0 && ready2 < afterCrash, 'settled only once the replacement was ready');
    for (let i = 0; i < 5; i++) assert.equal((await get(master.url)).status, 200);
    const recycle = await master.waitEvent('worker', (e) => e.event === 'recycle' && e.id === 2);
    // And a recycle until the recycled worker has drained and exited.
    const afterRecycle = master.events.indexOf(await master.waitSettled(master.events.indexOf(recycle)));
    const done = (kind: string, id: number) => master.events.findIndex((e) => e.kind === 'worker' && e.event === kind && e.id === id);
    assert.ok(done('ready', 3) < afterRecycle && done('exit', 2) > 0 && done('exit', 2) < afterRecycle, master.events.slice(master.events.indexOf(recycle)).map((e) => e.kind + (e.kind === 'worker' ? `:${e.event}:${e.id}` : '')).join(' '));
    assert.equal((await get(master.url)).status, 200);
  });

  it('replaces a crashed worker with the code it ran, not with a broken save that failed to reload', async () => {
    const dir = makeProject({ 'app.js': versionApp(1) });
    const master = await startMaster(dir, ['app.js', '--no-watch']);
    await master.waitEvent('reload-done');
    writeFile(dir, 'app.js', versionApp(2).replace('const VERSION', 'const const VERSION'));
    assert.equal((await runCli(dir, 'reload')).code, 1);
    const [worker] = JSON.parse((await runCli(dir, 'status', '--json')).stdout).workers;
    process.kill(worker.pid, 'SIGKILL');
    await master.waitEvent('worker', (e) => e.event === 'ready' && e.id !== worker.id);
    assert.match((await get(master.url)).body, /^v1 /);
  });

  it('waits for an explicit ready() when readiness is "explicit"', async () => {
    const app = `const http = require('node:http');
http.createServer((req, res) => res.end(global.warm ? 'warm' : 'cold')).listen(3000);
setTimeout(() => { global.warm = true; process.send('ready'); }, 300);
`;
    const dir = makeProject({ 'app.js': app, 'smooth-reload.config.json': JSON.stringify({ readiness: { mode: 'explicit' } }) });
    const master = await startMaster(dir, ['app.js', '--no-watch']);
    await master.waitEvent('reload-done');
    for (let i = 0; i < 3; i++) {
      assert.equal((await get(master.url)).body, 'warm');
      await runCli(dir, 'reload');
    }
  });

  it('fails a reload with SR_BOOT_HEALTH when the health path answers 500, and the old code keeps serving', async () => {
    const app = (v: number, health: number) => `const http = require('node:http');
http.createServer((req, res) => {
  if (req.url === '/health') { res.statusCode = ${health}; return res.end('health'); }
  res.end('v${v}');
}).listen(3000);
`;
    const config = JSON.stringify({ readiness: { mode: 'http', path: '/health', timeoutMs: 8000 } });
    const dir = makeProject({ 'app.js': app(1, 200), 'smooth-reload.config.json': config });
    const master = await startMaster(dir, ['app.js', '--no-watch']);
    await master.waitEvent('reload-done');
    writeFile(dir, 'app.js', app(2, 500));
    const failed = await runCli(dir, 'reload', '--json');
    assert.equal(failed.code, 1);
    const finding = JSON.parse(failed.stdout).finding;
    assert.equal(finding.code, 'SR_BOOT_HEALTH');
    assert.match(finding.message, /\/health did not answer below 500 .*it answered 500/);
    assert.equal((await get(master.url)).body, 'v1');
    writeFile(dir, 'app.js', app(3, 200));
    assert.equal((await runCli(dir, 'reload')).code, 0);
    assert.equal((await get(master.url)).body, 'v3');
  });

  it('puts switched workers back on the old code when a later batch fails, so one version serves', async () => {
    // Worker ids count up: generation 1 is workers 1 and 2, the reload starts 3, then 4 (batchSize 1).
    const app = (v: number) => `const http = require('node:http');
if (${v} === 2 && process.env.SMOOTH_RELOAD_WORKER_ID === '4') throw new Error('the second batch fails');
http.createServer((req, res) => res.end('v${v}')).listen(3000);
`;
    const dir = makeProject({ 'app.js': app(1), 'smooth-reload.config.json': JSON.stringify({ workers: 2, reload: { batchSize: 1 } }) });
    const master = await startMaster(dir, ['app.js', '--no-watch']);
    await master.waitEvent('reload-done');
    writeFile(dir, 'app.js', app(2));
    const failed = await runCli(dir, 'reload', '--json');
    assert.equal(failed.code, 1);
    assert.match(JSON.parse(failed.stdout).finding.message, /the second batch fails/);
    const status = JSON.parse((await runCli(dir, 'status', '--json')).stdout);
    const live = status.workers.filter((w: { state: string }) => w.state === 'ready');
    assert.equal(live.length, 2);
    assert.deepEqual(live.map((w: { generation: number }) => w.generation), [1, 1], 'every serving worker is generation 1');
    assert.equal(status.generation, 1);
    for (let i = 0; i < 6; i++) assert.equal((await get(master.url)).body, 'v1');
  });

  it('runs .mjs and .ts entries (TypeScript through --import tsx)', async () => {
    const mjs = makeProject({ 'app.mjs': `import http from 'node:http';\nhttp.createServer((q, s) => s.end('esm')).listen(3000);\n` });
    const m1 = await startMaster(mjs, ['app.mjs', '--no-watch']);
    await m1.waitEvent('reload-done');
    assert.equal((await get(m1.url)).body, 'esm');
    await m1.stop();
    const ts = makeProject({ 'app.ts': `import * as http from 'node:http';\nconst n: number = 41 + 1;\nhttp.createServer((q, s) => s.end('ts ' + n)).listen(3000);\n` });
    // require.resolve('tsx') is tsx's loader (dist/loader.mjs), what `--import tsx` loads.
    const m2 = await startMaster(ts, ['app.ts', '--no-watch', `--node-arg=--import=${require.resolve('tsx')}`]);
    await m2.waitEvent('reload-done');
    assert.equal((await get(m2.url)).body, 'ts 42');
  });

  it('reports status, and "reload" exits 2 when no master runs', async () => {
    const dir = makeProject({ 'app.js': versionApp(1) });
    assert.equal((await runCli(dir, 'reload')).code, 2);
    const master = await startMaster(dir, ['app.js', '--workers', '2', '--no-watch']);
    await master.waitEvent('reload-done');
    const status = JSON.parse((await runCli(dir, 'status', '--json')).stdout);
    assert.equal(status.state, 'ready');
    assert.equal(status.workers.length, 2);
    assert.equal(status.workers.every((w: { state: string }) => w.state === 'ready'), true);
    // Each worker's memory, read from /proc: a Node process holds at least a few MB.
    for (const w of status.workers as { rssBytes?: number }[]) assert.ok((w.rssBytes ?? 0) > 4 * 1024 * 1024, `worker RSS ${w.rssBytes}`);
    const table = (await runCli(dir, 'status')).stdout;
    assert.match(table, /RSS MB/);
    assert.match(table.split('\n').find((l) => l.startsWith(String(status.workers[0].id) + ' '))!, / \d+\.\d /, 'the RSS column holds a number');
    const stop = await runCli(dir, 'stop');
    assert.equal(stop.code, 0);
    await waitFor('the master to exit', () => master.proc.exitCode !== null);
    assert.equal(master.proc.exitCode, 0);
    assert.equal(fs.existsSync(path.join(dir, '.smooth-reload', 'state.json')), false, 'the state file is removed');
    for (const w of status.workers) assert.equal(isAlive(w.pid), false);
  });
});
