/** Process hygiene for tests: find processes that belong to a folder (cwd or argv inside it). */
import * as fs from 'node:fs';

export interface ProcInfo {
  pid: number;
  cmdline: string;
  cwd: string;
}

export function processesUnder(root: string): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let cmdline = '';
    let cwd = '';
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      continue;
    }
    // Zombies have an empty cmdline and are not running anything.
    if (!cmdline) continue;
    if (cwd.startsWith(root) || cmdline.includes(root)) out.push({ pid, cmdline, cwd });
  }
  return out;
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
