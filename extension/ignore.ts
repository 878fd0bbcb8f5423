/** Which saved files must not trigger a reload: the user's ignore globs plus the master's own folders. */
import * as path from 'node:path';
import picomatch from 'picomatch';
import { CONFIG_FILE_NAME } from '../server/config';

/**
 * Always ignored: the master's state folder, dependencies and VCS internals, and the folder's
 * config file (the master reads it once; its own watcher reports a change as SR_CONFIG_CHANGED).
 */
export const BUILTIN_IGNORES = ['**/.smooth-reload/**', '**/node_modules/**', '**/.git/**', CONFIG_FILE_NAME];

/** Returns a predicate over absolute paths; globs match the path relative to `folder`. */
export function makeIgnore(folder: string, globs: readonly string[]): (file: string) => boolean {
  const match = picomatch([...BUILTIN_IGNORES, ...globs], { dot: true });
  return (file) => {
    const rel = path.relative(folder, file);
    if (rel.startsWith('..') || path.isAbsolute(rel)) return true; // outside the folder
    return match(rel.split(path.sep).join('/'));
  };
}
