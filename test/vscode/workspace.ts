/** The workspace both VS Code suites open: a temporary copy of examples/hello with a config file. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAlive, readStateFile } from '../../server/state-file';

export const REPO = path.resolve(__dirname, '..', '..');

export function makeWorkspace(root: string): string {
  const ws = path.join(root, 'hello');
  fs.cpSync(path.join(REPO, 'examples', 'hello'), ws, { recursive: true });
  fs.writeFileSync(path.join(ws, 'smooth-reload.config.json'), JSON.stringify({ entry: 'app.js', port: 0, workers: 1 }, null, 2) + '\n');
  return ws;
}

/**
 * Safety net after a run: the extension starts its master in its own process group, so killing
 * VS Code does not reach it; a suite that failed before its Stop leaves it running. Returns the pid
 * it had to kill, if any.
 */
export async function killLeftoverMaster(workspace: string): Promise<number | undefined> {
  const state = readStateFile(workspace);
  if (!state.ok) return undefined;
  const pid = state.state.pid;
  for (const [signal, waitMs] of [['SIGTERM', 10_000], ['SIGKILL', 2000]] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return pid;
    }
    const deadline = Date.now() + waitMs;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (!isAlive(pid)) return pid;
  }
  return pid;
}
