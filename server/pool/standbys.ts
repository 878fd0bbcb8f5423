/**
 * The pool's warm standbys (one per worker): the processes and the refill timer. What to do on
 * each pool event is `standbyAction` in `runners/standby-policy.ts`; the processes are `WarmProcess`.
 */
import type { Logger } from '../logger';
import { standbyAction, standbyOffReason, standbysToBoot, type StandbyEvent } from '../runners/standby-policy';
import { WarmProcess } from './warm-process';
import type { WorkerSpec } from './worker-spec';

/** After a reload (or a replacement), wait this long before booting standbys: the new workers' first requests go first. */
const REFILL_DELAY_MS = 200;

export class Standbys {
  private list: WarmProcess[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closing = false;

  /** Why standbys are not used (config, command workers, preloads), or undefined when they are. */
  private off: string | undefined;

  constructor(
    private readonly spec: WorkerSpec,
    private readonly workers: number,
    enabled: boolean,
    private readonly logger: Logger,
  ) {
    const nodeOptions = spec.env.NODE_OPTIONS ?? process.env.NODE_OPTIONS ?? '';
    this.off = standbyOffReason({ enabled, command: !!spec.command, nodeArgs: spec.nodeArgs, nodeOptions });
    if (this.off && enabled) logger.debug(`warm standbys are off: ${this.off}`);
  }

  /** The parked standbys' pids, or why standbys are off (for `status`). */
  info(): { pids: number[]; off?: string } {
    const pids = this.list.filter((p) => p.usable && p.child.pid !== undefined).map((p) => p.child.pid!);
    return { pids, ...(this.off ? { off: this.off } : {}) };
  }

  /** A parked standby for a starting worker (it becomes the worker's), or undefined. */
  take(): WarmProcess | undefined {
    const warm = this.list.find((p) => p.usable);
    if (warm) this.list = this.list.filter((p) => p !== warm);
    return warm;
  }

  /** Apply the policy to a pool event: refill soon, or drop every standby. */
  async on(event: StandbyEvent, problem?: string): Promise<void> {
    if (event === 'close') {
      this.closing = true;
      clearTimeout(this.timer);
    }
    if (event === 'problem') {
      this.off = problem;
      this.logger.info(`warm standbys are off: ${problem}; every reload starts fresh processes`);
    }
    const action = standbyAction(event, { off: !!this.off, closing: this.closing });
    if (action === 'refill') this.refillSoon();
    else if (action === 'drop') await this.drop();
  }

  private refillSoon(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.list = this.list.filter((p) => p.state === 'booting' || p.usable);
      for (let n = standbysToBoot(this.workers, this.list.length); n > 0 && !this.off && !this.closing; n--) this.boot();
    }, REFILL_DELAY_MS);
  }

  private boot(): void {
    const warm = new WarmProcess(this.spec);
    this.list.push(warm);
    void warm.settled.then(() => {
      // It cannot work for this app (a preload compiled app code, or Node exits at start): stop trying.
      if (warm.problem && !this.off && !this.closing) void this.on('problem', warm.problem);
    });
  }

  private async drop(): Promise<void> {
    const all = this.list;
    this.list = [];
    await Promise.allSettled(all.map((p) => p.dispose()));
  }
}
