/** What each back end (procfs.ts, portable.ts) answers; the questions built on it are in index.ts. */
import type { ListeningSocket, ProcRow } from './parse';

export interface ProcDetail extends ProcRow {
  /** The kernel's short name (Linux comm, BSD ucomm). */
  comm: string;
  /** Arguments joined by spaces; empty when hidden (another user's process). */
  cmdline: string;
  uid: number;
}

export interface ProcessBackend {
  readonly name: 'procfs' | 'ps';
  /** Every process (zombies included: `state` tells). */
  table(): ProcRow[];
  /** One process, or undefined when there is none with that pid. */
  process(pid: number): ProcDetail | undefined;
  /** The command line alone (cheaper than `process` for many pids). */
  commandLine(pid: number): string | undefined;
  /** Direct children (zombies included), or undefined to have them found in `table()`. */
  children(pid: number): number[] | undefined;
  rssBytes(pid: number): number | undefined;
  /** CPU time used so far, user + system. */
  cpuMs(pid: number): number | undefined;
  /** TCP listeners held by any of `pids`. */
  listening(pids: readonly number[]): ListeningSocket[];
  /** Pids holding a TCP listener on `port` (any address). */
  portListeners(port: number): number[];
  /** Working directories of the given processes (those it may read). */
  cwds(pids: readonly number[]): Map<number, string>;
  /** Open file descriptors of a process. */
  fdCount(pid: number): number | undefined;
}
