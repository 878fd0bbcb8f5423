/**
 * Watches folders, not files: one `fs.watch` per watched folder (one inotify watch on Linux), which
 * reports every entry of that folder that is created, written, renamed or deleted. chokidar 4 adds
 * a watch per file as well, so on a big project the watches, the memory and the start time grow
 * with the files; here they grow with the folders.
 *
 * It reports paths that were touched (`onPath`), the ones `ignored` lets through; which of those
 * are real changes is decided when the batch is handed over (`settle`): a path that did not exist
 * before the batch and does not exist at its end was an editor's temp file (an atomic save writes
 * one and renames it over the file), and is dropped. New folders are watched first and then read,
 * so a file written into a new folder right after its creation is not missed; their files are
 * reported as added, and the files of a removed folder as removed.
 */
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Folder {
  watcher: fs.FSWatcher | undefined;
  /** Entries of this folder as last seen: its files, and the folders and links that are not ignored. */
  names: Set<string>;
  /** Set: only these names count (the folder holds a watched file or a watched path not yet created). */
  only?: Set<string>;
}

export interface DirWatcherOptions {
  /** Absolute folders or files to watch. */
  roots: string[];
  /** True for a path (file or folder) whose changes do not count; roots are never asked. */
  ignored(abs: string): boolean;
  /** A path in a watched folder was touched (not ignored). */
  onPath(abs: string): void;
}

/** Emits 'error' (with `path` set) for folders it cannot watch or read, like chokidar. */
export class DirWatcher extends EventEmitter {
  private readonly folders = new Map<string, Folder>();
  /** Files reached through a symbolic link (the folder's watch does not see the target change). */
  private readonly linkedFiles = new Map<string, fs.FSWatcher>();
  /** Real paths of watched folders: a symbolic link back up the tree is not followed twice. */
  private readonly realFolders = new Set<string>();
  /** Paths reported since the last `settle`, and whether they existed before their first report. */
  private readonly pending = new Map<string, boolean>();
  /** Folders reported as not readable (EACCES). */
  private readonly denied = new Set<string>();
  private closed = false;

  constructor(private readonly options: DirWatcherOptions) {
    super();
  }

  /** Watches the roots (synchronously: a walk of the folders, not a stat of every file). */
  start(): void {
    const roots = this.options.roots;
    const kinds = roots.map((r) => ({ root: r, dir: statOrUndefined(r)?.isDirectory() ?? false }));
    // Folders first, so a watched file in a watched folder needs nothing more.
    for (const { root } of kinds.filter((k) => k.dir)) this.addTree(root, false);
    for (const { root } of kinds.filter((k) => !k.dir)) this.addOnly(root);
  }

  close(): void {
    this.closed = true;
    for (const folder of this.folders.values()) folder.watcher?.close();
    for (const w of this.linkedFiles.values()) w.close();
    this.folders.clear();
    this.linkedFiles.clear();
    this.realFolders.clear();
    this.pending.clear();
  }

  /** How many folders (and linked files) hold a watch now. */
  get watchCount(): number {
    let n = this.linkedFiles.size;
    for (const f of this.folders.values()) if (f.watcher) n++;
    return n;
  }

  /**
   * The paths of a batch that are real changes: they exist now, or they existed before the batch
   * (a removal). What appeared and went again within the batch (an editor's temp file) is dropped.
   */
  settle(files: readonly string[]): Set<string> {
    const kept = new Set<string>();
    for (const file of files) {
      const existedBefore = this.pending.get(file) ?? true;
      this.pending.delete(file);
      const st = lstatOrUndefined(file);
      const names = this.folders.get(path.dirname(file))?.names;
      if (st) names?.add(path.basename(file));
      else if (!this.folders.has(file)) names?.delete(path.basename(file));
      if (st || existedBefore) kept.add(file);
    }
    return kept;
  }

  // ---------------------------------------------------------------------------

  private report(abs: string, existedBefore: boolean): void {
    if (!this.pending.has(abs)) this.pending.set(abs, existedBefore);
    this.options.onPath(abs);
  }

  private fail(err: unknown, where: string): void {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return; // Gone before it could be watched: its parent reports it.
    if (!e.path) e.path = where;
    // A folder it may not read is tried again on its next event (its mode may have changed), and reported once.
    if (e.code === 'EACCES' || e.code === 'EPERM') {
      if (this.denied.has(e.path)) return;
      this.denied.add(e.path);
    }
    if (this.listenerCount('error')) this.emit('error', e);
  }

  /** Watch `dir`, then read it; `fresh`: a folder created while watching, whose files are news. */
  private addTree(dir: string, fresh: boolean): void {
    const stack = [dir];
    while (stack.length && !this.closed) {
      const current = stack.pop()!;
      const existing = this.folders.get(current);
      if (existing && !existing.only) continue;
      let real: string;
      try {
        real = fs.realpathSync(current);
      } catch (err) {
        this.fail(err, current);
        continue;
      }
      if (!existing && this.realFolders.has(real)) continue;
      const folder: Folder = existing ?? { watcher: undefined, names: new Set() };
      delete folder.only;
      if (!folder.watcher) {
        try {
          folder.watcher = this.watchFolder(current);
        } catch (err) {
          this.fail(err, current);
          continue;
        }
      }
      this.folders.set(current, folder);
      this.realFolders.add(real);
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(current, { withFileTypes: true });
      } catch (err) {
        this.fail(err, current);
        continue;
      }
      for (const entry of entries) {
        const abs = path.join(current, entry.name);
        // At start a plain file is only remembered (whether it is ignored is asked when it changes):
        // matching 20,000 paths against the ignore globs was most of the start time.
        if (!fresh && entry.isFile()) {
          folder.names.add(entry.name);
          continue;
        }
        if (this.options.ignored(abs)) continue;
        folder.names.add(entry.name);
        let isDir = entry.isDirectory();
        if (entry.isSymbolicLink()) {
          isDir = statOrUndefined(abs)?.isDirectory() ?? false;
          if (!isDir) this.watchLinkedFile(abs);
        }
        if (isDir) stack.push(abs);
        else if (fresh) this.report(abs, false);
      }
    }
  }

  /** A watched file, or a watched path that does not exist yet: its folder, for that name only. */
  private addOnly(target: string): void {
    const dir = path.dirname(target);
    const name = path.basename(target);
    const existing = this.folders.get(dir);
    if (existing && !existing.only) return;
    if (existing) {
      existing.only!.add(name);
    } else {
      let watcher: fs.FSWatcher;
      try {
        watcher = this.watchFolder(dir);
      } catch (err) {
        this.fail(err, dir);
        return;
      }
      this.folders.set(dir, { watcher, names: new Set(), only: new Set([name]) });
    }
    if (statOrUndefined(target)) this.folders.get(dir)!.names.add(name);
    if (lstatOrUndefined(target)?.isSymbolicLink() && !statOrUndefined(target)?.isDirectory()) this.watchLinkedFile(target);
  }

  private watchFolder(dir: string): fs.FSWatcher {
    const watcher = fs.watch(dir, { persistent: true }, (_event, name) => this.onEvent(dir, name));
    watcher.on('error', (err) => this.fail(err, dir));
    return watcher;
  }

  private watchLinkedFile(abs: string): void {
    if (this.linkedFiles.has(abs)) return;
    try {
      const watcher = fs.watch(abs, { persistent: true }, () => this.report(abs, true));
      watcher.on('error', () => undefined);
      this.linkedFiles.set(abs, watcher);
    } catch {
      // A dangling link: its folder's watch still sees the link itself change.
    }
  }

  private onEvent(dir: string, name: string | Buffer | null): void {
    if (this.closed) return;
    const folder = this.folders.get(dir);
    if (!folder) return;
    if (name === null) return this.rescan(dir, folder);
    const base = String(name);
    if (folder.only && !folder.only.has(base)) return;
    const abs = path.join(dir, base);
    if (this.options.ignored(abs)) return;
    const known = folder.names.has(base);
    const st = statOrUndefined(abs);
    if (st?.isDirectory()) {
      folder.names.add(base);
      if (!this.folders.has(abs) || this.folders.get(abs)!.only) this.addTree(abs, true);
      return;
    }
    if (this.folders.has(abs) && !this.folders.get(abs)!.only) {
      // A watched folder went away (removed or renamed): its files are removed.
      this.removeTree(abs);
      folder.names.delete(base);
      return;
    }
    if (st && lstatOrUndefined(abs)?.isSymbolicLink()) this.watchLinkedFile(abs);
    else if (!st && this.linkedFiles.has(abs)) {
      this.linkedFiles.get(abs)!.close();
      this.linkedFiles.delete(abs);
    }
    this.report(abs, known);
  }

  /** The kernel dropped events (queue overflow): compare the folder with what it held. */
  private rescan(dir: string, folder: Folder): void {
    let now: string[] = [];
    try {
      now = fs.readdirSync(dir);
    } catch {
      // Gone: its parent reports it.
    }
    for (const name of new Set([...now, ...folder.names])) this.onEvent(dir, name);
  }

  private removeTree(dir: string): void {
    const prefix = dir + path.sep;
    for (const [folderPath, folder] of [...this.folders]) {
      if (folderPath !== dir && !folderPath.startsWith(prefix)) continue;
      for (const name of folder.names) {
        const abs = path.join(folderPath, name);
        if (!this.folders.has(abs) && !this.options.ignored(abs)) this.report(abs, true);
      }
      folder.watcher?.close();
      this.folders.delete(folderPath);
    }
    for (const [file, w] of [...this.linkedFiles]) {
      if (file.startsWith(prefix)) {
        w.close();
        this.linkedFiles.delete(file);
      }
    }
    // Real paths are rebuilt from the folders still watched (a moved folder may come back elsewhere).
    this.realFolders.clear();
    for (const folderPath of this.folders.keys()) {
      try {
        this.realFolders.add(fs.realpathSync(folderPath));
      } catch {
        // Gone too: its own event removes it.
      }
    }
  }
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}
