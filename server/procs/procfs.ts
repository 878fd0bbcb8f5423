/** The Linux back end: reads /proc directly, no process spawned. */
import * as fs from 'node:fs';
import type { ProcDetail, ProcessBackend } from './backend';
import { parseProcNetListening, parseProcStat, parseStatusRss, socketInode, type ListeningSocket, type ProcRow } from './parse';

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    // Gone, or not ours to read.
    return undefined;
  }
}

function stat(pid: number) {
  const text = read(`/proc/${pid}/stat`);
  return text === undefined ? undefined : parseProcStat(text);
}

/** Every pid in /proc (none without /proc). */
export function procPids(): number[] {
  try {
    return fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number);
  } catch {
    return [];
  }
}

/** What each open descriptor of a process points at ("socket:[123]", "anon_inode:inotify", a path). */
export function fdLinks(pid: number): { fd: string; target: string }[] {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const out: { fd: string; target: string }[] = [];
  for (const fd of fds) {
    try {
      out.push({ fd, target: fs.readlinkSync(`/proc/${pid}/fd/${fd}`) });
    } catch {
      // Closed meanwhile.
    }
  }
  return out;
}

function socketInodes(pid: number, into: Set<string>): void {
  for (const { target } of fdLinks(pid)) {
    const inode = socketInode(target);
    if (inode) into.add(inode);
  }
}

/** The listeners of the network namespace `pid` lives in (a worker's may differ from ours). */
function listeners(pid: number | 'self'): (ListeningSocket & { inode: string })[] {
  const out: (ListeningSocket & { inode: string })[] = [];
  for (const [file, v6] of [['tcp', false], ['tcp6', true]] as const) {
    const text = read(`/proc/${pid}/net/${file}`);
    if (text !== undefined) out.push(...parseProcNetListening(text, v6));
  }
  return out;
}

export const procfsBackend: ProcessBackend = {
  name: 'procfs',

  table() {
    const rows: ProcRow[] = [];
    for (const pid of procPids()) {
      const s = stat(pid);
      if (s) rows.push({ pid: s.pid, ppid: s.ppid, pgid: s.pgid, state: s.state });
    }
    return rows;
  },

  process(pid): ProcDetail | undefined {
    const s = stat(pid);
    if (!s) return undefined;
    let uid: number;
    try {
      uid = fs.statSync(`/proc/${pid}`).uid;
    } catch {
      return undefined;
    }
    // Another user's process may hide its command line; the name stands in then.
    const cmdline = procfsBackend.commandLine(pid) ?? '';
    return { pid, ppid: s.ppid, pgid: s.pgid, state: s.state, comm: s.comm, cmdline, uid };
  },

  commandLine(pid) {
    return read(`/proc/${pid}/cmdline`)?.split('\0').join(' ').trim();
  },

  children(pid) {
    // Every thread's children file; absent when the kernel lacks CONFIG_PROC_CHILDREN.
    const out: number[] = [];
    let tids: string[];
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      return [];
    }
    for (const tid of tids) {
      const text = read(`/proc/${pid}/task/${tid}/children`);
      if (text === undefined) return fs.existsSync(`/proc/${pid}`) ? undefined : [];
      for (const s of text.split(/\s+/)) if (s) out.push(Number(s));
    }
    return [...new Set(out)];
  },

  rssBytes(pid) {
    const text = read(`/proc/${pid}/status`);
    return text === undefined ? undefined : parseStatusRss(text);
  },

  cpuMs(pid) {
    const s = stat(pid);
    // Clock ticks are 10 ms on every Linux configuration Node runs on (USER_HZ = 100).
    return s ? (s.utime + s.stime) * 10 : undefined;
  },

  listening(of) {
    if (!of.length) return [];
    const inodes = new Set<string>();
    for (const pid of of) socketInodes(pid, inodes);
    if (!inodes.size) return [];
    const out: ListeningSocket[] = [];
    for (const l of listeners(of[0])) {
      if (inodes.has(l.inode) && !out.some((o) => o.address === l.address && o.port === l.port)) out.push({ address: l.address, port: l.port });
    }
    return out;
  },

  portListeners(port) {
    const inodes = new Set(listeners('self').filter((l) => l.port === port).map((l) => l.inode));
    if (!inodes.size) return [];
    const holders: number[] = [];
    for (const pid of procPids()) {
      const held = new Set<string>();
      socketInodes(pid, held);
      if ([...held].some((i) => inodes.has(i))) holders.push(pid);
    }
    return holders;
  },

  cwds(of) {
    const out = new Map<number, string>();
    for (const pid of of) {
      try {
        out.set(pid, fs.readlinkSync(`/proc/${pid}/cwd`));
      } catch {
        // Gone, or not ours to read.
      }
    }
    return out;
  },

  fdCount(pid) {
    try {
      return fs.readdirSync(`/proc/${pid}/fd`).length;
    } catch {
      return undefined;
    }
  },
};
