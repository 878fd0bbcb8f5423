/**
 * Process hygiene for tests: find processes that belong to a folder (cwd or argv inside it). It
 * asks server/procs, the reader the master uses, so SMOOTH_RELOAD_PROCFS=off switches both.
 */
import * as procs from '../../server/procs';

export interface ProcInfo {
  pid: number;
  cmdline: string;
  cwd: string;
}

export function processesUnder(root: string): ProcInfo[] {
  return procs.processesWithCwd().filter((p) => p.cwd.startsWith(root) || p.cmdline.includes(root));
}

/** Wait (bounded) until no process runs under root; returns the leftovers. */
export async function waitNoProcessesUnder(root: string, timeoutMs = 5000): Promise<ProcInfo[]> {
  const deadline = Date.now() + timeoutMs;
  let left = processesUnder(root);
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = processesUnder(root);
  }
  return left;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** How many file descriptors a process has open; -1 when it cannot tell. */
export function fdCount(pid: number): number {
  return procs.openFdCount(pid) ?? -1;
}

/** Resident set size in bytes; -1 when it cannot tell. */
export function rssBytes(pid: number): number {
  return procs.rssBytes(pid) ?? -1;
}

/** Every descendant of `root` (children, their children, …). */
export function descendantsOf(root: number): number[] {
  return procs.descendants(root).pids;
}

