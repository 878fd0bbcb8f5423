/**
 * Saves that a reload already started for. A save in VS Code reaches the master twice: through
 * its own watcher and as the extension's `reload` request naming the file. Whichever comes first
 * starts the reload and is recorded here; the second finds the save covered: a request joins that
 * reload, a watcher event is dropped. A file counts as covered while its modification time is the
 * one it had when the reload was asked for; any later write makes a reload of its own.
 */
export type MtimeOf = (file: string) => number | undefined;

/** The most files remembered; the oldest are forgotten first. */
const MAX_FILES = 1000;

export class CoveredSaves<T> {
  private readonly files = new Map<string, { mtimeMs: number; seq: number; reload: T }>();
  private seq = 0;

  /** `reload` was started for these files (absolute paths), as they are now. */
  record(files: readonly string[], mtimeOf: MtimeOf, reload: T): void {
    const seq = ++this.seq;
    for (const file of files) {
      const mtimeMs = mtimeOf(file);
      this.files.delete(file);
      if (mtimeMs === undefined) continue;
      this.files.set(file, { mtimeMs, seq, reload });
    }
    for (const file of this.files.keys()) {
      if (this.files.size <= MAX_FILES) break;
      this.files.delete(file);
    }
  }

  /** The latest reload that covers every one of `files` as they are now, or undefined. */
  find(files: readonly string[], mtimeOf: MtimeOf): T | undefined {
    if (!files.length) return undefined;
    let latest: { seq: number; reload: T } | undefined;
    for (const file of files) {
      const entry = this.files.get(file);
      if (!entry || entry.mtimeMs !== mtimeOf(file)) return undefined;
      if (!latest || entry.seq > latest.seq) latest = entry;
    }
    return latest?.reload;
  }
}
