/**
 * Debug mode: is a worker stopped in the debugger? A worker at a breakpoint runs no JavaScript,
 * so the heartbeat its bootstrap sends (runners/node-bootstrap.ts) falls silent; when it is heard
 * again, the user resumed. Timers that would time a worker out or kill it (readiness, drain, kill,
 * the canary's wait) go through `pauseAwareTimeout`: expiring while the worker is paused, they wait
 * for it to resume and start over, so a pause never counts against it.
 */
import type { EventEmitter } from 'node:events';

/** Silent this many heartbeats: paused (a busy event loop is late by less). */
const MISSED_BEATS = 4;

export class PauseWatch {
  paused = false;
  private lastBeat = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly heartbeatMs: number,
    private readonly onChange: (paused: boolean) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.check(), heartbeatMs);
    this.timer.unref();
  }

  /** Judge the silence so far (every heartbeat interval). Nothing is judged before the first beat. */
  check(): void {
    if (this.lastBeat && !this.paused && this.now() - this.lastBeat > MISSED_BEATS * this.heartbeatMs) this.set(true);
  }

  /** A heartbeat arrived. */
  beat(): void {
    this.lastBeat = this.now();
    if (this.paused) this.set(false);
  }

  /** The process is gone: it is neither paused nor watched any more. */
  close(): void {
    clearInterval(this.timer);
    if (this.paused) this.set(false);
  }

  private set(paused: boolean): void {
    this.paused = paused;
    this.onChange(paused);
  }
}

export interface Pausable extends EventEmitter {
  readonly paused: boolean;
}

/**
 * `fn` after `ms` of the worker not being paused: a timeout that expires while it is paused waits
 * for 'resumed' (or 'exit') and starts over. Returns a cancel function.
 */
export function pauseAwareTimeout(worker: Pausable, ms: number, fn: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const rearm = () => {
    worker.off('resumed', rearm);
    if (!cancelled) timer = setTimeout(expire, ms);
  };
  const expire = () => {
    if (cancelled) return;
    if (worker.paused) worker.once('resumed', rearm);
    else fn();
  };
  timer = setTimeout(expire, ms);
  return () => {
    cancelled = true;
    clearTimeout(timer);
    worker.off('resumed', rearm);
  };
}

/** Resolves when `done` settles, or as soon as the worker is (or becomes) paused, whichever is first. */
export function untilDoneOrPaused(worker: Pausable, done: Promise<unknown>): Promise<void> {
  if (worker.paused) return Promise.resolve();
  return new Promise((resolve) => {
    const onPaused = () => resolve();
    worker.once('paused', onPaused);
    void done.finally(() => {
      worker.off('paused', onPaused);
      resolve();
    });
  });
}
