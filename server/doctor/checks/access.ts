/** Unix permission arithmetic on gathered modes (pure): what the current user may do with a file. */
import type { FileFact, UserFacts } from '../facts';

type Want = 'read' | 'write';

/** r (and x for folders) or w (and x for folders) for `user`, from owner, group or other bits. Root may do anything. */
export function may(user: UserFacts, f: FileFact, want: Want): boolean {
  if (user.uid === 0) return true;
  const shift = f.uid === user.uid ? 6 : f.gid === user.gid || user.groups.includes(f.gid) ? 3 : 0;
  const bits = (f.mode >> shift) & 0o7;
  const need = (want === 'read' ? 0o4 : 0o2) | (f.isDir ? 0o1 : 0);
  return (bits & need) === need;
}

export function describeOwner(f: FileFact, names: Map<number, string>): string {
  return `mode ${(f.mode & 0o777).toString(8).padStart(4, '0')}, owner ${names.get(f.uid) ?? f.uid}:${f.gid}`;
}

export function describeUser(user: UserFacts, names: Map<number, string>): string {
  return `user ${names.get(user.uid) ?? user.uid} (uid ${user.uid})`;
}
