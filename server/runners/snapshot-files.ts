/**
 * The format of a code snapshot folder, shared by the worker bootstrap (which writes and replays
 * it) and the pool (which picks one for a rollback): `<sha1>.js` copies of each compiled file and
 * an `index.jsonl` of `{ file, copy }` lines. Node built-ins only: it is bundled into the
 * bootstrap that runs inside the user's app.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Folder a worker copies what it compiles into. */
export const SNAPSHOT_DIR_ENV = 'SMOOTH_RELOAD_SNAPSHOT_DIR';
/** Folder whose copies a rollback's workers compile instead of the disk. */
export const SNAPSHOT_FROM_ENV = 'SMOOTH_RELOAD_SNAPSHOT_FROM';
const INDEX = 'index.jsonl';

/** The files a snapshot holds: original absolute path → copy. Empty when there is none. */
export function readSnapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  let text = '';
  try {
    text = fs.readFileSync(path.join(dir, INDEX), 'utf8');
  } catch {
    return files;
  }
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const { file, copy } = JSON.parse(line) as { file: string; copy: string };
      if (!files.has(file)) files.set(file, path.join(dir, copy));
    } catch {
      // A torn last line: the rest is still usable.
    }
  }
  return files;
}

/** Add one compiled file to a snapshot. Best effort: a snapshot without it cannot roll back to it, and says so. */
export function keepInSnapshot(dir: string, file: string, content: string, sha1: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const copy = `${sha1}.js`;
    fs.writeFileSync(path.join(dir, copy), content, { mode: 0o600 });
    fs.appendFileSync(path.join(dir, INDEX), JSON.stringify({ file, copy }) + '\n', { mode: 0o600 });
  } catch {
    // Disk full, read-only: rollback reports it cannot.
  }
}
