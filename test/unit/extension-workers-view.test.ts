import { strict as assert } from 'node:assert';
import type { MasterStatus, WorkerInfo } from '../../server/protocol';
import type { SessionSnapshot } from '../../extension/status-view';
import { describeDuration, describeMB, masterRow, workerRow, workersOf } from '../../extension/workers-view-model';

const NOW = 1_700_000_000_000;
const MB = 1024 * 1024;

const worker: WorkerInfo = {
  id: 3,
  pid: 4242,
  generation: 2,
  state: 'ready',
  port: 41234,
  inFlight: 0,
  requests: 57,
  errors: 1,
  startedAt: NOW - 185_000,
  rssBytes: 50 * MB,
  latencyMs: { p50: 4, p90: 9, p99: 12.34 },
};

const status = { pid: 1111, url: 'http://localhost:3000/', state: 'ready', generation: 2, workers: [worker], findings: [], cwd: '/app', version: '0.1.0' } as MasterStatus;
const base: SessionSnapshot = { folderName: 'hello', phase: 'ready', owned: true, url: 'http://localhost:3000/', workers: 1, autoReload: true, findings: 0, status };

describe('extension: workers view', () => {
  it('labels a worker with its id, generation and state', () => {
    assert.equal(workerRow(worker, NOW).label, 'worker 3 · gen 2 · ready');
    assert.equal(workerRow({ ...worker, state: 'draining', generation: 1, id: 1 }, NOW).label, 'worker 1 · gen 1 · draining');
  });

  it('describes a worker by requests, errors, p99, RSS and uptime', () => {
    assert.equal(workerRow(worker, NOW).description, '57 req · 1 err · p99 12.3 ms · 50 MB · up 3 min');
  });

  it('adds in-flight requests to the description only when there are some', () => {
    assert.match(workerRow({ ...worker, inFlight: 2 }, NOW).description, /^57 req · 1 err · 2 in flight · p99/);
  });

  it('shows dashes for a worker without latency, memory or pid yet', () => {
    const { pid: _pid, rssBytes: _rss, latencyMs: _lat, ...fresh } = worker;
    const row = workerRow({ ...fresh, state: 'starting', requests: 0, errors: 0, startedAt: NOW - 2000 }, NOW);
    assert.equal(row.description, '0 req · 0 err · p99 – · – · up 2 s');
    assert.match(row.tooltip, /pid: –/);
    assert.match(row.tooltip, /latency: – \(no request yet\)/);
    assert.equal(row.icon, 'loading~spin');
  });

  it('puts every field of the worker in the tooltip', () => {
    const tip = workerRow({ ...worker, inFlight: 1 }, NOW).tooltip;
    for (const re of [/Worker 3 \(generation 2\)/, /state: ready/, /pid: 4242/, /port: 41234/, /requests: 57/, /errors: 1/, /in flight: 1/, /p50 4 ms · p90 9 ms · p99 12\.3 ms/, /memory \(RSS\): 50 MB/, /up 3 min/]) {
      assert.match(tip, re);
    }
  });

  it('gives each worker state an icon', () => {
    const icons = (['starting', 'ready', 'draining', 'stopping', 'exited'] as const).map((state) => workerRow({ ...worker, state }, NOW).icon);
    assert.equal(new Set(icons).size, icons.length);
  });

  it('describes the master by pid, generation, URL and last reload', () => {
    const row = masterRow({ ...base, lastReload: { ok: true, durationMs: 142, at: NOW - 30_000 } }, NOW);
    assert.equal(row.label, 'hello · master · ready');
    assert.equal(row.description, 'pid 1111 · gen 2 · http://localhost:3000/ · last reload 142 ms 30 s ago');
    assert.match(row.tooltip, /pid: 1111/);
    assert.match(row.tooltip, /generation: 2/);
    assert.match(row.tooltip, /workers: 1 ready of 1/);
    assert.match(row.tooltip, /last reload: done in 142 ms, 30 s ago/);
    assert.equal(row.icon, 'server-process');
  });

  it('shows a failed last reload and an attached master', () => {
    const row = masterRow({ ...base, owned: false, lastReload: { ok: false, durationMs: 80, at: NOW, message: 'SyntaxError' } }, NOW);
    assert.match(row.description, /last reload failed just now$/);
    assert.match(row.tooltip, /attached/);
    assert.match(row.tooltip, /failed in 80 ms, just now — SyntaxError/);
  });

  it('shows a stopped or crashed master without workers', () => {
    const stopped = { ...base, phase: 'stopped' as const, workers: 0 };
    const { status: _s, ...noStatus } = stopped;
    assert.equal(masterRow(noStatus, NOW).description, 'not running');
    assert.deepEqual(workersOf(stopped), []);
    const crashed = masterRow({ ...noStatus, phase: 'crashed', error: 'exit 1' }, NOW);
    assert.equal(crashed.label, 'hello · master · crashed');
    assert.equal(crashed.description, 'exit 1');
    assert.equal(crashed.icon, 'error');
    assert.match(crashed.tooltip, /error: exit 1/);
  });

  it('lists the workers of the last status, oldest generation first', () => {
    const workers = [{ ...worker, id: 5, generation: 3 }, { ...worker, id: 4, generation: 2, state: 'draining' as const }, worker];
    assert.deepEqual(workersOf({ ...base, status: { ...status, workers } }).map((w) => w.id), [3, 4, 5]);
    assert.deepEqual(workersOf({ ...base, status: undefined }), []);
  });

  it('describes uptimes and memory', () => {
    assert.equal(describeDuration(-5), '0 s');
    assert.equal(describeDuration(59_999), '59 s');
    assert.equal(describeDuration(60_000), '1 min');
    assert.equal(describeDuration(3_600_000), '1 h');
    assert.equal(describeDuration(3_600_000 + 5 * 60_000), '1 h 5 min');
    assert.equal(describeDuration(3 * 86_400_000 + 4 * 3_600_000), '3 d 4 h');
    assert.equal(describeMB(undefined), '–');
    assert.equal(describeMB(2.5 * MB), '2.5 MB');
    assert.equal(describeMB(80.4 * MB), '80 MB');
  });
});
