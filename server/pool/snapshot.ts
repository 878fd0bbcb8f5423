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

export { SNAPSHOT_DIR_ENV, SNAPSHOT_FROM_ENV, readSnapshot } from '../runners/snapshot-files';

export function snapshotDir(cwd: string, generation: number): string {
  return path.join(cwd, STATE_DIR, 'snapshots', `gen-${generation}`);
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
