/**
 * Every question the project asks about processes, answered by one back end chosen once: /proc
 * where `/proc/self/stat` exists (Linux), else `ps` and `lsof` (macOS, the BSDs).
 * SMOOTH_RELOAD_PROCFS=off forces the portable back end on Linux: a test and diagnostic switch,
 * which the master's workers and the test helpers inherit, so both read processes the same way.
 *
 * A process that is gone answers undefined or empty. A tool the portable back end needs that is
 * not installed throws ProcToolMissingError, whose message names it.
 */
import * as fs from 'node:fs';
import type { ProcDetail, ProcessBackend } from './backend';
import type { ListeningSocket } from './parse';
import { missingTools, portableBackend } from './portable';
import { procfsBackend } from './procfs';

export type { ProcDetail } from './backend';
export type { ListeningSocket } from './parse';
export { ProcToolMissingError } from './portable';

/** Which back end serves: pure, for the tests. */
export function chooseBackend(procfsSwitch: string | undefined, hasProcfs: boolean): 'procfs' | 'ps' {
  return hasProcfs && procfsSwitch !== 'off' ? 'procfs' : 'ps';
}

const running = (state: string) => state !== 'Z' && state !== 'X';

/** The questions, over one back end (the bench and the tests compare both on the same processes). */
export function processReader(backend: ProcessBackend) {
  /** The process, or undefined when it does not exist or is a zombie (which runs nothing). */
  function processInfo(pid: number): ProcDetail | undefined {
    const p = backend.process(pid);
    return p && running(p.state) ? p : undefined;
  }

  /** Live (non-zombie) children of pid. */
  function childrenOf(pid: number): number[] {
    const listed = backend.children(pid);
    if (listed) return listed.filter((c) => processInfo(c) !== undefined);
    return backend
      .table()
      .filter((r) => r.ppid === pid && running(r.state))
      .map((r) => r.pid);
  }

  /** Every descendant of `root` (children, grandchildren, …), and their process groups but ours. */
  function descendants(root: number): { pids: number[]; groups: number[] } {
    const table = backend.table();
    const children = new Map<number, typeof table>();
    for (const row of table) {
      const list = children.get(row.ppid) ?? [];
      list.push(row);
      children.set(row.ppid, list);
    }
    const pids: number[] = [];
    const groups = new Set<number>();
    const queue = [root];
    while (queue.length) {
      for (const child of children.get(queue.shift()!) ?? []) {
        pids.push(child.pid);
        groups.add(child.pgid);
        queue.push(child.pid);
      }
    }
    const own = table.find((r) => r.pid === process.pid)?.pgid;
    if (own !== undefined) groups.delete(own);
    return { pids, groups: [...groups] };
  }

  /** Resident memory of one process; undefined when it is gone or a zombie. */
  function rssBytes(pid: number): number | undefined {
    return backend.rssBytes(pid);
  }

  /** Resident memory of `root` and all its descendants (a command worker's shim and the app it runs). */
  function treeRssBytes(root: number): number | undefined {
    const own = backend.rssBytes(root);
    if (own === undefined) return undefined;
    return descendants(root).pids.reduce((sum, pid) => sum + (backend.rssBytes(pid) ?? 0), own);
  }

  /** CPU time (user + system) a process used so far; undefined when it is gone. */
  function cpuMs(pid: number): number | undefined {
    return backend.cpuMs(pid);
  }

  /** TCP sockets in LISTEN state held by `root` or any of its descendants. */
  function listeningPorts(root: number): ListeningSocket[] {
    return backend.listening([root, ...descendants(root).pids]);
  }

  /** The process that listens on a TCP port (any address), or undefined when none that we may see. */
  function portHolder(port: number): { pid: number; command: string } | undefined {
    const pid = backend.portListeners(port)[0];
    if (pid === undefined) return undefined;
    return { pid, command: backend.commandLine(pid) ?? '' };
  }

  /** Every live process but this one, with its command line and working directory (those this user may read). */
  function processesWithCwd(): { pid: number; cmdline: string; cwd: string }[] {
    const rows = backend.table().filter((r) => running(r.state) && r.pid !== process.pid);
    const cwds = backend.cwds(rows.map((r) => r.pid));
    const out: { pid: number; cmdline: string; cwd: string }[] = [];
    for (const [pid, cwd] of cwds) {
      // An empty command line is a zombie or a kernel thread: nothing of ours.
      const cmdline = backend.commandLine(pid);
      if (cmdline) out.push({ pid, cmdline, cwd });
    }
    return out;
  }

  /** How many file descriptors a process has open; undefined when it cannot tell. */
  function openFdCount(pid: number): number | undefined {
    return backend.fdCount(pid);
  }

  return { name: backend.name, processInfo, childrenOf, descendants, rssBytes, treeRssBytes, cpuMs, listeningPorts, portHolder, processesWithCwd, openFdCount };
}

const reader = processReader(chooseBackend(process.env.SMOOTH_RELOAD_PROCFS, fs.existsSync('/proc/self/stat')) === 'procfs' ? procfsBackend : portableBackend);

/** "procfs" or "ps" (which also runs lsof): the back end this process chose. */
export const procReader = reader.name;
export const { processInfo, childrenOf, descendants, rssBytes, treeRssBytes, cpuMs, listeningPorts, portHolder, processesWithCwd, openFdCount } = reader;
export { portableBackend, procfsBackend };

/** What the chosen back end needs and does not find (always nothing for /proc): for a warning at start. */
export function missingProcTools(): Error[] {
  return procReader === 'ps' ? missingTools() : [];
}
