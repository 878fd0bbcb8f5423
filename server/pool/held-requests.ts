/**
 * Requests held while no worker is ready but one may come (a reload or a crash restart is under
 * way): each waits, bounded, for a worker, and gets none (503) when nothing more is coming.
 */
export class HeldRequests<W> {
  private readonly waiters = new Set<() => void>();

  /** `pick`: a ready worker now, if any; `mayCome`: a worker may still become ready. */
  constructor(
    private readonly pick: () => W | undefined,
    private readonly mayCome: () => boolean,
  ) {}

  wait(timeoutMs: number): Promise<W | undefined> {
    const now = this.pick();
    if (now || !this.mayCome()) return Promise.resolve(now);
    return new Promise((resolve) => {
      const onWake = () => {
        const w = this.pick();
        if (!w && this.mayCome()) return;
        clearTimeout(timer);
        this.waiters.delete(onWake);
        resolve(w);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(onWake);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.add(onWake);
    });
  }

  /** A worker became ready, or nothing more is coming: each held request looks again. */
  wake(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
