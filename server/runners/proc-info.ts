/**
 * Linux /proc look-ups for command workers: the processes a worker started (the shim's
 * descendants, which a SIGKILL of the shim alone would leave running) and the TCP ports they
 * listen on (to say "the app listens on 3000, not on $PORT=41234" instead of a silent timeout).
 * Everything here is best effort: off Linux, or when a process is gone, the answers are empty.
 */
import * as fs from 'node:fs';

interface Stat {
  pid: number;
  ppid: number;
  pgrp: number;
}

function readStat(pid: number): Stat | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(rest[1]), pgrp: Number(rest[2]) };
  } catch {
    return undefined;
  }
}

/** Every live descendant of `root` (children, grandchildren, ...), and their process groups. */
export function descendants(root: number): { pids: number[]; groups: number[] } {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return { pids: [], groups: [] };
  }
  const stats = entries.map((e) => readStat(Number(e))).filter((s): s is Stat => !!s);
  const children = new Map<number, Stat[]>();
  for (const s of stats) {
    const list = children.get(s.ppid) ?? [];
    list.push(s);
    children.set(s.ppid, list);
  }
  const pids: number[] = [];
  const groups = new Set<number>();
  const queue = [root];
  while (queue.length) {
    for (const child of children.get(queue.shift()!) ?? []) {
      pids.push(child.pid);
      groups.add(child.pgrp);
      queue.push(child.pid);
    }
  }
  const own = readStat(process.pid)?.pgrp;
  if (own !== undefined) groups.delete(own);
  return { pids, groups: [...groups] };
}

export interface ListeningSocket {
  address: string;
  port: number;
}

function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  try {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) out.add(m[1]);
      } catch {
        // Closed meanwhile.
      }
    }
  } catch {
    // Gone, or not ours to read.
  }
  return out;
}

function decodeAddress(hex: string, v6: boolean): string {
  if (!v6) return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
  // Four little-endian 32-bit words.
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) for (const i of [3, 2, 1, 0]) bytes.push(parseInt(hex.slice(w * 8 + i * 2, w * 8 + i * 2 + 2), 16));
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return `[${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}]`;
}

/** TCP sockets in LISTEN state held by `root` or any of its descendants. */
export function listeningPorts(root: number): ListeningSocket[] {
  const inodes = new Set<string>();
  for (const pid of [root, ...descendants(root).pids]) for (const i of socketInodes(pid)) inodes.add(i);
  if (!inodes.size) return [];
  const out: ListeningSocket[] = [];
  for (const [file, v6] of [['tcp', false], ['tcp6', true]] as const) {
    let text = '';
    try {
      text = fs.readFileSync(`/proc/${root}/net/${file}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A' || !inodes.has(cols[9])) continue;
      const [addr, port] = cols[1].split(':');
      const entry = { address: decodeAddress(addr, v6), port: parseInt(port, 16) };
      if (!out.some((o) => o.address === entry.address && o.port === entry.port)) out.push(entry);
    }
  }
  return out;
}

/** Resident memory of one process (VmRSS), or undefined off Linux or when it is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Resident memory of `root` and all its descendants (a command worker's shim and the app it runs). */
export function treeRssBytes(root: number): number | undefined {
  const own = rssBytes(root);
  if (own === undefined) return undefined;
  return descendants(root).pids.reduce((sum, pid) => sum + (rssBytes(pid) ?? 0), own);
}
