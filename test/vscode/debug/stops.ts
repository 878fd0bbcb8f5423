/**
 * Watches VS Code's JavaScript debugger from inside the extension host: every `stopped` event of
 * every js-debug session (one per attached process), with the top frame's file and line, and the
 * stopped process's Smooth Reload generation and pid, asked of the debugger itself.
 */
import * as vscode from 'vscode';

export interface Stop {
  session: vscode.DebugSession;
  threadId: number;
  reason: string;
}

export interface StopInfo extends Stop {
  file: string;
  /** The top frame's file (a local path). 1-based line, as the debug protocol gives it. */
  line: number;
  generation: number;
  pid: number;
}

export class StopWatcher implements vscode.Disposable {
  readonly stops: Stop[] = [];
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    const stops = this.stops;
    // js-debug's sessions are of type pwa-node (a launch.json "node" resolves to it).
    for (const type of ['pwa-node', 'node']) {
      this.disposables.push(
        vscode.debug.registerDebugAdapterTrackerFactory(type, {
          createDebugAdapterTracker: (session) => ({
            onDidSendMessage: (m: { type?: string; event?: string; body?: { threadId?: number; reason?: string } }) => {
              if (m.type === 'event' && m.event === 'stopped') stops.push({ session, threadId: m.body?.threadId ?? 0, reason: m.body?.reason ?? '' });
            },
          }),
        }),
      );
    }
  }

  /** Wait for the next stop after `since` stops were seen; describe it. */
  async next(since: number, timeoutMs = 30_000): Promise<StopInfo> {
    const deadline = Date.now() + timeoutMs;
    while (this.stops.length <= since) {
      if (Date.now() > deadline) throw new Error(`no debugger stop within ${timeoutMs} ms (${this.stops.length} stops so far)`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return describe(this.stops[since]);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

async function describe(stop: Stop): Promise<StopInfo> {
  const { session, threadId } = stop;
  const trace = (await session.customRequest('stackTrace', { threadId, startFrame: 0, levels: 1 })) as { stackFrames: { id: number; line: number; source?: { path?: string } }[] };
  const top = trace.stackFrames[0];
  const evaluate = async (expression: string) => ((await session.customRequest('evaluate', { expression, frameId: top.id, context: 'repl' })) as { result: string }).result;
  const generation = Number((await evaluate('process.env.SMOOTH_RELOAD_GENERATION')).replace(/['"]/g, ''));
  const pid = Number(await evaluate('process.pid'));
    // In a remote window (code-server) the path is a vscode-remote: URI of the same file.
  const where = top.source?.path ?? '';
  return { ...stop, file: where.includes('://') ? vscode.Uri.parse(where).fsPath : where, line: top.line, generation, pid };
}

/** Resume the stopped thread. */
export async function resume(stop: Stop): Promise<void> {
  await stop.session.customRequest('continue', { threadId: stop.threadId });
}
