/**
 * SR_STATE_UNWRITABLE: the master cannot write `.smooth-reload/` (its state file, pid file and
 * control token), so "smooth-reload reload/status" and the editor cannot find the running master.
 */
import type { Finding } from '../../protocol';
import type { Facts } from '../facts';
import { finding } from '../finding';
import { describeOwner, describeUser, may } from './access';

export function checkStateDir(facts: Facts): Finding[] {
  const root = facts.files[0];
  const target = facts.stateDir?.isDir ? facts.stateDir : facts.stateDir ? undefined : root;
  if (facts.stateDir && !facts.stateDir.isDir) {
    return [
      finding('SR_STATE_UNWRITABLE', 'error', `${facts.stateDir.abs} is a file, not a folder: the master cannot write its state there`, `remove the file: rm "${facts.stateDir.abs}"`, { file: facts.stateDir.abs }),
    ];
  }
  if (!target || may(facts.user, target, 'write')) return [];
  const what = target === root ? `the project folder ${facts.dir} (to create .smooth-reload/)` : target.abs;
  return [
    finding(
      'SR_STATE_UNWRITABLE',
      'error',
      `${describeUser(facts.user, facts.userNames)} cannot write ${what} (${describeOwner(target, facts.userNames)}): the master starts, but "smooth-reload reload/status" and the editor cannot find it`,
      `make it writable for that user: sudo chown -R ${facts.userNames.get(facts.user.uid) ?? facts.user.uid} "${target.abs}"`,
      { file: target.abs },
    ),
  ];
}
