/**
 * Coalesces a burst of saves into one reload request: "Save All" of 30 files fires 30 save
 * events and must become ONE request naming all 30 files. The burst ends when no save came for
 * `debounceMs` (trailing edge: a remote or busy editor spaces the saves of one "Save All" by
 * tens of milliseconds) and no save announced by `willSave` is still being written, or at the
 * latest `maxWaitMs` after its first save, so a stream of saves still reloads. Pure (timers are
 * injected), so the unit tests drive the clock.
 */
export interface BurstTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
  now(): number;
}

export const realTimers: BurstTimers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
  now: () => performance.now(),
};

export interface Burst {
  files: string[];
  /** When the first save of the burst arrived (timers.now()). */
  firstAt: number;
  /** When the timer that sent it was due (timers.now()); undefined when sent by fire() directly. */
  dueAt?: number;
}

export class BurstCoalescer {
  private files = new Set<string>();
  /** Saves announced (willSave) and not yet done. */
  private readonly writing = new Set<string>();
  private firstAt = 0;
  private timer: unknown;
  private dueAt: number | undefined;
  private disposed = false;

  constructor(
    private readonly flush: (burst: Burst) => void,
    private readonly debounceMs: () => number,
    private readonly timers: BurstTimers = realTimers,
    private readonly maxWaitMs = 1000,
  ) {}

  /** A save is about to be written (onWillSaveTextDocument): the burst waits for it. */
  willSave(file: string): void {
    if (this.disposed) return;
    this.writing.add(file);
  }

  /** Add a saved file; (re)starts the quiet window, never past maxWaitMs after the first save. */
  add(file: string): void {
    if (this.disposed) return;
    const now = this.timers.now();
    if (this.files.size === 0) this.firstAt = now;
    this.files.add(file);
    this.writing.delete(file);
    this.arm(now);
  }

  private arm(now: number): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    const quiet = Math.max(0, this.debounceMs());
    const ms = Math.max(0, Math.min(quiet, this.firstAt + Math.max(quiet, this.maxWaitMs) - now));
    this.dueAt = now + ms;
    this.timer = this.timers.set(() => this.onQuiet(), ms);
  }

  private onQuiet(): void {
    this.timer = undefined;
    const now = this.timers.now();
    // Other saves of the same "Save All" are still being written: wait for them, within maxWaitMs.
    if (this.writing.size && now < this.firstAt + this.maxWaitMs) this.arm(now);
    else this.fire(this.dueAt);
  }

  get pending(): number {
    return this.files.size;
  }

  /** Send what is pending now (Reload Now uses this so a pending burst is not reloaded twice). */
  fire(dueAt?: number): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    this.dueAt = undefined;
    this.writing.clear();
    if (this.files.size === 0) return;
    const burst: Burst = { files: [...this.files], firstAt: this.firstAt, ...(dueAt !== undefined ? { dueAt } : {}) };
    this.files = new Set();
    this.flush(burst);
  }

  /** Drop what is pending (auto-reload turned off, master stopped). */
  cancel(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    this.files = new Set();
    this.writing.clear();
  }

  dispose(): void {
    this.cancel();
    this.disposed = true;
  }
}
