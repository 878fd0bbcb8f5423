/**
 * When to restart a crashed worker: exponential backoff as an immutable value, plus a crash-loop
 * guard that gives up after too many crashes in a window (until the next reload resets it).
 */
export class Backoff {
  constructor(
    readonly initialMs: number,
    readonly maxMs: number,
    readonly attempt = 0,
  ) {}
  /** Delay before the current attempt. */
  get delayMs(): number {
    return Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
  }
  next(): Backoff {
    return new Backoff(this.initialMs, this.maxMs, this.attempt + 1);
  }
  reset(): Backoff {
    return new Backoff(this.initialMs, this.maxMs, 0);
  }
}

export class CrashLoopGuard {
  private crashes: number[] = [];
  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}
  /** Record a crash at `now`; true when the limit is reached and restarts should stop. */
  record(now: number): boolean {
    this.crashes = this.crashes.filter((t) => now - t < this.windowMs);
    this.crashes.push(now);
    return this.crashes.length >= this.limit;
  }
  get count(): number {
    return this.crashes.length;
  }
  reset(): void {
    this.crashes = [];
  }
}

/** Requests after which a worker is recycled: `max` plus a random share of `jitter` (Gunicorn's max_requests_jitter). */
export function recycleThreshold(max: number, jitter: number, random: () => number = Math.random): number {
  if (max <= 0) return Infinity;
  return max + Math.floor(random() * (jitter + 1));
}
