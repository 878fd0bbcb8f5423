/** The canary's observation window (timers and exits); the verdict itself is `canaryVerdict` (pure). */
import type { Finding } from '../protocol';
import { canaryFailedFinding, canaryVerdict, countsSince, type CanaryVerdict } from './canary';
import { pauseAwareTimeout } from './pause-watch';
import type { Worker } from './worker';

export interface CanaryWindow {
  windowMs: number;
  minRequests: number;
  maxErrorRateIncrease: number;
  /** How long to wait for the canary's requests still in flight after the window. */
  drainTimeoutMs: number;
}

/**
 * Wait out the window (or the canary's exit) while the pool routes its share to it, then judge it
 * against `old` over the same window. `failed` is set when it must be rolled back.
 */
export async function watchCanary(canary: Worker, old: readonly Worker[], o: CanaryWindow, servingGeneration: number): Promise<{ verdict: CanaryVerdict; failed?: Finding }> {
  const before = old.map((w) => ({ requests: w.requests, errors: w.errors }));
  // What it logged while booting (warnings, banners) is not what made requests fail.
  const bootLines = canary.firstErrors.length;
  const crashed = !(await untilExitOr(canary, o.windowMs));
  // Count what is still in flight on the canary too, so the verdict covers every request it took.
  if (canary.inFlight > 0 && canary.alive) await untilIdleOr(canary, o.drainTimeoutMs);
  const verdict = canaryVerdict({ crashed, canary, old: countsSince(before, old), minRequests: o.minRequests, maxErrorRateIncrease: o.maxErrorRateIncrease });
  if (verdict.kind !== 'roll-back') return { verdict };
  const failed = canaryFailedFinding({ id: canary.id, crashed, stats: verdict.stats, generation: servingGeneration, failures: canary.failures, errorLines: canary.firstErrors, bootLines });
  return { verdict, failed };
}

/** Resolves true when the window passed, false when the worker exited first. */
function untilExitOr(worker: Worker, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onExit = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      worker.off('exit', onExit);
      resolve(true);
    }, ms);
    worker.once('exit', onExit);
  });
}

/** Resolves when the worker has no request in flight, or after `ms` of it not being paused in the debugger. */
function untilIdleOr(worker: Worker, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const cancel = pauseAwareTimeout(worker, ms, resolve);
    worker.once('idle', () => {
      cancel();
      resolve();
    });
  });
}
