/** /proc helpers for the bench: process trees, their RSS, and leftovers (Linux only). */
import * as fs from 'node:fs';
import { descendants } from '../server/runners/proc-info';

/** The fields of /proc/<pid>/stat after comm (state first), or undefined when the process is gone. */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may hold spaces and parentheses: parse after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The roots and all their descendants that are alive now. */
export function processTree(roots: readonly number[]): number[] {
  const all = new Set<number>();
  for (const root of roots) {
    if (!statFields(root)) continue;
    all.add(root);
    for (const pid of descendants(root).pids) all.add(pid);
  }
  return [...all];
}

/** CPU time a process has used so far, user + system, in ms (0 when gone); clock ticks are 10 ms on Linux. */
export function cpuMs(pid: number): number {
  const rest = statFields(pid);
  // Fields 14 (utime) and 15 (stime), counted from 1 with pid and comm: rest[11] and rest[12].
  return rest ? (Number(rest[11]) + Number(rest[12])) * 10 : 0;
}

/** Resident set size of one process in bytes (0 when gone or a zombie). */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Samples every `everyMs` the RSS sum of the process trees under `roots()` (roots may change, e.g.
 * pm2's daemon appears after the first command) and, separately, of `focus()` alone (our master).
 */
export class RssSampler {
  peakTreeBytes = 0;
  peakFocusBytes = 0;
  peakProcesses = 0;
  samples = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly roots: () => number[],
    private readonly focus: () => number | undefined = () => undefined,
    private readonly everyMs = 100,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  sample(): void {
    const tree = processTree(this.roots());
    let sum = 0;
    for (const pid of tree) sum += rssBytes(pid);
    this.samples++;
    this.peakTreeBytes = Math.max(this.peakTreeBytes, sum);
    this.peakProcesses = Math.max(this.peakProcesses, tree.length);
    const f = this.focus();
    if (f !== undefined) this.peakFocusBytes = Math.max(this.peakFocusBytes, rssBytes(f));
  }
}

/** Processes (not zombies) whose command line or working directory is inside `root`. */
export function processesUnder(root: string): { pid: number; cmdline: string }[] {
  const out: { pid: number; cmdline: string }[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (!cmdline) continue;
      const cwd = fs.readlinkSync(`/proc/${name}/cwd`);
      if (cwd.startsWith(root) || cmdline.includes(root)) out.push({ pid: Number(name), cmdline });
    } catch {
      // Gone, or not ours to read.
    }
  }
  return out;
}
