/**
 * `.smooth-reload/state.json`: how the CLI and the extension find a running master. Written
 * atomically with mode 0600 in a 0700 folder (it holds the control token). A state file whose pid
 * is dead is stale and is cleaned by the next master that starts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StateFile, describeZodError } from './protocol';

export const STATE_DIR = '.smooth-reload';

export function stateDir(cwd: string): string {
  return path.join(cwd, STATE_DIR);
}
export function statePath(cwd: string): string {
  return path.join(stateDir(cwd), 'state.json');
}
export function pidPath(cwd: string): string {
  return path.join(stateDir(cwd), 'master.pid');
}

export class StateFileError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'StateFileError';
  }
}

export function writeStateFile(cwd: string, state: StateFile): void {
  const dir = stateDir(cwd);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    // The folder is the master's, never the project's: keep it out of git without touching the project's .gitignore.
    const ignore = path.join(dir, '.gitignore');
    if (!fs.existsSync(ignore)) fs.writeFileSync(ignore, '# Written by Smooth Reload: its run-time state (pid, control address) stays out of git.\n*\n');
    const file = statePath(cwd);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
    fs.renameSync(tmp, file);
    fs.writeFileSync(pidPath(cwd), `${state.pid}\n`, { mode: 0o644 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new StateFileError(
      'SR_STATE_UNWRITABLE',
      `cannot write the state file in ${dir}: ${e.code ?? e.message}. The master keeps serving, but "smooth-reload reload/status" and the editor cannot find it; make ${dir} writable (or free disk space).`,
    );
  }
}

export type ReadState = { ok: true; state: StateFile } | { ok: false; code: 'SR_NO_MASTER' | 'SR_STALE_STATE' | 'SR_BAD_STATE'; message: string };

/** Read and validate the state file; reports a dead pid as stale. */
export function readStateFile(cwd: string): ReadState {
  const file = statePath(cwd);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { ok: false, code: 'SR_NO_MASTER', message: `no master is running for ${cwd} (no ${path.join(STATE_DIR, 'state.json')}). Start one with "smooth-reload serve".` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, code: 'SR_BAD_STATE', message: `${file} is not valid JSON; delete it and start the master again` };
  }
  const parsed = StateFile.safeParse(json);
  if (!parsed.success) return { ok: false, code: 'SR_BAD_STATE', message: `${file} is not a Smooth Reload state file (${describeZodError(parsed.error)}); delete it and start the master again` };
  if (!isAlive(parsed.data.pid)) {
    return { ok: false, code: 'SR_STALE_STATE', message: `the master recorded in ${file} (pid ${parsed.data.pid}) is not running; start it again with "smooth-reload serve"` };
  }
  return { ok: true, state: parsed.data };
}

/** Remove the state file if it is ours (or stale). */
export function removeStateFile(cwd: string, pid = process.pid): void {
  const current = readRaw(cwd);
  if (current && current.pid !== pid && isAlive(current.pid)) return;
  for (const f of [statePath(cwd), pidPath(cwd)]) {
    try {
      fs.unlinkSync(f);
    } catch {
      // Already gone.
    }
  }
}

function readRaw(cwd: string): { pid: number } | undefined {
  try {
    return JSON.parse(fs.readFileSync(statePath(cwd), 'utf8')) as { pid: number };
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
