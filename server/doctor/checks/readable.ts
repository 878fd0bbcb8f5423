/**
 * SR_UNREADABLE: source files or folders the current user (the user the master and its workers
 * run as) cannot read: the worker fails to load them and the watcher cannot watch them.
 */
import type { Finding } from '../../protocol';
import type { Facts } from '../facts';
import { finding } from '../finding';
import { describeOwner, describeUser, may } from './access';

const SOURCE = /\.(js|mjs|cjs|jsx|ts|mts|cts|tsx|json|php|py|rb|html|css|env|ini|ya?ml|toml)$/i;
const MAX_FINDINGS = 20;

export function checkReadable(facts: Facts): Finding[] {
  const who = describeUser(facts.user, facts.userNames);
  const unreadable = facts.files.filter((f) => (f.isDir ? !may(facts.user, f, 'read') || f.listError === 'EACCES' : SOURCE.test(f.abs) && !may(facts.user, f, 'read')));
  return unreadable.slice(0, MAX_FINDINGS).map((f) =>
    finding(
      'SR_UNREADABLE',
      'error',
      `${who} cannot read ${f.isDir ? 'the folder ' : ''}${f.rel === '.' ? facts.dir : f.rel} (${describeOwner(f, facts.userNames)}): workers fail to load ${f.isDir ? 'anything in it' : 'it'} and the watcher misses its changes${unreadable.length > MAX_FINDINGS ? ` (${unreadable.length} unreadable in all)` : ''}`,
      f.isDir
        ? `give the user read and search permission: chmod u+rx,g+rx "${f.abs}" (or chown it to the user that runs Smooth Reload)`
        : `give the user read permission: chmod a+r "${f.abs}" (or chown it to the user that runs Smooth Reload)`,
      { file: f.abs },
    ),
  );
}
