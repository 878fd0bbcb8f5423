/**
 * Recycling (pure): a worker that served `restart.maxRequests` requests (plus its own jitter) is
 * replaced, outside reloads, while it is live. The pool starts the replacement, then retires it.
 */
import { recycleThreshold } from './restart-policy';

export interface RecycleState {
  /** The worker's threshold, drawn once; Infinity once a recycle started (never twice). */
  threshold: number | undefined;
}

export interface RecycleInput {
  maxRequests: number;
  jitter: number;
  requests: number;
  /** Ready and live (not the canary, not draining). */
  serving: boolean;
  reloading: boolean;
}

/** Whether to recycle now; draws the threshold on the first call. `random` for tests. */
export function shouldRecycle(state: RecycleState, input: RecycleInput, random: () => number = Math.random): boolean {
  if (input.maxRequests <= 0 || !input.serving) return false;
  state.threshold ??= recycleThreshold(input.maxRequests, input.jitter, random);
  if (input.requests < state.threshold || input.reloading) return false;
  state.threshold = Infinity;
  return true;
}
