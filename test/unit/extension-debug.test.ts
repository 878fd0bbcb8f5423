import { strict as assert } from 'node:assert';
import type { MasterStatus, WorkerInfo } from '../../server/protocol';
import { debugFolderOf, nodeLaunchConfig } from '../../extension/debug/launch-config';
import { statusView, type SessionSnapshot } from '../../extension/status-view';
import { masterRow, workerRow } from '../../extension/workers-view-model';

const input = { folder: '/w/app', name: 'Smooth Reload: app', nodePath: '/usr/bin/node', cliPath: '/ext/dist/cli.js', baseEnv: {} };

describe('extension: Start with Debugger', () => {
  it("launches the bundled CLI's serve under js-debug, attaching every child process", () => {
    const c = nodeLaunchConfig({ ...input, port: 0, logLevel: 'debug', ignore: ['docs/**'], args: ['--workers', '3'] });
    assert.equal(c.type, 'node');
    assert.equal(c.request, 'launch');
    assert.equal(c.program, '/ext/dist/cli.js');
    assert.equal(c.runtimeExecutable, '/usr/bin/node');
    assert.equal(c.cwd, '/w/app');
    assert.deepEqual(c.args, ['serve', '--debug', '--cwd', '/w/app', '--port', '0', '--log-level', 'debug', '--ignore=docs/**', '--workers', '3']);
    assert.equal(c.autoAttachChildProcesses, true);
    assert.equal(c.killBehavior, 'none', 'Stop goes through the control channel, not a tree kill');
    assert.deepEqual(c.skipFiles, ['<node_internals>/**', '/ext/dist/**']);
    assert.ok((c.resolveSourceMapLocations as string[]).includes('!/ext/dist/**'));
    assert.equal(debugFolderOf(c), '/w/app');
    assert.equal(debugFolderOf({ type: 'node' }), undefined);
  });

  it("passes the master-only environment, and keeps a user's own value", () => {
    const c = nodeLaunchConfig(input);
    assert.deepEqual(c.env, { MALLOC_ARENA_MAX: '2', SMOOTH_RELOAD_MASTER_ONLY_ENV: 'MALLOC_ARENA_MAX' });
    assert.deepEqual(nodeLaunchConfig({ ...input, baseEnv: { MALLOC_ARENA_MAX: '4' } }).env, {}, "a user's own value is kept");
  });

  const worker = (over: Partial<WorkerInfo>): WorkerInfo => ({ id: 1, pid: 10, generation: 2, state: 'ready', inFlight: 0, requests: 0, errors: 0, startedAt: 0, ...over });
  const status = (workers: WorkerInfo[]): MasterStatus => ({ pid: 9, url: 'http://localhost:3000/', state: 'ready', generation: 2, workers, findings: [], cwd: '/w/app', version: 'dev' });
  const base: SessionSnapshot = { folderName: 'app', phase: 'ready', owned: false, url: 'http://localhost:3000/', workers: 2, autoReload: true, findings: 0, debugging: true };

  it('shows a master under the debugger, and its paused workers, in the status bar', () => {
    const running = statusView({ ...base, status: status([worker({}), worker({ id: 2 })]) });
    assert.equal(running.text, '$(debug-alt) Smooth Reload: 2 workers');
    assert.equal(running.background, undefined);
    const paused = statusView({ ...base, status: status([worker({ paused: true }), worker({ id: 2 })]) });
    assert.equal(paused.text, '$(debug-alt) Smooth Reload: 2 workers · 1 paused');
    assert.equal(paused.background, 'warning');
    assert.match(paused.tooltip, /1 worker paused at a breakpoint; the others serve/);
  });

  it('marks the master and a paused worker in the Workers view', () => {
    assert.match(masterRow({ ...base, status: status([]) }).description, /^debugger · pid 9/);
    const row = workerRow(worker({ paused: true, state: 'draining' }));
    assert.equal(row.label, 'worker 1 · gen 2 · paused');
    assert.equal(row.icon, 'debug-pause');
    assert.match(row.tooltip, /paused in the debugger \(draining\)/);
    assert.equal(workerRow(worker({})).label, 'worker 1 · gen 2 · ready');
  });
});
