/**
 * What the attach command asks about the server it drives (through server/procs: /proc on Linux,
 * `ps` elsewhere), and the two ways it talks to it: signals and a uWSGI FIFO.
 */
import * as fs from 'node:fs';
import { childrenOf as liveChildren, processInfo } from '../procs';
import type { ProcSnapshot } from './verify';

/** The process, or undefined when it does not exist (zombies count as gone: they run nothing). */
export function readProc(pid: number): ProcSnapshot | undefined {
  const p = processInfo(pid);
  return p && { pid, ppid: p.ppid, comm: p.comm, cmdline: p.cmdline || p.comm, uid: p.uid };
}

/** Live (non-zombie) children of pid. */
export const childrenOf = liveChildren;

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
