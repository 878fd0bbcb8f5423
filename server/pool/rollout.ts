/**
 * The rolling reload's bookkeeping (pure): which old workers leave as each batch of new ones
 * switches in, and which new ones must go back when a later batch fails to boot. The pool does
 * the I/O (start, wait for ready, drain, stop) and asks this what to do next:
 *
 *   nextBatch() → start that many → all ready: switchIn(fresh) → retire the returned old ones
 *                                 → one failed: stop the batch; restore switchedWorkers(live)
 *   until nextBatch() is 0, then retire leftovers().
 *
 * A batch switches only when every worker in it is ready, and as many old workers leave as new
 * ones join, so a failed boot never shrinks the live set.
 */
export class Rollout<W> {
  /** Old workers still live, in the order they leave. */
  private readonly waiting: W[];
  private readonly switchedIn: W[] = [];
  private batchSize: number;

  /** `batchSize` 0: all `target` workers in one batch. */
  constructor(old: readonly W[], readonly target: number, batchSize: number) {
    this.waiting = [...old];
    this.batchSize = batchSize > 0 ? batchSize : target;
  }

  /** New workers switched in so far. */
  get switched(): number {
    return this.switchedIn.length;
  }

  /** How many new workers to start next; 0 once `target` new ones serve. */
  nextBatch(): number {
    return Math.max(0, Math.min(this.batchSize, this.target - this.switchedIn.length));
  }

  /** Every worker of the batch is ready: they join, and as many old ones (returned) leave. */
  switchIn(fresh: readonly W[]): W[] {
    this.switchedIn.push(...fresh);
    return this.waiting.splice(0, fresh.length);
  }

  /** A canary was promoted: it replaces one old worker, and the rest follow one at a time. */
  promoteCanary(canary: W): W[] {
    this.batchSize = 1;
    return this.switchIn([canary]);
  }

  /** Old workers beyond the target (`workers` was lowered): they leave once the rollout is done. */
  leftovers(): W[] {
    return this.waiting.splice(0);
  }

  /** After a failed batch: the new workers that switched in earlier and still serve (to put back on the old code). */
  switchedWorkers(live: readonly W[]): W[] {
    return this.switchedIn.filter((w) => live.includes(w));
  }
}

/** The live set after a switch: `leaving` out, `fresh` in (last, in order). */
export function switchLive<W>(live: readonly W[], leaving: readonly W[], fresh: readonly W[]): W[] {
  return [...live.filter((w) => !leaving.includes(w)), ...fresh];
}
