/**
 * Pure parsers for what the operating system prints about processes: /proc files (Linux) and
 * the output of `ps` and `lsof` (macOS and other Unixes). No I/O here, so each is tested on
 * captured text (test/unit/procs-parse.test.ts).
 */

/** One process as a table row: enough to walk a tree and to tell a zombie. */
export interface ProcRow {
  pid: number;
  ppid: number;
  pgid: number;
  /** First letter of the state: R, S, D, T, Z, X, I, … ("Z" is a zombie). */
  state: string;
}

export interface ListeningSocket {
  address: string;
  port: number;
}

export interface ProcStat extends ProcRow {
  /** The kernel's name for the process (at most 15 characters on Linux); may hold spaces and ")". */
  comm: string;
  /** CPU time in clock ticks, user and system. */
  utime: number;
  stime: number;
}

/** /proc/<pid>/stat: "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …". */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  // comm may itself hold spaces and parentheses: it ends at the last ")".
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 2).split(' ');
  if (!Number.isInteger(pid) || rest.length < 13) return undefined;
  return { pid, comm: text.slice(open + 1, close), state: rest[0], ppid: Number(rest[1]), pgid: Number(rest[2]), utime: Number(rest[11]), stime: Number(rest[12]) };
}

/** VmRSS of /proc/<pid>/status in bytes; undefined for a zombie or a kernel thread (no VmRSS line). */
export function parseStatusRss(text: string): number | undefined {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** An address of /proc/net/tcp{,6}: IPv4 as one little-endian word, IPv6 as four. */
export function decodeProcAddress(hex: string, v6: boolean): string {
  if (!v6) return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) for (const i of [3, 2, 1, 0]) bytes.push(parseInt(hex.slice(w * 8 + i * 2, w * 8 + i * 2 + 2), 16));
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return `[${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}]`;
}

/** The LISTEN rows (state 0A) of /proc/net/tcp or tcp6, keyed by socket inode. */
export function parseProcNetListening(text: string, v6: boolean): (ListeningSocket & { inode: string })[] {
  const out: (ListeningSocket & { inode: string })[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 10 || cols[3] !== '0A') continue;
    const [addr, port] = cols[1].split(':');
    out.push({ inode: cols[9], address: decodeProcAddress(addr, v6), port: parseInt(port, 16) });
  }
  return out;
}

/** The inode of a /proc/<pid>/fd link that is a socket ("socket:[12345]"). */
export function socketInode(link: string): string | undefined {
  return /^socket:\[(\d+)\]$/.exec(link)?.[1];
}

/** The columns the portable back end asks `ps` for; `command` last, since it holds spaces. */
export const PS_TABLE_COLUMNS = 'pid=,ppid=,pgid=,rss=,stat=,uid=,command=';

export interface PsRow extends ProcRow {
  rssBytes: number;
  uid: number;
  command: string;
}

/** Output of `ps -A -o pid=,ppid=,pgid=,rss=,stat=,uid=,command=` (procps and BSD ps print it alike). */
export function parsePsTable(text: string): PsRow[] {
  const rows: PsRow[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\d+)\s?(.*)$/.exec(line);
    if (!m) continue;
    rows.push({ pid: Number(m[1]), ppid: Number(m[2]), pgid: Number(m[3]), rssBytes: Number(m[4]) * 1024, state: m[5][0], uid: Number(m[6]), command: m[7].trim() });
  }
  return rows;
}

/** `ps -o time=`: "[[dd-]hh:]mm:ss[.cc]" (procps prints whole seconds, BSD ps hundredths) in ms. */
export function parsePsTime(text: string): number | undefined {
  const m = /^\s*(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)(?:\.(\d+))?\s*$/.exec(text);
  if (!m) return undefined;
  const [, days, hours, minutes, seconds, fraction] = m;
  const whole = ((Number(days ?? 0) * 24 + Number(hours ?? 0)) * 60 + Number(minutes)) * 60 + Number(seconds);
  return whole * 1000 + (fraction ? Math.round(Number(`0.${fraction}`) * 1000) : 0);
}

/**
 * `lsof -F ptn` output: "p<pid>" starts a process, then per file "t<type>" and "n<name>". A name
 * of a TCP listener is "127.0.0.1:3000", "[::1]:3000" or "*:3000"; the type (IPv4/IPv6) says
 * which wildcard "*" is, so the answers read like the /proc ones ("0.0.0.0", "[::]").
 */
export function parseLsofListening(text: string): (ListeningSocket & { pid: number })[] {
  const out: (ListeningSocket & { pid: number })[] = [];
  let pid: number | undefined;
  let type = '';
  for (const line of text.split('\n')) {
    const field = line[0];
    const value = line.slice(1);
    if (field === 'p') {
      pid = Number(value);
      type = '';
    } else if (field === 'f') {
      type = '';
    } else if (field === 't') {
      type = value;
    } else if (field === 'n' && pid !== undefined) {
      // "host:port", or "local->remote" for a connected socket (not asked for, but skipped if present).
      const m = /^(.*):(\d+)$/.exec(value);
      if (!m || value.includes('->')) continue;
      const host = m[1] === '*' ? (type === 'IPv6' ? '[::]' : '0.0.0.0') : m[1];
      out.push({ pid, address: host, port: Number(m[2]) });
    }
  }
  return out;
}

/** `lsof -F pn` output as pid → name, for questions with one file per process (`-d cwd`). */
export function parseLsofNames(text: string): Map<number, string> {
  const out = new Map<number, string>();
  let pid: number | undefined;
  for (const line of text.split('\n')) {
    if (line[0] === 'p') pid = Number(line.slice(1));
    else if (line[0] === 'n' && pid !== undefined && !out.has(pid)) out.set(pid, line.slice(1));
  }
  return out;
}

/** `lsof -F f` output: how many numbered descriptors (cwd, txt, mem and the like are not fds). */
export function countLsofFds(text: string): number {
  return text.split('\n').filter((l) => /^f\d+$/.test(l)).length;
}
