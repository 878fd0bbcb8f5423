/**
 * Start with Debugger in a real VS Code with its built-in JavaScript debugger (js-debug): a
 * breakpoint set through the VS Code API stops the workers of generations 1, 2 and 3 (two saves
 * through the editor between), a paused worker outlives the kill timeout and a reload, and the
 * debug session and the master end together. The workspace (test/vscode/workspace.ts
 * makeDebugWorkspace) has two workers and 1.5 s drain and kill timeouts.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SmoothReloadApi } from '../../../extension/extension';
import { isAlive } from '../../../server/state-file';
import { activateSmoothReload } from '../extension-api';
import { waitFor } from '../wait';
import { fetch, otherRouteLoop } from './http';
import { resume, StopWatcher } from './stops';

describe('Smooth Reload: Start with Debugger', function () {
  let api: SmoothReloadApi;
  let folder: string;
  let appUri: vscode.Uri;
  let bpLine: number;
  let watcher: StopWatcher;
  let version = 1;
  const metrics: Record<string, number | string | undefined> = {};

  const url = () => api.snapshot()!.url!;
  const ourSession = () => vscode.debug.activeDebugSession && (vscode.debug.activeDebugSession.parentSession ?? vscode.debug.activeDebugSession);

  /** Edit VERSION through the editor and save; resolves when the reload it caused is done. */
  async function saveNextVersion(): Promise<void> {
    // The newest event marks the place: the session keeps only its last 500 events.
    const mark = api.events().at(-1);
    const since = () => api.events().slice(mark ? api.events().lastIndexOf(mark) + 1 : 0);
    const doc = await vscode.workspace.openTextDocument(appUri);
    const text = doc.getText();
    const from = `const VERSION = ${version};`;
    const at = text.indexOf(from);
    assert.ok(at >= 0, `"${from}" in app.js`);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(appUri, new vscode.Range(doc.positionAt(at), doc.positionAt(at + from.length)), `const VERSION = ${version + 1};`);
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(await doc.save());
    version++;
    await waitFor(`the reload for version ${version}`, () => since().find((e) => e.kind === 'reload-done'), 30_000);
  }

  before(async () => {
    ({ api, folder } = await activateSmoothReload());
    appUri = vscode.Uri.file(path.join(folder, 'app.js'));
    const doc = await vscode.workspace.openTextDocument(appUri);
    bpLine = doc.getText().split('\n').findIndex((l) => l.includes('// BREAKPOINT'));
    assert.ok(bpLine > 0);
    vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(appUri, new vscode.Position(bpLine, 4)))]);
    watcher = new StopWatcher();
  });

  after(async () => {
    watcher?.dispose();
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    await vscode.commands.executeCommand('smooth-reload.stop');
    console.log(`[metrics] ${JSON.stringify(metrics)}`);
  });

  it('starts the master under the JavaScript debugger and attaches its session', async () => {
    const t0 = Date.now();
    const started = await vscode.commands.executeCommand<boolean>('smooth-reload.startWithDebugger');
    assert.equal(started, true, 'Start with Debugger attached to the master');
    const snap = await waitFor('two ready workers', () => (api.snapshot()?.phase === 'ready' && api.snapshot()?.workers === 2 ? api.snapshot() : undefined));
    assert.equal(snap.debugging, true);
    assert.match(await fetch(`${url()}other`).then((r) => r.body), /other from version 1/);
    metrics.startToFirstResponseMs = Date.now() - t0;
    const session = ourSession();
    assert.ok(session, 'a debug session runs');
    assert.match(session.configuration.type, /^(pwa-)?node$/, 'js-debug runs it');
    assert.match(api.statusBarText() ?? '', /debug-alt\) Smooth Reload: 2 workers/);
    await waitFor('the Workers view to mark the master as under the debugger', () => /^debugger · pid /.test(api.workersView()[0]?.description ?? ''));
  });

  it('stops at a breakpoint in the app in the workers of generations 1, 2 and 3', async () => {
    const generations: number[] = [];
    for (let round = 0; round < 3; round++) {
      if (round > 0) await saveNextVersion();
      const status = await waitFor('the status of the new generation', async () => {
        const s = await refresh();
        const settled = s && s.state === 'ready' && s.generation > (generations.at(-1) ?? 0);
        return settled && s.workers.filter((w) => w.state === 'ready').length === 2 && s.workers.every((w) => w.state !== 'ready' || w.generation === s.generation) ? s : undefined;
      });
      const since = watcher.stops.length;
      const t0 = Date.now();
      // The first request after the reload stops in a new worker.
      const pending = fetch(`${url()}bp`, 30_000);
      const stop = await watcher.next(since);
      metrics[`requestToStopGen${round + 1}Ms`] = Date.now() - t0;
      assert.equal(stop.file, appUri.fsPath);
      assert.equal(stop.line, bpLine + 1);
      assert.equal(stop.generation, status.generation, `stopped in a worker of the live generation ${status.generation}`);
      assert.ok(status.workers.some((w) => w.pid === stop.pid), `the stopped process ${stop.pid} is a live worker`);
      generations.push(stop.generation);
      await resume(stop);
      const answer = await pending;
      assert.equal(answer.status, 200);
      assert.equal(answer.body, `bp from version ${version}\n`);
    }
    assert.equal(new Set(generations).size, 3, `three generations: ${generations.join(', ')}`);
    assert.deepEqual(generations, [...generations].sort((a, b) => a - b));
  });

  it('shows a paused worker as paused, never counts it as crashed, and serves other requests meanwhile', async () => {
    const since = watcher.stops.length;
    const pending = fetch(`${url()}bp`, 60_000);
    const stop = await watcher.next(since);
    const loop = otherRouteLoop(url(), `other from version ${version}`);
    await waitFor('the worker to show as paused', async () => (await refresh())?.workers.find((w) => w.pid === stop.pid && w.paused));
    await waitFor('the status bar to show the pause', () => /paused/.test(api.statusBarText() ?? ''));
    assert.ok(api.workersView().some((r) => /paused/.test(`${r.label} ${r.description ?? ''}`)), `a paused row in ${JSON.stringify(api.workersView())}`);
    // Longer than the drain and kill timeouts together (1.5 s each).
    const pausedAt = Date.now();
    await waitFor('a pause longer than the kill timeout', () => Date.now() - pausedAt > 3500, 10_000);
    assert.ok(isAlive(stop.pid), 'the paused worker lives');
    assert.ok(!api.events().some((e) => e.kind === 'worker' && e.pid === stop.pid && (e.event === 'killed' || e.event === 'crash' || e.event === 'exit')), 'no kill, crash or exit of the paused worker');
    await resume(stop);
    const answer = await pending;
    assert.equal(answer.body, `bp from version ${version}\n`);
    const other = await loop.stop();
    assert.equal(other.failed, 0, `failed requests on /other: ${JSON.stringify(other.failures.slice(0, 3))}`);
    assert.ok(other.ok > 0);
  });

  it('a save while a worker is paused: new requests get the new code at once, the paused worker outlives the drain and kill timeouts, and its request gets the old code after continue', async () => {
    const since = watcher.stops.length;
    const old = version;
    const pending = fetch(`${url()}bp`, 60_000);
    const stop = await watcher.next(since);
    const loop = otherRouteLoop(url(), /other from version \d+/);
    await saveNextVersion();
    assert.equal((await fetch(`${url()}other`)).body, `other from version ${version}\n`, 'the new workers answer at once');
    // The old worker drains while paused: longer than the drain and kill timeouts (1.5 s each)
    // would have killed it.
    const drainingAt = Date.now();
    await waitFor('a pause past the drain and kill timeouts', () => Date.now() - drainingAt > 4000, 10_000);
    assert.ok(isAlive(stop.pid), 'the paused old worker lives on after the reload');
    assert.ok(!api.events().some((e) => e.kind === 'worker' && e.pid === stop.pid && (e.event === 'killed' || e.event === 'crash' || e.event === 'exit')), 'no kill, crash or exit of the paused worker');
    assert.equal((await fetch(`${url()}other`)).body, `other from version ${version}\n`, 'the new workers still answer');
    await resume(stop);
    assert.equal((await pending).body, `bp from version ${old}\n`, 'the paused request finishes on the old code');
    await waitFor('the old worker to exit once drained', () => !isAlive(stop.pid), 15_000);
    const other = await loop.stop();
    assert.equal(other.failed, 0, `failed requests on /other: ${JSON.stringify(other.failures.slice(0, 3))}`);
  });

  it('Stop stops the master and ends the debug session', async () => {
    const pid = api.snapshot()!.status!.pid;
    const ended = new Promise<void>((resolve) => {
      const sub = vscode.debug.onDidTerminateDebugSession((s) => {
        if (!s.parentSession) {
          sub.dispose();
          resolve();
        }
      });
    });
    await vscode.commands.executeCommand('smooth-reload.stop');
    await waitFor('the master to exit', () => !isAlive(pid), 15_000);
    await Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error('the debug session did not end')), 15_000))]);
    await waitFor('no debug session', () => !vscode.debug.activeDebugSession, 10_000);
    assert.equal(api.snapshot()?.phase, 'stopped');
    assert.notEqual(api.snapshot()?.debugging, true);
  });

  it('ending the debug session stops the master', async () => {
    assert.equal(await vscode.commands.executeCommand<boolean>('smooth-reload.startWithDebugger'), true);
    const snap = await waitFor('the master under the debugger', () => (api.snapshot()?.phase === 'ready' && api.snapshot()?.status ? api.snapshot() : undefined));
    const pid = snap.status!.pid;
    const workerPids = snap.status!.workers.flatMap((w) => (w.pid ? [w.pid] : []));
    await vscode.debug.stopDebugging(ourSession());
    await waitFor('the master to exit', () => !isAlive(pid), 20_000);
    await waitFor('its workers to exit', () => workerPids.every((p) => !isAlive(p)), 10_000);
    await waitFor('the session to show stopped', () => api.snapshot()?.phase === 'stopped', 10_000);
  });

  it('refuses to start under the debugger while a master started without it runs', async () => {
    await vscode.commands.executeCommand('smooth-reload.start');
    const pid = (await waitFor('the plain master', () => (api.snapshot()?.phase === 'ready' ? api.snapshot()?.status?.pid : undefined)))!;
    assert.equal(await vscode.commands.executeCommand<boolean>('smooth-reload.startWithDebugger'), false);
    assert.equal(vscode.debug.activeDebugSession, undefined, 'no debug session started');
    assert.ok(isAlive(pid), 'the running master is left alone');
    assert.notEqual(api.snapshot()?.debugging, true);
    await vscode.commands.executeCommand('smooth-reload.stop');
    await waitFor('the plain master to exit', () => !isAlive(pid), 15_000);
  });

  /** The master's status now (the session asks it over the control channel). */
  async function refresh() {
    return (await vscode.commands.executeCommand('smooth-reload.refreshWorkers'), api.snapshot()?.status);
  }
});
