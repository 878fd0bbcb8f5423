/**
 * The back end for systems without /proc (macOS, the BSDs): `ps` for the process table and
 * `lsof` for sockets, working directories and descriptors. Linux runs it too when
 * SMOOTH_RELOAD_PROCFS=off, which is how the tests cover it.
 */
import { spawnSync } from 'node:child_process';
import type { ProcDetail, ProcessBackend } from './backend';
import { PS_TABLE_COLUMNS, countLsofFds, parseLsofListening, parseLsofNames, parsePsTable, parsePsTime, type PsRow } from './parse';

const WHY: Record<string, string> = {
  ps: 'to read the process table (workers, their children and memory)',
  lsof: 'to find the ports a process listens on and the process that holds a port',
};

/** A tool this back end needs is not on PATH. */
export class ProcToolMissingError extends Error {
  constructor(readonly tool: 'ps' | 'lsof') {
    super(
      `${tool} is not installed (or not on PATH): Smooth Reload runs it ${WHY[tool]}, since ${process.env.SMOOTH_RELOAD_PROCFS === 'off' ? 'SMOOTH_RELOAD_PROCFS=off turns the /proc reader off' : 'this system has no /proc'}. ` +
        `Install ${tool} (Debian/Ubuntu: apt-get install ${tool === 'ps' ? 'procps' : 'lsof'}; Fedora: dnf install ${tool === 'ps' ? 'procps-ng' : 'lsof'}; FreeBSD: pkg install ${tool === 'ps' ? 'procps' : 'lsof'}).`,
    );
    this.name = 'ProcToolMissingError';
  }
}

/** The tools this back end needs that are not on PATH. */
export function missingTools(): ProcToolMissingError[] {
  return (['ps', 'lsof'] as const).filter((tool) => (spawnSync(tool, ['-h'], { stdio: 'ignore' }).error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT').map((tool) => new ProcToolMissingError(tool));
}

/** stdout of a run; empty when the tool found nothing (both exit 1 then). */
function run(tool: 'ps' | 'lsof', args: string[]): string {
  const r = spawnSync(tool, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw new ProcToolMissingError(tool);
  if (r.error) throw r.error;
  return r.stdout ?? '';
}

// One `ps -A` serves every question asked in the same synchronous run (a status of four workers
// asks for four RSS values): the table is dropped at the next microtask, so it is never stale
// across an await or a timer.
let memo: PsRow[] | undefined;
function psTable(): PsRow[] {
  if (!memo) {
    memo = parsePsTable(run('ps', ['-A', '-o', PS_TABLE_COLUMNS]));
    queueMicrotask(() => (memo = undefined));
  }
  return memo;
}

function lsofPids(pids: readonly number[]): string {
  return pids.join(',');
}

export const portableBackend: ProcessBackend = {
  name: 'ps',

  table: psTable,

  process(pid): ProcDetail | undefined {
    const row = parsePsTable(run('ps', ['-p', String(pid), '-o', PS_TABLE_COLUMNS]))[0];
    if (!row) return undefined;
    // ucomm may hold spaces, so it is asked for alone.
    const comm = run('ps', ['-p', String(pid), '-o', 'ucomm=']).trim();
    return { pid, ppid: row.ppid, pgid: row.pgid, state: row.state, comm, cmdline: row.command, uid: row.uid };
  },

  commandLine(pid) {
    return psTable().find((r) => r.pid === pid)?.command;
  },

  children: () => undefined,

  rssBytes(pid) {
    const row = psTable().find((r) => r.pid === pid);
    return row && row.state !== 'Z' ? row.rssBytes : undefined;
  },

  cpuMs(pid) {
    return parsePsTime(run('ps', ['-p', String(pid), '-o', 'time=']));
  },

  listening(pids) {
    if (!pids.length) return [];
    const out: { address: string; port: number }[] = [];
    for (const l of parseLsofListening(run('lsof', ['-nP', '-iTCP', '-sTCP:LISTEN', '-a', '-p', lsofPids(pids), '-Fptn']))) {
      if (!out.some((o) => o.address === l.address && o.port === l.port)) out.push({ address: l.address, port: l.port });
    }
    return out;
  },

  portListeners(port) {
    return [...new Set(parseLsofListening(run('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fptn'])).map((l) => l.pid))];
  },

  cwds(pids) {
    if (!pids.length) return new Map();
    const names = parseLsofNames(run('lsof', ['-nP', '-a', '-d', 'cwd', '-p', lsofPids(pids), '-Fpn']));
    // lsof names a folder it may not read "/proc/1/cwd (readlink: Permission denied)".
    for (const [pid, name] of names) if (/ \((readlink|stat): /.test(name)) names.delete(pid);
    return names;
  },

  fdCount(pid) {
    const text = run('lsof', ['-nP', '-p', String(pid), '-Ff']);
    return text ? countLsofFds(text) : undefined;
  },
};
