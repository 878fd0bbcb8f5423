/** Process hygiene for tests: find processes that belong to a folder (cwd or argv inside it). */
import * as fs from 'node:fs';
import { descendants, rssBytes as procRssBytes } from '../../server/runners/proc-info';

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

/** How many file descriptors a process has open (Linux /proc); -1 when it cannot tell. */
export function fdCount(pid: number): number {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

/** Resident set size in bytes (VmRSS from /proc/<pid>/status); -1 when it cannot tell. */
export function rssBytes(pid: number): number {
  return procRssBytes(pid) ?? -1;
}

/** Every descendant of `root` (children, their children, …). */
export function descendantsOf(root: number): number[] {
  return descendants(root).pids;
}

/** TCP ports a process listens on (IPv4 and IPv6), from its socket fds and /proc/net/tcp*. */
export function listeningPorts(pid: number): number[] {
  const byInode = new Map<string, number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length >= 10 && cols[3] === '0A') byInode.set(cols[9], parseInt(cols[1].split(':')[1] ?? '', 16));
    }
  }
  const ports = new Set<number>();
  let fds: string[] = [];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      const port = m ? byInode.get(m[1]) : undefined;
      if (port !== undefined) ports.add(port);
    } catch {
      // Closed meanwhile.
    }
  }
  return [...ports].sort((a, b) => a - b);
}
