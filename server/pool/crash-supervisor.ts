/**
 * Crash supervision (pure): what to do when a live worker crashes. Restart it after a backoff
 * that doubles up to a maximum, until `limit` crashes fall within `windowMs`; then stop
 * restarting until a reload succeeds (`reset`). The pool owns the timers; this owns the decision.
 */
import { finding } from '../finding';
import type { Finding } from '../protocol';
import { Backoff, CrashLoopGuard } from './restart-policy';

export type CrashDecision =
  /** Start a replacement after `delayMs`. */
  | { kind: 'restart'; delayMs: number }
  /** This crash reached the limit: give up (report SR_CRASH_LOOP once). */
  | { kind: 'crash-loop'; crashes: number }
  /** Already given up: nothing to do until a reload succeeds. */
  | { kind: 'stopped' };

export class CrashSupervisor {
  private backoff: Backoff;
  private readonly guard: CrashLoopGuard;
  private gaveUp = false;

  constructor(backoffInitialMs: number, backoffMaxMs: number, readonly limit: number, readonly windowMs: number) {
    this.backoff = new Backoff(backoffInitialMs, backoffMaxMs);
    this.guard = new CrashLoopGuard(limit, windowMs);
  }

  /** A crash (or a replacement that failed to boot) at `now`. */
  crashed(now: number): CrashDecision {
    if (this.gaveUp) return { kind: 'stopped' };
    if (this.guard.record(now)) {
      this.gaveUp = true;
      return { kind: 'crash-loop', crashes: this.guard.count };
    }
    const delayMs = this.backoff.delayMs;
    this.backoff = this.backoff.next();
    return { kind: 'restart', delayMs };
  }

  /** True after a crash loop, until `reset`. */
  get stopped(): boolean {
    return this.gaveUp;
  }

  /** A reload succeeded: the app changed, so earlier crashes say nothing about it. */
  reset(): void {
    this.guard.reset();
    this.gaveUp = false;
    this.backoff = this.backoff.reset();
  }
}

export function crashLoopFinding(crashes: number, windowMs: number): Finding {
  return finding('SR_CRASH_LOOP', 'error', `workers crashed ${crashes} times within ${windowMs} ms; no more automatic restarts`, 'look at the worker output for the error, fix it and save (or run "smooth-reload reload") to start again');
}

/**
 * The supervisor's decisions with their timers: a crash schedules a replacement after the
 * backoff, or reports the crash loop once. The pool counts as unsettled while one is scheduled.
 */
export class CrashRestarts<W> {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly supervisor: CrashSupervisor,
    private readonly on: {
      /** The backoff passed: replace `worker` (undefined: a replacement that failed to boot). */
      restart: (worker: W | undefined, delayMs: number) => void;
      crashLoop: (finding: Finding) => void;
      /** A restart was scheduled or ran: settled may have changed. */
      changed: () => void;
    },
  ) {}

  /** A restart is waiting out its backoff. */
  get scheduled(): boolean {
    return this.timers.size > 0;
  }

  crashed(worker: W | undefined, now = Date.now()): void {
    const decision = this.supervisor.crashed(now);
    if (decision.kind === 'crash-loop') this.on.crashLoop(crashLoopFinding(decision.crashes, this.supervisor.windowMs));
    if (decision.kind === 'restart') {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.on.restart(worker, decision.delayMs);
        this.on.changed();
      }, decision.delayMs);
      this.timers.add(timer);
    }
    this.on.changed();
  }

  /** A reload succeeded. */
  reset(): void {
    this.supervisor.reset();
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
