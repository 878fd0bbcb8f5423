/**
 * What the operating system says about a process: alive or not, its parent, name, command line
 * and children. Linux reads /proc (children from /proc/<pid>/task/<tid>/children, or the ppid of
 * every process where the kernel lacks that file); elsewhere `ps`.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { ProcSnapshot } from './verify';

const HAS_PROC = fs.existsSync('/proc/self/stat');

/** The process, or undefined when it does not exist (zombies count as gone: they run nothing). */
export function readProc(pid: number): ProcSnapshot | undefined {
  if (!HAS_PROC) return psTable().find((p) => p.pid === pid);
  const stat = readStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return undefined;
  let cmdline = '';
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    // Another user's process may hide it; the name is enough then.
  }
  let uid: number | undefined;
  try {
    uid = fs.statSync(`/proc/${pid}`).uid;
  } catch {
    return undefined;
  }
  return { pid, ppid: stat.ppid, comm: stat.comm, cmdline: cmdline || stat.comm, uid };
}

/** Live (non-zombie) children of pid. */
export function childrenOf(pid: number): number[] {
  if (!HAS_PROC) return psTable().filter((p) => p.ppid === pid).map((p) => p.pid);
  let listed: number[] | undefined;
  try {
    listed = [];
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const text = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
      for (const s of text.split(/\s+/)) if (s) listed.push(Number(s));
    }
  } catch (err) {
    // ENOENT on the task folder: the process is gone; on the children file: CONFIG_PROC_CHILDREN is off.
    if (!fs.existsSync(`/proc/${pid}`)) return [];
    listed = undefined;
  }
  if (!listed) {
    listed = [];
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = readStat(Number(entry));
      if (stat?.ppid === pid) listed.push(Number(entry));
    }
  }
  return [...new Set(listed)].filter((c) => {
    const stat = readStat(c);
    return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
  });
}

function readStat(pid: number): { ppid: number; comm: string; state: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The name is in parentheses and may itself hold spaces and parentheses: split at the last ")".
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  return { comm: text.slice(open + 1, close), state: rest[0], ppid: Number(rest[1]) };
}

function psTable(): ProcSnapshot[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,uid=,ucomm=,command='], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  } catch {
    return [];
  }
  const rows: ProcSnapshot[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s*(.*)$/.exec(line);
    if (m) rows.push({ pid: Number(m[1]), ppid: Number(m[2]), uid: Number(m[3]), comm: m[4], cmdline: m[5] || m[4] });
  }
  return rows;
}

export type SignalResult = { ok: true } | { ok: false; code: 'EPERM' | 'ESRCH' | string; message: string };

/** Send a signal; the error code instead of a throw. */
export function sendSignal(pid: number, signal: string): SignalResult {
  try {
    process.kill(pid, `SIG${signal}` as NodeJS.Signals);
    return { ok: true };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, code: e.code ?? 'EUNKNOWN', message: e.message };
  }
}

/** Write one command to a uWSGI master FIFO without blocking when nobody reads it. */
export function writeFifo(file: string, command: string): SignalResult {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    fs.writeSync(fd, command);
    return { ok: true };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, code: e.code ?? 'EUNKNOWN', message: e.message };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
