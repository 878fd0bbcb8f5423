/**
 * SR_WATCH_LIMIT: the watcher needs one inotify watch per watched folder (a file costs none: its
 * folder's watch sees it; a watched file costs its folder's), and this user's processes already
 * hold some: beyond fs.inotify.max_user_watches the watcher fails with ENOSPC and saves are not seen.
 */
import * as path from 'node:path';
import type { Finding } from '../../protocol';
import type { Facts } from '../facts';
import { finding } from '../finding';
import { watchScope } from './watch-scope';

export function checkWatchLimit(facts: Facts): Finding[] {
  const scope = watchScope(facts);
  if (!facts.inotify || !scope.enabled || scope.usePolling) return [];
  const { maxUserWatches, inUse } = facts.inotify;
  const folders = new Set(scope.watched.filter((f) => f.isDir).map((f) => f.abs));
  for (const root of scope.roots) if (!folders.has(root)) folders.add(path.dirname(root));
  const need = folders.size;
  // A running master for this project already holds its watches: do not count them twice.
  const others = facts.master?.alive ? 0 : inUse;
  if (need + others <= maxUserWatches) return [];
  return [
    finding(
      'SR_WATCH_LIMIT',
      'error',
      `watching this project needs about ${need}${facts.truncated ? '+' : ''} inotify watches and this user's processes already hold ${inUse}, but fs.inotify.max_user_watches is ${maxUserWatches}: the watcher fails with ENOSPC and saves are not seen`,
      'raise the limit: sudo sysctl fs.inotify.max_user_watches=524288 (persist it in /etc/sysctl.d/60-inotify.conf), or narrow "watch.paths" / add "watch.ignore" globs, or set "watch.usePolling": true',
      facts.config?.configFile ? { file: facts.config.configFile } : {},
    ),
  ];
}
