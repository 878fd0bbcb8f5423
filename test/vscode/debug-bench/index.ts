/**
 * The measuring half of `bench/debug.ts`, run inside a real VS Code extension host (code-server):
 * for Start and for Start with Debugger (with a breakpoint set in the app, as a user debugging
 * has), the time from the command to the app's first response, and from a save through the
 * editor to the first response of the new code (and the master's own reload duration, and whether
 * warm standbys were parked). Polls `/other` every 10 ms; writes the samples to
 * SMOOTH_RELOAD_METRICS_FILE.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SmoothReloadApi } from '../../../extension/extension';

type Mode = 'plain' | 'debugger';
const STARTS = Number(process.env.SMOOTH_RELOAD_BENCH_STARTS ?? 3);
const SAVES = Number(process.env.SMOOTH_RELOAD_BENCH_SAVES ?? 5);

function get(url: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** Poll until `ok(body)`; bounded. Returns the milliseconds since `t0`. */
async function until(what: string, url: () => string | undefined, ok: (body: string) => boolean, t0: number, timeoutMs = 60_000): Promise<number> {
  while (performance.now() - t0 < timeoutMs) {
    const u = url();
    const body = u ? await get(`${u}other`) : undefined;
    if (body && ok(body)) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`bench: no ${what} within ${timeoutMs} ms`);
}

/**
 * The session's events from now on. It keeps only its last 500 events (positions shift) and a new
 * master's reload ids start again at 1, so the newest event seen now marks the place.
 */
function eventsAfter(api: SmoothReloadApi): () => ReturnType<SmoothReloadApi['events']> {
  const mark = api.events().at(-1);
  return () => {
    const all = api.events();
    return mark ? all.slice(all.lastIndexOf(mark) + 1) : all;
  };
}

export async function run(): Promise<void> {
  const api = await vscode.extensions.getExtension<SmoothReloadApi>('smooth-reload.smooth-reload')!.activate();
  const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
  const appUri = vscode.Uri.file(path.join(folder, 'app.js'));
  const doc = await vscode.workspace.openTextDocument(appUri);
  let version = Number(/const VERSION = (\d+);/.exec(doc.getText())![1]);
  const bpLine = doc.getText().split('\n').findIndex((l) => l.includes('// BREAKPOINT'));
  const samples: Record<Mode, { startMs: number[]; saveMs: number[]; reloadMs: number[]; standby: string[] }> = {
    plain: { startMs: [], saveMs: [], reloadMs: [], standby: [] },
    debugger: { startMs: [], saveMs: [], reloadMs: [], standby: [] },
  };
  for (let round = 0; round < STARTS; round++) {
    for (const mode of ['plain', 'debugger'] as const) {
      if (mode === 'debugger') vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(appUri, new vscode.Position(bpLine, 4)))]);
      const t0 = performance.now();
      void vscode.commands.executeCommand(mode === 'plain' ? 'smooth-reload.start' : 'smooth-reload.startWithDebugger');
      samples[mode].startMs.push(await until('first response', () => api.snapshot()?.url, (b) => b.includes(`version ${version}`), t0));
      for (let i = 0; i < SAVES; i++) {
        const text = doc.getText();
        const at = text.indexOf(`const VERSION = ${version};`);
        const edit = new vscode.WorkspaceEdit();
        edit.replace(appUri, new vscode.Range(doc.positionAt(at), doc.positionAt(at + `const VERSION = ${version};`.length)), `const VERSION = ${version + 1};`);
        await vscode.workspace.applyEdit(edit);
        version++;
        const before = eventsAfter(api);
        const s0 = performance.now();
        await doc.save();
        const next = version;
        samples[mode].saveMs.push(await until(`version ${next}`, () => api.snapshot()?.url, (b) => b.includes(`version ${next}`), s0));
        // The master's own measure of the reload (start → every new worker serving, old ones drained).
        // The reload ends after the old workers drained, which can be after the new code answered;
        // the next save waits for the pool to settle, then for the warm standbys' refill (200 ms).
        const settledBy = Date.now() + 20_000;
        const settled = () => {
          const since = before();
          const at = since.findIndex((e) => e.kind === 'reload-done');
          return at >= 0 && since.slice(at).some((e) => e.kind === 'settled');
        };
        while (!settled() && Date.now() < settledBy) await new Promise((r) => setTimeout(r, 20));
        const done = before().find((e) => e.kind === 'reload-done');
        if (done && done.kind === 'reload-done') samples[mode].reloadMs.push(done.durationMs);
        // A user saves seconds apart: by then the warm standbys are parked again (booting one
        // takes longer under the debugger, which attaches it). Wait for them (bounded), so each
        // save is measured as the next save of a user would find the pool.
        const parkedBy = Date.now() + 10_000;
        for (;;) {
          await vscode.commands.executeCommand('smooth-reload.refreshWorkers');
          const st = api.snapshot()?.status;
          if ((st?.standby?.pids.length ?? 0) >= st!.workers.length || st?.standby?.off || Date.now() > parkedBy) break;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const standby = api.snapshot()?.status?.standby;
      samples[mode].standby.push(standby?.off ?? `${standby?.pids.length ?? 0} parked`);
      await vscode.commands.executeCommand('smooth-reload.stop');
      const deadline = Date.now() + 20_000;
      while ((vscode.debug.activeDebugSession || api.snapshot()?.phase !== 'stopped') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    }
  }
  const file = process.env.SMOOTH_RELOAD_METRICS_FILE;
  if (file) fs.writeFileSync(file, JSON.stringify({ vscode: vscode.version, starts: STARTS, saves: SAVES, samples }, null, 2) + '\n');
  console.log(`[bench] ${JSON.stringify(samples)}`);
}
