/**
 * SR_WATCH_MOUNT: a watched folder lives on a file system where inotify events do not arrive for
 * changes made elsewhere: network shares (nfs, cifs/smb), 9p and drvfs (WSL's /mnt/c), FUSE,
 * VirtualBox shares; or an overlay (a container's own layer). Polling sees those changes.
 */
import * as path from 'node:path';
import type { Finding } from '../../protocol';
import type { Facts, MountFact } from '../facts';
import { finding, locateJsonValue } from '../finding';
import { watchScope } from './watch-scope';

const NO_EVENTS = /^(nfs4?|cifs|smb3?|smbfs|9p|drvfs|fuse(\..*)?|fuseblk|vboxsf|sshfs)$/;

/** The mount a path lives on: the longest mount point that contains it. */
export function mountOf(mounts: MountFact[], abs: string): MountFact | undefined {
  let best: MountFact | undefined;
  for (const m of mounts) {
    const inside = m.mountPoint === '/' || abs === m.mountPoint || abs.startsWith(m.mountPoint + path.sep);
    if (inside && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

export function checkWatchMount(facts: Facts): Finding[] {
  const scope = watchScope(facts);
  if (!scope.enabled || scope.usePolling) return [];
  const out: Finding[] = [];
  for (const root of scope.roots) {
    const mount = mountOf(facts.mounts, root);
    const wslDrive = facts.wsl && /^\/mnt\/[a-z]\//i.test(root + '/');
    if (!wslDrive && !(mount && (NO_EVENTS.test(mount.type) || mount.type === 'overlay'))) continue;
    const overlayOnly = !wslDrive && mount?.type === 'overlay';
    const rel = path.relative(facts.dir, root) || '.';
    const where = facts.config?.configFile ? { file: facts.config.configFile, ...(locateJsonValue(facts.configText, 'watch') ?? {}) } : {};
    out.push(
      finding(
        'SR_WATCH_MOUNT',
        overlayOnly ? 'info' : 'warning',
        wslDrive
          ? `${root} is on a Windows drive mounted into WSL (${mount?.type ?? 'drvfs'}): file change events from Windows editors do not arrive, so saves are not seen`
          : overlayOnly
            ? `${root} is on an overlay file system (a container layer): changes made inside the container are seen, changes made from the host are not`
            : `${root} is on a ${mount!.type} mount (${mount!.mountPoint}): change events for edits made on another machine or the host do not arrive, so saves are not seen`,
        wslDrive
          ? `move the project into the Linux file system (e.g. ~/projects), or set "watch.usePolling": true for "${rel}"`
          : 'set "watch.usePolling": true in smooth-reload.config.json (or edit the files from inside this machine)',
        where,
      ),
    );
  }
  return out;
}
