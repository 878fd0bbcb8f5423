/**
 * Facts about the machine and the current user, from /proc and /etc (Linux; empty elsewhere).
 * The master's process comes from server/procs (any Unix); inotify and capabilities exist only
 * on Linux, so they stay /proc reads.
 */
import * as fs from 'node:fs';
import { processInfo } from '../../procs';
import { fdLinks, procPids } from '../../procs/procfs';
import type { MasterFacts, MountFact, UserFacts } from './types';

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The user the doctor runs as, which is the user the master and its workers run as. */
export function currentUser(): UserFacts {
  const status = read('/proc/self/status') ?? '';
  const cap = /^CapEff:\s*([0-9a-f]+)/m.exec(status);
  return {
    uid: process.getuid?.() ?? -1,
    gid: process.getgid?.() ?? -1,
    groups: process.getgroups?.() ?? [],
    capEff: cap ? BigInt(`0x${cap[1]}`) : 0n,
  };
}

export function userNames(): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of (read('/etc/passwd') ?? '').split('\n')) {
    const [name, , uid] = line.split(':');
    if (name && uid && /^\d+$/.test(uid)) names.set(Number(uid), name);
  }
  return names;
}

/** /proc/mounts: mount points with octal escapes (\040 for a space) decoded. */
export function parseMounts(text: string): MountFact[] {
  const mounts: MountFact[] = [];
  for (const line of text.split('\n')) {
    const cols = line.split(' ');
    if (cols.length < 3) continue;
    mounts.push({ mountPoint: cols[1].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))), type: cols[2] });
  }
  return mounts;
}

export function mounts(): MountFact[] {
  return parseMounts(read('/proc/mounts') ?? '');
}

export function isWsl(): boolean {
  return /microsoft|wsl/i.test(read('/proc/sys/kernel/osrelease') ?? '');
}

/** The inotify watch limit and how many watches this user's processes already hold (Linux only, as inotify). */
export function inotify(uid: number): { maxUserWatches: number; inUse: number } | undefined {
  const max = Number((read('/proc/sys/fs/inotify/max_user_watches') ?? '').trim());
  if (!Number.isFinite(max) || max <= 0) return undefined;
  let inUse = 0;
  for (const pid of procPids()) {
    const status = read(`/proc/${pid}/status`);
    const owner = status && /^Uid:\s*(\d+)/m.exec(status);
    if (!owner || Number(owner[1]) !== uid) continue;
    for (const { fd, target } of fdLinks(pid)) {
      if (target === 'anon_inode:inotify') inUse += ((read(`/proc/${pid}/fdinfo/${fd}`) ?? '').match(/^inotify wd:/gm) ?? []).length;
    }
  }
  return { maxUserWatches: max, inUse };
}

export function unprivilegedPortStart(): number | undefined {
  const n = Number((read('/proc/sys/net/ipv4/ip_unprivileged_port_start') ?? '').trim());
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** The master recorded in .smooth-reload/state.json: is it alive, whose is it, what runs there. */
export function masterFacts(stateFile: string): MasterFacts | undefined {
  const text = read(stateFile);
  if (!text) return undefined;
  let pid: number;
  try {
    pid = Number((JSON.parse(text) as { pid?: unknown }).pid);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const proc = processInfo(pid);
  if (!proc) return { pid, alive: false };
  return { pid, alive: true, uid: proc.uid, ...(proc.cmdline ? { cmdline: proc.cmdline } : {}) };
}
