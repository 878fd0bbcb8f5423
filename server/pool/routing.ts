/**
 * Which worker takes a request (pure): the canary under observation takes its share, the rest go
 * to the least busy ready live worker. `avoid`: a worker that just failed this request.
 */
import type { CanaryShare } from './canary';

export interface Routable {
  state: string;
  inFlight: number;
  /** Stopped in the debugger: new requests go to the others while any is running. */
  paused?: boolean;
}

export interface Observed<W> {
  worker: W;
  share: CanaryShare;
}

export function pickWorker<W extends Routable>(live: readonly W[], canary: Observed<W> | undefined, avoid?: W): W | undefined {
  if (canary && canary.worker.state === 'ready' && !canary.worker.paused && canary.worker !== avoid && canary.share.take()) return canary.worker;
  let best: W | undefined;
  for (const w of live) {
    if (w.state !== 'ready' || w === avoid) continue;
    // A running worker beats a paused one; among equals, the least busy.
    if (!best || (best.paused && !w.paused) || (!!best.paused === !!w.paused && w.inFlight < best.inFlight)) best = w;
  }
  return best;
}

/** Workers that take requests now: ready, and live or the canary under observation (for sticky routing). */
export function servingWorkers<W extends Routable>(live: readonly W[], canary: W | undefined): W[] {
  return [...live, ...(canary ? [canary] : [])].filter((w) => w.state === 'ready');
}
