/**
 * The canary's routing share and its verdict (pure). During a canary reload one new worker takes
 * `share` of new requests for the observation window; then its error rate is compared with the
 * old generation's over the same window.
 */
import { finding } from '../finding';
import type { Finding } from '../protocol';
import { parseBootError } from '../runners/boot-error';

/**
 * Deterministic share: every request adds `share` to a credit, and the canary takes the request
 * when the credit reaches 1. After n requests it has taken floor(n × share) of them, ±1.
 */
export class CanaryShare {
  private credit = 0;
  constructor(readonly share: number) {}

  /** One request to route: true when it goes to the canary. */
  take(): boolean {
    this.credit += this.share;
    if (this.credit < 1) return false;
    this.credit -= 1;
    return true;
  }
}

export interface Counts {
  requests: number;
  errors: number;
}

export interface CanaryEvidence {
  /** The canary exited while observed. */
  crashed: boolean;
  /** What the canary served in the window (and finished after it). */
  canary: Counts;
  /** What the old generation served over the same window. */
  old: Counts;
  minRequests: number;
  maxErrorRateIncrease: number;
}

export type CanaryVerdict =
  /** Healthy: its error rate is at most `maxErrorRateIncrease` above the old generation's. */
  | { kind: 'promote'; stats: string }
  /** Too few requests to judge: rolled out without a verdict (and said so). */
  | { kind: 'unjudged'; stats: string }
  /** Crashed, or failed more than allowed: thrown away, the old generation keeps serving. */
  | { kind: 'roll-back'; stats: string };

const rateOf = (c: Counts) => (c.requests ? c.errors / c.requests : 0);
const percent = (x: number) => `${(x * 100).toFixed(1)}%`;

export function canaryVerdict(e: CanaryEvidence): CanaryVerdict {
  const rate = rateOf(e.canary);
  const oldRate = rateOf(e.old);
  const stats = `${e.canary.errors} of ${e.canary.requests} requests failed (${percent(rate)}) vs ${e.old.errors} of ${e.old.requests} (${percent(oldRate)}) on the old generation`;
  if (e.crashed) return { kind: 'roll-back', stats };
  if (e.canary.requests < e.minRequests) return { kind: 'unjudged', stats };
  return rate - oldRate <= e.maxErrorRateIncrease ? { kind: 'promote', stats } : { kind: 'roll-back', stats };
}

/** Requests and errors served since `before` (the counters are cumulative per worker). */
export function countsSince(before: readonly Counts[], after: readonly Counts[]): Counts {
  let requests = 0;
  let errors = 0;
  for (let i = 0; i < before.length; i++) {
    requests += after[i].requests - before[i].requests;
    errors += after[i].errors - before[i].errors;
  }
  return { requests, errors };
}

export interface FailedCanary {
  id: number;
  crashed: boolean;
  stats: string;
  /** The generation that keeps serving. */
  generation: number;
  failures: readonly { method: string; path: string; status: number }[];
  /** Its stderr lines: those logged while booting (first `bootLines`) and after. */
  errorLines: readonly string[];
  bootLines: number;
}

/** SR_CANARY_FAILED: what failed (the most frequent failing requests) and the first error it logged in the window. */
export function canaryFailedFinding(c: FailedCanary): Finding {
  const paths = new Map<string, number>();
  for (const f of c.failures) {
    const key = `${f.status} ${f.method} ${f.path}`;
    paths.set(key, (paths.get(key) ?? 0) + 1);
  }
  const top = [...paths].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, n]) => `${k} (${n}×)`);
  // What it logged while booting (warnings, banners) is not what made requests fail.
  const windowLines = c.errorLines.slice(c.bootLines);
  const lines = windowLines.length ? windowLines : c.errorLines;
  const where = parseBootError(lines.join('\n'));
  return finding(
    'SR_CANARY_FAILED',
    'error',
    `${c.crashed ? `canary worker ${c.id} crashed while observed` : `canary worker ${c.id} ${c.stats}`}; rolled back to generation ${c.generation}.${top.length ? ` Failing: ${top.join(', ')}.` : ''}${lines.length ? ` First error logged: ${lines[0].slice(0, 300)}` : ''}`,
    'fix the failing requests and save again; the old generation keeps serving all traffic meanwhile',
    { file: where?.file, line: where?.line },
  );
}
