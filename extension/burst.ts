/**
 * Coalesces a burst of saves into one reload request: "Save All" of 30 files fires 30 save
 * events within a few milliseconds and must become ONE request naming all 30 files. The first
 * save of a burst opens a window of `debounceMs`; every save inside it joins; the window's end
 * flushes. Pure (timers are injected), so the unit tests drive the clock.
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
}

export class BurstCoalescer {
  private files = new Set<string>();
  private firstAt = 0;
  private timer: unknown;
  private disposed = false;

  constructor(
    private readonly flush: (burst: Burst) => void,
    private readonly debounceMs: () => number,
    private readonly timers: BurstTimers = realTimers,
  ) {}

  /** Add a saved file; starts the burst's window if none is open. */
  add(file: string): void {
    if (this.disposed) return;
    if (this.files.size === 0) this.firstAt = this.timers.now();
    this.files.add(file);
    if (this.timer !== undefined) return;
    const ms = Math.max(0, this.debounceMs());
    this.timer = this.timers.set(() => this.fire(), ms);
  }

  get pending(): number {
    return this.files.size;
  }

  /** Send what is pending now (Reload Now uses this so a pending burst is not reloaded twice). */
  fire(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    if (this.files.size === 0) return;
    const burst = { files: [...this.files], firstAt: this.firstAt };
    this.files = new Set();
    this.flush(burst);
  }

  /** Drop what is pending (auto-reload turned off, master stopped). */
  cancel(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    this.files = new Set();
  }

  dispose(): void {
    this.cancel();
    this.disposed = true;
  }
}
