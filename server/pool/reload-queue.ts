/**
 * Coalescing of reload requests (pure). A burst of requests while idle starts one reload; any
 * number of requests during a reload run exactly one more reload after it, and every waiter is
 * answered by the reload that covers its request.
 */
export type ReloadKind = 'reload' | 'restart' | 'rollback';

export interface QueuedRequest<W> {
  kind: ReloadKind;
  reason: string;
  files: string[];
  waiter?: W;
}

export interface Batch<W> {
  kind: ReloadKind;
  reasons: string[];
  files: string[];
  waiters: W[];
}

export class ReloadQueue<W> {
  private running: Batch<W> | undefined;
  private pending: Batch<W> | undefined;

  get busy(): boolean {
    return this.running !== undefined;
  }
  get hasPending(): boolean {
    return this.pending !== undefined;
  }

  /** Add a request; returns the batch to start now, or undefined when one is running. */
  push(request: QueuedRequest<W>): Batch<W> | undefined {
    const target = (this.pending ??= { kind: request.kind, reasons: [], files: [], waiters: [] });
    // A restart covers a reload; a rollback wins over both since it names other code.
    target.kind = strongest(target.kind, request.kind);
    if (!target.reasons.includes(request.reason)) target.reasons.push(request.reason);
    for (const f of request.files) if (!target.files.includes(f)) target.files.push(f);
    if (request.waiter !== undefined) target.waiters.push(request.waiter);
    return this.running ? undefined : this.take();
  }

  /** The running batch finished; returns the next batch to start, if any. */
  finish(): Batch<W> | undefined {
    this.running = undefined;
    return this.pending ? this.take() : undefined;
  }

  private take(): Batch<W> {
    this.running = this.pending!;
    this.pending = undefined;
    return this.running;
  }
}

const RANK: Record<ReloadKind, number> = { reload: 0, restart: 1, rollback: 2 };
function strongest(a: ReloadKind, b: ReloadKind): ReloadKind {
  return RANK[a] >= RANK[b] ? a : b;
}
