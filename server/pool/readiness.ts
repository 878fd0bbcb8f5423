/**
 * When a starting worker counts as ready (pure), by `readiness.mode`:
 * - `listen`: it listens (the bootstrap reports the first `listen()`; a command's $PORT accepts);
 * - `explicit`: it listens and called `smoothReload.ready()`, in either order;
 * - `http`: it listens and then its health path answers below 500 (the worker probes).
 */
export type ReadinessMode = 'listen' | 'explicit' | 'http';

/** `probe`: start polling the health path; `ready`: done. */
export type ReadinessStep = 'wait' | 'probe' | 'ready';

export class Readiness {
  port: number | undefined;
  private readyCalled = false;

  constructor(readonly mode: ReadinessMode) {}

  get listened(): boolean {
    return this.port !== undefined;
  }

  /** It listens on `port` (reported once). */
  listening(port: number): ReadinessStep {
    this.port = port;
    if (this.mode === 'listen') return 'ready';
    if (this.mode === 'http') return 'probe';
    return this.readyCalled ? 'ready' : 'wait';
  }

  /** It called `smoothReload.ready()` (or sent 'ready'); only `explicit` waits for it. */
  ready(): ReadinessStep {
    this.readyCalled = true;
    return this.mode === 'explicit' && this.listened ? 'ready' : 'wait';
  }
}
