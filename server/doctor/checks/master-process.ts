/**
 * The master named in .smooth-reload/state.json, as signals and the CLI will find it:
 * - SR_MASTER_OTHER_USER: it runs as another user (often root: sudo, a container), so SIGUSR1 and
 *   SIGTERM fail with EPERM; when its state folder is unreadable, the CLI cannot even find it.
 * - SR_PID_NOT_MASTER: the pid now belongs to another program (the master died, the pid was reused),
 *   so a signal sent to it would hit that program.
 */
import * as path from 'node:path';
import type { Finding } from '../../protocol';
import type { Facts } from '../facts';
import { finding } from '../finding';
import { may } from './access';

const MASTER_CMDLINE = /smooth-reload|\bcli\.js\b/;

function otherUser(facts: Facts, uid: number, stateFile: string, detail: string): Finding {
  const owner = facts.userNames.get(uid) ?? String(uid);
  return finding(
    'SR_MASTER_OTHER_USER',
    'error',
    `${detail} belongs to ${owner}, not to uid ${facts.user.uid}: reload and stop signals to it fail with EPERM${facts.master ? '' : ', and "smooth-reload reload/status" cannot read its state'}`,
    `run the command as ${owner} (sudo -u ${owner} smooth-reload reload), or stop that master and start it as your own user`,
    { file: stateFile },
  );
}

export function checkMasterProcess(facts: Facts): Finding[] {
  const stateFile = path.join(facts.dir, '.smooth-reload', 'state.json');
  const m = facts.master;
  if (!m && facts.stateDir?.isDir && facts.stateDir.uid !== facts.user.uid && !may(facts.user, facts.stateDir, 'read')) {
    return [otherUser(facts, facts.stateDir.uid, stateFile, `the .smooth-reload folder (a master's state, ${facts.stateDir.rel})`)];
  }
  if (!m?.alive) return [];
  if (m.cmdline !== undefined && !MASTER_CMDLINE.test(m.cmdline)) {
    return [
      finding(
        'SR_PID_NOT_MASTER',
        'warning',
        `.smooth-reload/state.json names pid ${m.pid}, but that process runs "${m.cmdline.slice(0, 120)}", not a Smooth Reload master: the master died and its pid was reused, so a SIGUSR1 sent there would hit the wrong program`,
        `delete the stale file (rm "${stateFile}") and start the master again with "smooth-reload serve"`,
        { file: stateFile },
      ),
    ];
  }
  if (m.uid !== undefined && m.uid !== facts.user.uid && facts.user.uid !== 0) return [otherUser(facts, m.uid, stateFile, `the master (pid ${m.pid})`)];
  return [];
}
