/**
 * Watches the project and hands over debounced, classified batches of changes.
 *
 * On Linux, one inotify watch per folder (`DirWatcher`: `fs.watch` on each watched folder), so the
 * cost follows folders, not files. chokidar keeps polling (`watch.usePolling`: network drives,
 * containers, WSL's /mnt/c) and the other platforms, where its handling of their event APIs matters.
 * Watch errors (ENOSPC: inotify limit) become findings, and the watcher is restarted when it dies.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '../logger';
import type { Finding } from '../protocol';
import { finding } from '../finding';
import { createClassifier, emptyBatch, type ChangeBatch, type ClassifyOptions } from './classify';
import { DirWatcher } from './dir-watcher';

export interface WatcherOptions extends ClassifyOptions {
  paths: string[];
  debounceMs: number;
  usePolling: boolean;
  /** Overrides `watchMechanism` (the bench compares both on one machine). */
  mechanism?: 'folders' | 'chokidar';
}

/** Which mechanism watches: a watch per folder (Linux, events) or chokidar (polling, other platforms). */
export function watchMechanism(options: { usePolling: boolean }, platform: NodeJS.Platform = process.platform): 'folders' | 'chokidar' {
  return platform === 'linux' && !options.usePolling ? 'folders' : 'chokidar';
}

export class ProjectWatcher {
  private watcher: FSWatcher | DirWatcher | undefined;
  private batch = emptyBatch();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly classify;
  /** Restarts after a watcher failure back off (a persistent error must not spin). */
  private restartDelayMs = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private lastErrorAt = 0;
  /** ENOSPC/EMFILE come once per folder that could not be watched: reported once per start. */
  private limitReported = false;

  constructor(
    private readonly options: WatcherOptions,
    private readonly onBatch: (batch: ChangeBatch) => void,
    private readonly onFinding: (finding: Finding | undefined) => void,
    private readonly logger: Logger,
  ) {
    this.classify = createClassifier(options);
  }

  /** Watches (inotify) held now by the folder watcher; undefined with chokidar. */
  get watchCount(): number | undefined {
    return this.watcher instanceof DirWatcher ? this.watcher.watchCount : undefined;
  }

  start(): Promise<void> {
    const { options } = this;
    const roots = options.paths.map((p) => path.resolve(options.cwd, p));
    const ignored = (file: string) => !roots.includes(file) && this.classify(file) === 'ignored';
    this.limitReported = false;
    if ((options.mechanism ?? watchMechanism(options)) === 'folders') {
      const watcher = new DirWatcher({ roots, ignored, onPath: (file) => this.onChange(file) });
      this.watcher = watcher;
      watcher.on('error', (err) => this.onError(err as NodeJS.ErrnoException));
      watcher.start();
      return Promise.resolve();
    }
    const watcher = watch(roots, {
      ignoreInitial: true,
      usePolling: options.usePolling,
      interval: 200,
      ignored,
    });
    this.watcher = watcher;
    for (const event of ['add', 'change', 'unlink'] as const) watcher.on(event, (file: string) => this.onChange(file));
    watcher.on('error', (err) => this.onError(err as NodeJS.ErrnoException));
    return new Promise((resolve) => watcher.once('ready', () => resolve()));
  }

  close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    return Promise.resolve(this.watcher?.close());
  }

  private onChange(file: string): void {
    const kind = this.classify(file);
    if (kind === 'ignored') return;
    const list = this.batch[kind];
    if (!list.includes(file)) list.push(file);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.options.debounceMs);
  }

  private flush(): void {
    const batch = this.batch;
    this.batch = emptyBatch();
    if (this.watcher instanceof DirWatcher) {
      // Drop what came and went within the batch (an editor's temp file, renamed over the saved file).
      const lists = Object.values(batch) as string[][];
      const kept = this.watcher.settle(lists.flat());
      for (const list of lists) list.splice(0, list.length, ...list.filter((f) => kept.has(f)));
      if (!lists.some((l) => l.length)) return;
    }
    this.onBatch(batch);
  }

  private onError(err: NodeJS.ErrnoException): void {
    if (err.code === 'ENOSPC' || err.code === 'EMFILE') {
      if (this.limitReported) return;
      this.limitReported = true;
      let limit = 'unknown';
      try {
        limit = fs.readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8').trim();
      } catch {
        // Not Linux.
      }
      this.onFinding(
        finding(
          'SR_WATCH_LIMIT',
          'error',
          `the file watcher ran out of ${err.code === 'ENOSPC' ? `inotify watches (fs.inotify.max_user_watches = ${limit})` : 'file descriptors'}; changes are not seen`,
          err.code === 'ENOSPC'
            ? 'raise the limit: sudo sysctl fs.inotify.max_user_watches=524288 (persist it in /etc/sysctl.d/), or narrow "watch.paths", or set "watch.usePolling": true'
            : 'raise the open file limit (ulimit -n) or narrow "watch.paths"',
        ),
      );
      return;
    }
    if (err.code === 'EACCES' || err.code === 'EPERM') {
      // One folder it may not read: the rest stays watched, and a restart would hit it again.
      const where = (err as { path?: string }).path ?? 'a folder';
      this.logger.warn(`file watcher error: ${err.message}; changes in ${where} are not seen`);
      this.onFinding(finding('SR_WATCH_DENIED', 'warning', `the file watcher may not read ${where} (${err.code}); changes there are not seen`, 'make it readable by you, or add it to "watch.ignore"'));
      return;
    }
    if (this.closed || this.restartTimer) return;
    const now = Date.now();
    this.restartDelayMs = now - this.lastErrorAt > 60_000 ? 250 : Math.min(30_000, this.restartDelayMs * 2);
    this.lastErrorAt = now;
    this.logger.warn(`file watcher error: ${err.message}; restarting the watcher in ${this.restartDelayMs} ms`);
    const old = this.watcher;
    this.restartTimer = setTimeout(() => {
      void Promise.resolve(old?.close()).then(() => {
        this.restartTimer = undefined;
        if (this.closed) return undefined;
        return this.start().then(() => this.logger.info('file watcher restarted'));
      });
    }, this.restartDelayMs);
  }
}
