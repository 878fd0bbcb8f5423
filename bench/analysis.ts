/**
 * Pure analysis of a bench run: no I/O, so it is unit-tested (test/unit/bench-analysis.test.ts).
 *
 * A sample is one response as the load generator received it. A reload is a "save" of the app
 * (the file now says `version`) at `savedAt`, and, for tools that say so, the moment the tool said
 * the reload was done (`doneAt`).
 */

/** [receivedAtMs, version (-1: no version in the body), latencyMs, httpStatus] */
export type Sample = [t: number, version: number, latencyMs: number, status: number];

export interface ReloadMark {
  version: number;
  savedAt: number;
  /** When the tool said the reload was done; undefined when it has no such signal. */
  doneAt?: number;
}

export interface ReloadTiming {
  version: number;
  /** save → first response carrying the new version (ms); null when none came in the window. */
  firstNewMs: number | null;
  /**
   * save → all responses new (ms): the first new response after the last response that still
   * carried older code. Null when old code was still answering at the end of the window, or no
   * new response came at all.
   */
  allNewMs: number | null;
  /** Responses with older code received after the tool said done; null when the tool has no "done". */
  staleAfterDone: number | null;
  /** save → the tool said done (ms); null without a done signal. */
  doneMs: number | null;
  /** Responses with older code received after the save (expected while the reload runs). */
  oldAfterSave: number;
}

const isGood = (s: Sample) => s[3] >= 200 && s[3] < 300 && s[1] >= 0;

/**
 * Timing of one reload from the samples received in [mark.savedAt, windowEnd). Samples must be
 * sorted by time. Error responses (non-2xx, no version) are neither old nor new.
 */
export function reloadTiming(samples: readonly Sample[], mark: ReloadMark, windowEnd: number): ReloadTiming {
  const from = lowerBound(samples, mark.savedAt);
  let firstNew: number | undefined;
  let lastOldIndex = -1;
  let oldAfterSave = 0;
  let staleAfterDone = 0;
  for (let i = from; i < samples.length && samples[i][0] < windowEnd; i++) {
    const s = samples[i];
    if (!isGood(s)) continue;
    if (s[1] >= mark.version) {
      if (firstNew === undefined) firstNew = s[0];
    } else {
      oldAfterSave++;
      lastOldIndex = i;
      if (mark.doneAt !== undefined && s[0] > mark.doneAt) staleAfterDone++;
    }
  }
  let allNew: number | undefined;
  for (let i = Math.max(from, lastOldIndex + 1); i < samples.length && samples[i][0] < windowEnd; i++) {
    const s = samples[i];
    if (isGood(s) && s[1] >= mark.version) {
      allNew = s[0];
      break;
    }
  }
  return {
    version: mark.version,
    firstNewMs: firstNew === undefined ? null : firstNew - mark.savedAt,
    allNewMs: allNew === undefined ? null : allNew - mark.savedAt,
    staleAfterDone: mark.doneAt === undefined ? null : staleAfterDone,
    doneMs: mark.doneAt === undefined ? null : mark.doneAt - mark.savedAt,
    oldAfterSave,
  };
}

/** Timings of consecutive reloads: each one's window ends at the next save (the last at runEnd). */
export function reloadTimings(samples: readonly Sample[], marks: readonly ReloadMark[], runEnd: number): ReloadTiming[] {
  return marks.map((m, i) => reloadTiming(samples, m, i + 1 < marks.length ? marks[i + 1].savedAt : runEnd));
}

/** Nearest-rank percentile of unsorted values (p in 0..100); null for no values. */
export function percentile(values: readonly number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Median of the non-null values; null when there are none. */
export function median(values: readonly (number | null | undefined)[]): number | null {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  if (!v.length) return null;
  const sorted = [...v].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * p99 latency of 2xx responses received inside the reload windows [savedAt, savedAt + windowMs)
 * versus outside them (after `warmupUntil`, before `runEnd`).
 */
export function latencyDuringReloads(
  samples: readonly Sample[],
  savedAts: readonly number[],
  windowMs: number,
  warmupUntil: number,
  runEnd: number,
): { during: number | null; outside: number | null; duringCount: number; outsideCount: number } {
  const during: number[] = [];
  const outside: number[] = [];
  for (const s of samples) {
    if (s[3] < 200 || s[3] >= 300 || s[0] < warmupUntil || s[0] >= runEnd) continue;
    const inside = savedAts.some((at) => s[0] >= at && s[0] < at + windowMs);
    (inside ? during : outside).push(s[2]);
  }
  return { during: percentile(during, 99), outside: percentile(outside, 99), duringCount: during.length, outsideCount: outside.length };
}

/** Round to `digits` decimals, keeping null. */
export function round(value: number | null, digits = 0): number | null {
  if (value === null) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** a / b, null when either is missing or b is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (typeof a !== 'number' || typeof b !== 'number' || b === 0) return null;
  return a / b;
}

/** Index of the first sample with t >= at (samples sorted by t). */
function lowerBound(samples: readonly Sample[], at: number): number {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (samples[mid][0] < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
