/**
 * Code snapshots for rollback. Each Node worker's bootstrap copies every file it compiles (outside
 * node_modules) into its generation's folder, `.smooth-reload/snapshots/gen-N/`, at the moment it
 * compiles it, so even a file required lazily is kept exactly as that generation ran it. A
 * rollback starts workers whose bootstrap compiles those copies instead of the files on disk;
 * the saved sources stay untouched. ES modules are not covered (the bootstrap hooks CommonJS).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { STATE_DIR } from '../state-file';

/** Folder a worker copies what it compiles into. */
export const SNAPSHOT_DIR_ENV = 'SMOOTH_RELOAD_SNAPSHOT_DIR';
/** Folder whose copies a rollback's workers compile instead of the disk. */
export const SNAPSHOT_FROM_ENV = 'SMOOTH_RELOAD_SNAPSHOT_FROM';
export const SNAPSHOT_INDEX = 'index.jsonl';

export function snapshotDir(cwd: string, generation: number): string {
  return path.join(cwd, STATE_DIR, 'snapshots', `gen-${generation}`);
}

/** The files a snapshot holds: original absolute path → copy. Empty when there is none. */
export function readSnapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  let text = '';
  try {
    text = fs.readFileSync(path.join(dir, SNAPSHOT_INDEX), 'utf8');
  } catch {
    return files;
  }
  for (const line of text.split('\n')) {
    try {
      const { file, copy } = JSON.parse(line) as { file: string; copy: string };
      if (!files.has(file)) files.set(file, path.join(dir, copy));
    } catch {
      // A torn last line: the rest is still usable.
    }
  }
  return files;
}

/** Remove snapshot folders other than the kept generations'. */
export function pruneSnapshots(cwd: string, keepDirs: string[]): void {
  const root = path.join(cwd, STATE_DIR, 'snapshots');
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(root);
  } catch {
    return;
  }
  for (const e of entries) {
    const dir = path.join(root, e);
    if (!keepDirs.includes(dir)) fs.rmSync(dir, { recursive: true, force: true });
  }
}
