/**
 * SR_ROOT_OWNED: files owned by root in a project owned by someone else, as left by a `sudo`
 * build or install: the project's owner cannot rebuild or replace them, so saves stop reaching
 * the compiled output (or the state folder).
 */
import type { Finding } from '../../protocol';
import type { Facts } from '../facts';
import { finding } from '../finding';

const LISTED = 5;

export function checkRootOwned(facts: Facts): Finding[] {
  const root = facts.files[0];
  if (!root || root.uid === 0) return [];
  const owned = [...(facts.stateDir && facts.stateDir.uid === 0 ? [facts.stateDir] : []), ...facts.files.filter((f) => f.uid === 0)];
  if (!owned.length) return [];
  const owner = facts.userNames.get(root.uid) ?? String(root.uid);
  // Only the topmost root-owned paths: a root-owned dist/ covers everything in it.
  const tops = owned.filter((f) => !owned.some((o) => o !== f && o.isDir && f.abs.startsWith(o.abs + '/')));
  const first = tops[0];
  return [
    finding(
      'SR_ROOT_OWNED',
      'warning',
      `${owned.length} path${owned.length > 1 ? 's' : ''} in this project (owned by ${owner}) ${owned.length > 1 ? 'are' : 'is'} owned by root, as left by a command run with sudo: ${tops.slice(0, LISTED).map((f) => f.rel).join(', ')}${tops.length > LISTED ? ` and ${tops.length - LISTED} more` : ''}. Builds and saves as ${owner} cannot replace ${owned.length > 1 ? 'them' : 'it'}`,
      `give them back to the project's owner: sudo chown -R ${owner}:${root.gid} "${facts.dir}"; then run builds without sudo`,
      { file: first.abs },
      tops.slice(1, LISTED).map((f) => ({ file: f.abs, message: 'also owned by root' })),
    ),
  ];
}
