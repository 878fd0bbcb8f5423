/**
 * Faults, with real processes: a worker SIGKILLed mid-request, a worker that hangs at boot, a
 * worker that exits while draining, a SIGKILLed master, a state folder that cannot be written
 * (read-only, disk full), a taken port, and a file watcher that dies.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { EventEmitter } from 'node:events';
import { ControlClient } from '../../server/control/client';
import { Logger } from '../../server/logger';
import { ProjectWatcher } from '../../server/watch/watcher';
import type { MasterStatus, ReloadResult } from '../../server/protocol';
import { readStateFile } from '../../server/state-file';
import { get } from '../helpers/http';
import { CLI, startMaster, type RunningMaster } from '../helpers/master';
import { isAlive, processesUnder, waitFor, waitNoProcessesUnder } from '../helpers/processes';
import { TEST_ROOT, makeProject, writeFile } from '../helpers/project';

/** An app whose handler waits `?ms=`, and whose `/exit` route makes the worker exit mid-request. */
function faultApp(version: number): string {
  return `const http = require('node:http');
http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const ms = Number(url.searchParams.get('ms') || 0);
  if (url.pathname === '/exit') return void setTimeout(() => process.exit(1), ms);
  setTimeout(() => res.end('v${version} ' + process.pid + '\\n'), ms);
}).listen(3000);
`;
}

const HANG_APP = `// Never listens, ignores SIGTERM: only SIGKILL ends it.
require('node:fs').writeFileSync(__dirname + '/hung.pid', String(process.pid));
process.on('SIGTERM', () => undefined);
setInterval(() => undefined, 1000);
`;

async function control(dir: string): Promise<ControlClient> {
  const state = await waitFor('the state file', () => {
    const s = readStateFile(dir);
    return s.ok && s.state;
  });
  return ControlClient.connect(state);
}

async function status(client: ControlClient): Promise<MasterStatus> {
  return client.request<MasterStatus>({ type: 'status' });
}

/** Keep `n` clients requesting `url` until stopped; returns every status (or error code) seen. */
function background(url: string, n: number): { stop(): Promise<string[]> } {
  let stopped = false;
  const outcomes: string[] = [];
  const agent = new http.Agent({ keepAlive: true });
  const loops = Array.from({ length: n }, async () => {
    while (!stopped) {
      try {
        outcomes.push(String((await get(url, { agent })).status));
      } catch (err) {
        outcomes.push((err as NodeJS.ErrnoException).code ?? 'error');
      }
    }
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
      agent.destroy();
      return outcomes;
    },
  };
}

const count = (list: string[]) => list.reduce<Record<string, number>>((acc, o) => ((acc[o] = (acc[o] ?? 0) + 1), acc), {});

/**
 * Runs the master as user "nobody" (root ignores file modes): a preload drops the privileges of
 * the master's node process before the CLI runs; its workers inherit them.
 */
function asNobody(): Record<string, string> {
  fs.chmodSync(TEST_ROOT, 0o755);
  const preload = path.join(TEST_ROOT, 'drop-privileges.js');
  fs.writeFileSync(preload, `if (process.getuid && process.getuid() === 0) { process.setgroups([]); process.setgid(65534); process.setuid(65534); }\n`, { mode: 0o644 });
  return { NODE_OPTIONS: `--require ${preload}` };
}

function ownedByNobody(dir: string): string {
  for (const f of ['', ...fs.readdirSync(dir, { recursive: true }).map(String)]) fs.chownSync(path.join(dir, f), 65534, 65534);
  return dir;
}

describe('faults', function () {
  this.timeout(90_000);
  let client: ControlClient | undefined;
  afterEach(async () => {
    await client?.close();
    client = undefined;
  });

  it('a worker SIGKILLed mid-request: that request gets a 502, others are unaffected, a replacement comes up', async () => {
    const dir = makeProject({ 'app.js': faultApp(1) });
    const master = await startMaster(dir, ['app.js', '--workers', '2', '--no-watch']);
    await master.waitEvent('reload-done');
    client = await control(dir);
    // A long request lands on one worker; a shorter one on the other (least busy wins).
    const victimRequest = get(`${master.url}?ms=30000`);
    const victim = await waitFor('the long request to be in flight', async () => (await status(client!)).workers.find((w) => w.inFlight === 1));
    const otherRequest = get(`${master.url}?ms=1500`);
    const other = await waitFor('the other request to be in flight', async () => (await status(client!)).workers.find((w) => w.inFlight === 1 && w.id !== victim.id));
    process.kill(victim.pid!, 'SIGKILL');
    // The load starts once the master has seen the crash. A request that reaches the worker as it
    // dies gets a 502 like the one it was handling: one in flight there (2 runs in 6 here, when the
    // load ran before the kill), or one whose connection the kernel accepted into the dying
    // worker's backlog (every run, when the load started right after the kill). See
    // docs/architecture.md, "Outside reloads".
    await master.waitEvent('worker', (e) => e.event === 'crash' && e.id === victim.id);
    const load = background(master.url, 3);

    const lost = await victimRequest;
    assert.equal(lost.status, 502);
    assert.match(lost.body, /worker failed while handling this request/);
    const kept = await otherRequest;
    assert.equal(kept.status, 200);
    assert.match(kept.body, new RegExp(`^v1 ${other.pid}\\b`));

    // A replacement joins; the killed worker is gone.
    const after = await waitFor('a replacement worker', async () => {
      const s = await status(client!);
      const ready = s.workers.filter((w) => w.state === 'ready');
      return ready.length === 2 && !ready.some((w) => w.pid === victim.pid) && s;
    });
    assert.ok(after.workers.some((w) => w.pid === other.pid), 'the other worker kept running');
    const outcomes = await load.stop();
    assert.ok(outcomes.length > 0);
    assert.deepEqual(count(outcomes), { '200': outcomes.length }, 'concurrent requests all succeeded');
    assert.equal(isAlive(victim.pid!), false);
  });

  it('SIGTERM under load: every request already sent gets its answer, then the master and its workers exit', async () => {
    const dir = makeProject({ 'app.js': faultApp(1) });
    const master = await startMaster(dir, ['app.js', '--workers', '2', '--no-watch']);
    await master.waitEvent('reload-done');
    client = await control(dir);
    const pids = (await status(client)).workers.map((w) => w.pid!);
    // 20 requests that each take 800 ms, on keep-alive sockets, all in flight when SIGTERM arrives.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
    const inFlight = Array.from({ length: 20 }, () => get(`${master.url}?ms=800`, { agent }));
    await waitFor('20 requests in flight', async () => (await status(client!)).workers.reduce((n, w) => n + w.inFlight, 0) === 20);
    master.proc.kill('SIGTERM');
    const answers = await Promise.all(inFlight);
    agent.destroy();
    assert.deepEqual(answers.map((a) => a.status), Array(20).fill(200));
    await waitFor('the master to exit', () => master.proc.exitCode !== null, 15_000);
    assert.equal(master.proc.exitCode, 0);
    for (const pid of pids) assert.equal(isAlive(pid), false, `worker ${pid} exited`);
  });

  it('a worker that hangs at boot: the reload fails with SR_BOOT_TIMEOUT, old workers keep serving, the hung process is gone', async () => {
    const dir = makeProject({
      'app.js': faultApp(1),
      'smooth-reload.config.json': JSON.stringify({ entry: 'app.js', readiness: { timeoutMs: 4000 }, reload: { killTimeoutMs: 500 }, watch: { enabled: false } }),
    });
    const master = await startMaster(dir, []);
    await master.waitEvent('reload-done');
    client = await control(dir);
    writeFile(dir, 'app.js', HANG_APP);
    const result = await client.request<ReloadResult>({ type: 'reload', reason: 'test' });
    assert.equal(result.ok, false);
    assert.equal(result.finding?.code, 'SR_BOOT_TIMEOUT');
    assert.match(result.finding!.message, /did not call listen\(\) within 4000 ms/);
    const hungPid = Number(fs.readFileSync(path.join(dir, 'hung.pid'), 'utf8'));
    assert.equal(isAlive(hungPid), false, 'the hung worker (which ignores SIGTERM) was killed');
    const res = await get(master.url);
    assert.equal(res.status, 200);
    assert.match(res.body, /^v1 /);
    const s = await status(client);
    assert.deepEqual(s.workers.map((w) => [w.generation, w.state]), [[1, 'ready']]);
    // The next save (here: reload) with fixed code goes through.
    writeFile(dir, 'app.js', faultApp(2));
    assert.equal((await client.request<ReloadResult>({ type: 'reload' })).ok, true);
    assert.match((await get(master.url)).body, /^v2 /);
  });

  it('a worker that exits while draining: the reload completes, the exit is not taken for a crash', async () => {
    const dir = makeProject({ 'app.js': faultApp(1) });
    const master = await startMaster(dir, ['app.js', '--no-watch']);
    await master.waitEvent('reload-done');
    client = await control(dir);
    const first = (await status(client)).workers[0];
    // The old worker exits on its own 1 s into this request, while it is being drained.
    const dying = get(`${master.url}exit?ms=1000`);
    await waitFor('the request to be in flight', async () => (await status(client!)).workers[0].inFlight === 1);
    writeFile(dir, 'app.js', faultApp(2));
    const since = master.events.length;
    const result = await client.request<ReloadResult>({ type: 'reload' });
    assert.equal(result.ok, true, JSON.stringify(result.finding));
    const answer = await dying;
    // Bodiless requests on a reused connection may be retried once on the new worker; otherwise a 502.
    assert.ok(answer.status === 502 || (answer.status === 200 && /^v2 /.test(answer.body)), `${answer.status} ${answer.body}`);
    // It was draining when it exited (events reach the test on the master's stdout, after the reply).
    await master.waitEvent('worker', (e) => e.id === first.id && e.event === 'draining', 10_000, since);
    await master.waitEvent('worker', (e) => e.id === first.id && e.event === 'exit' && e.code === 1, 10_000, since);
    assert.equal(isAlive(first.pid!), false);
    // Settled: one worker of the new generation; the exit caused no crash restart (one would keep the pool unsettled until it served).
    await master.waitSettled(since);
    const s = await status(client);
    assert.deepEqual(s.workers.map((w) => [w.generation, w.state]), [[2, 'ready']]);
    assert.equal(master.events.filter((e) => e.kind === 'worker' && (e.event === 'crash' || e.event === 'spawn')).map((e) => (e as { event: string }).event).join(','), 'spawn,spawn');
    assert.match((await get(master.url)).body, /^v2 /);
  });

  it('a SIGKILLed master leaves no worker, and the next serve cleans the stale state file', async () => {
    const dir = makeProject({ 'app.js': faultApp(1) });
    const master = await startMaster(dir, ['app.js', '--workers', '2', '--no-watch']);
    await master.waitEvent('reload-done');
    client = await control(dir);
    const pids = (await status(client)).workers.map((w) => w.pid!);
    assert.equal(pids.length, 2);
    await client.close();
    client = undefined;
    master.proc.kill('SIGKILL');
    await waitFor('the workers to exit', () => pids.every((p) => !isAlive(p)), 10_000);
    assert.deepEqual(await waitNoProcessesUnder(dir, 5000), []);
    await master.stop();
    // The state file is stale: the CLI says so ("no master", exit 2).
    assert.ok(fs.existsSync(path.join(dir, '.smooth-reload', 'state.json')));
    const cli = spawnSync(process.execPath, [CLI, 'status', '--cwd', dir], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(cli.status, 2, cli.stderr);
    assert.match(cli.stderr, /not running/);
    // The next master starts over it and records itself.
    const next = await startMaster(dir, ['app.js', '--no-watch']);
    await next.waitEvent('reload-done');
    assert.ok(next.events.some((e) => e.kind === 'log' && /stale state file/.test(e.message)) || next.output.some((l) => /stale state file/.test(l)), 'the cleanup was logged');
    const state = readStateFile(dir);
    assert.ok(state.ok && state.state.pid === next.proc.pid);
    assert.match((await get(next.url)).body, /^v1 /);
  });

  it('a read-only state folder (owned by another user): a clear error, and the master still serves', async () => {
    const env = asNobody();
    const dir = ownedByNobody(makeProject({ 'app.js': faultApp(1) }));
    fs.mkdirSync(path.join(dir, '.smooth-reload'), { mode: 0o500 });
    fs.chmodSync(path.join(dir, '.smooth-reload'), 0o500); // root-owned: nobody cannot chmod it back
    const master = await startMaster(dir, ['app.js', '--no-watch'], env);
    const finding = await master.waitEvent('findings', (e) => e.findings.some((f) => f.code === 'SR_STATE_UNWRITABLE'));
    assert.match(finding.findings[0].message, /cannot write the state file in .*\.smooth-reload: EACCES|EPERM/);
    await master.waitEvent('reload-done');
    const res = await get(master.url);
    assert.equal(res.status, 200);
    assert.match(res.body, /^v1 /);
    assert.deepEqual(fs.readdirSync(path.join(dir, '.smooth-reload')), [], 'nothing was written');
    assert.equal(await master.stop(), 0);
  });

  it('a full disk (a 64 KiB tmpfs): a clear error, and the master still serves', async function () {
    const dir = makeProject({});
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    if (mounted.status !== 0) this.skip();
    try {
      writeFile(dir, 'app.js', faultApp(1));
      // Fill it.
      const fd = fs.openSync(path.join(dir, 'filler'), 'w');
      try {
        for (;;) fs.writeSync(fd, Buffer.alloc(4096));
      } catch (err) {
        assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
      } finally {
        fs.closeSync(fd);
      }
      const master = await startMaster(dir, ['app.js', '--no-watch']);
      const finding = await master.waitEvent('findings', (e) => e.findings.some((f) => f.code === 'SR_STATE_UNWRITABLE'));
      assert.match(finding.findings[0].message, /ENOSPC/);
      await master.waitEvent('reload-done');
      assert.match((await get(master.url)).body, /^v1 /);
      assert.equal(await master.stop(), 0);
    } finally {
      await waitNoProcessesUnder(dir, 5000);
      spawnSync('umount', [dir]);
    }
  });

  it('a taken port: a clear error naming the process that holds it', async () => {
    const dir = makeProject({ 'app.js': faultApp(1) });
    const holder = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(0, '127.0.0.1', function () { console.log(this.address().port); })`], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const port = await new Promise<number>((resolve) => holder.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
      const run = spawnSync(process.execPath, [CLI, 'serve', 'app.js', '--no-watch', '--port', String(port)], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      assert.equal(run.status, 1, run.stderr);
      assert.match(run.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use by pid ${holder.pid} \\(.*node`));
      assert.match(run.stderr, /--port/);
      assert.equal(fs.existsSync(path.join(dir, '.smooth-reload', 'state.json')), false);
    } finally {
      holder.kill('SIGKILL');
    }
    assert.deepEqual(processesUnder(dir).filter((p) => p.pid !== holder.pid), []);
  });

  it('a folder the file watcher may not read: reported once as a finding, no restart loop, other saves still seen', async () => {
    const env = asNobody();
    const dir = ownedByNobody(makeProject({ 'app.js': faultApp(1) }));
    const master: RunningMaster = await startMaster(dir, ['app.js'], env);
    await master.waitEvent('reload-done');
    // A folder the watcher may not read (root-owned, mode 000) makes chokidar report EACCES.
    fs.mkdirSync(path.join(dir, 'locked'), { mode: 0o000 });
    fs.chmodSync(path.join(dir, 'locked'), 0o000);
    const found = await master.waitEvent('findings', (e) => e.source === 'watch' && e.findings.some((f) => f.code === 'SR_WATCH_DENIED'), 10_000);
    assert.match(found.findings[0].message, /locked \(EACCES\)/);
    // It still sees saves.
    const since = master.events.length;
    writeFile(dir, 'app.js', faultApp(2));
    fs.chownSync(path.join(dir, 'app.js'), 65534, 65534);
    await master.waitEvent('reload-done', () => true, 20_000, since);
    assert.match((await get(master.url)).body, /^v2 /);
    // Through that save and its reload, the watcher did not spin on the unreadable folder.
    const errors = master.events.filter((e) => e.kind === 'log' && /file watcher error/.test(e.message)).length;
    assert.ok(errors <= 2, `${errors} watcher errors: it must not spin`);
    assert.equal(master.events.filter((e) => e.kind === 'log' && /restarting the watcher/.test(e.message)).length, 0);
    assert.equal(await master.stop(), 0);
  });

  it('a file watcher that dies is restarted with backoff, reported, and sees changes again', async () => {
    // In-process: a real chokidar watcher on a real folder, failed with an I/O error as inotify would.
    const dir = makeProject({ 'app.js': faultApp(1) });
    const logs: string[] = [];
    const logger = new Logger('debug');
    logger.addSink((r) => logs.push(`${r.level}: ${r.message}`));
    const batches: string[][] = [];
    const watcher = new ProjectWatcher(
      { cwd: dir, paths: ['.'], ignore: [], staticDirs: [], restartOn: [], debounceMs: 50, usePolling: false },
      (batch) => batches.push(batch.code),
      () => undefined,
      logger,
    );
    await watcher.start();
    try {
      const inner = () => (watcher as unknown as { watcher: EventEmitter }).watcher;
      const first = inner();
      const eio = () => Object.assign(new Error('EIO: i/o error, watch'), { code: 'EIO' });
      first.emit('error', eio());
      first.emit('error', eio()); // A burst is one restart.
      await waitFor('the restart', () => logs.some((l) => l === 'info: file watcher restarted'), 10_000);
      assert.deepEqual(logs.filter((l) => l.startsWith('warn:')), ['warn: file watcher error: EIO: i/o error, watch; restarting the watcher in 250 ms']);
      assert.notEqual(inner(), first, 'a new chokidar watcher');
      // A second failure soon after waits longer.
      inner().emit('error', eio());
      await waitFor('the second restart', () => logs.filter((l) => l === 'info: file watcher restarted').length === 2, 10_000);
      assert.match(logs.filter((l) => l.startsWith('warn:'))[1], /restarting the watcher in 500 ms/);
      writeFile(dir, 'app.js', faultApp(2));
      await waitFor('the change', () => batches.some((b) => b.some((f) => f.endsWith('app.js'))), 10_000);
    } finally {
      await watcher.close();
    }
  });
});
