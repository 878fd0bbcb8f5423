/**
 * Generations of workers and the rolling reload. The pool decides which workers take traffic
 * (`live`), starts a new generation beside the old one, switches only once the new workers are
 * ready, then drains and stops the old ones. A generation that fails to boot is thrown away and
 * the old one keeps serving.
 *
 * The decisions are pure modules, the pool does their I/O: `reload-queue.ts` (coalescing),
 * `rollout.ts` (which workers switch and leave), `canary.ts` (share and verdict),
 * `crash-supervisor.ts` (backoff, crash loop), `recycle.ts` (maxRequests),
 * `runners/standby-policy.ts` (standbys, run by `standbys.ts`).
 */
import { internalFinding } from '../finding';
import { EventEmitter } from 'node:events';
import type { ResolvedConfig } from '../config';
import type { Logger } from '../logger';
import type { Finding, MasterEvent, ReloadResult, WorkerInfo } from '../protocol';
import { ReloadQueue, type Batch, type ReloadKind } from './reload-queue';
import { CrashRestarts, CrashSupervisor } from './crash-supervisor';
import { shouldRecycle, type RecycleState } from './recycle';
import { CanaryShare } from './canary';
import { pickWorker, servingWorkers, type Observed } from './routing';
import { watchCanary } from './canary-watch';
import { HeldRequests } from './held-requests';
import { untilDoneOrPaused } from './pause-watch';
import { drainAndStop } from './shutdown';
import { Rollout, switchLive } from './rollout';
import { SnapshotHistory, keepingSnapshot, replacementSpec, rollbackPlan, runningSnapshot, type KeptSnapshot } from './snapshot';
import { Standbys } from './standbys';
import { Worker, WorkerBootError, type WorkerSpec } from './worker';
import { announceWorker, describe } from './worker-info';

export interface PoolEvents {
  event: [event: MasterEvent];
  /** Workers that stop taking traffic (their long connections must be told to reconnect). */
  retired: [worker: Worker];
  'worker-ready': [worker: Worker];
  /** The pool became settled (see `settled`). */
  settled: [];
}

type Waiter = (result: ReloadResult) => void;

export class Pool extends EventEmitter<PoolEvents> {
  generation = 0;
  /** Workers that take new requests. */
  live: Worker[] = [];
  /** Workers no longer routed to, draining or stopping. */
  readonly retiring = new Set<Worker>();
  lastReload: (ReloadResult & { at: number }) | undefined;
  private nextWorkerId = 1;
  private nextReloadId = 1;
  private readonly queue = new ReloadQueue<Waiter>();
  private readonly crashes: CrashRestarts<Worker>;
  /** Hold requests only while a worker may still come: a reload or a crash restart is under way. */
  private readonly held = new HeldRequests<Worker>(() => this.pick(), () => this.recovering && !this.closing);
  private readonly recycle = new WeakMap<Worker, RecycleState>();
  /** Timers before a kill (asking a stopping worker what keeps it alive). */
  private readonly evidenceTimers = new Set<NodeJS.Timeout>();
  private closing = false;
  /** Workers between spawn and ready (or failure). */
  private starting = 0;
  /** Crash or recycle replacements under way. */
  private replacing = 0;
  /** Not settled before the first start: the master's control channel is up before its workers. */
  private started = false;
  private wasSettled = false;
  /** What the live generation runs (the disk's code, or a rollback's snapshot): crash restarts use it. */
  private liveSpec: WorkerSpec;
  /** A new worker under observation: it takes its share of new requests (canary reloads). */
  private canary: Observed<Worker> | undefined;
  /** Snapshots of the live and the previous generation's code, for rollback. */
  private readonly snapshots: SnapshotHistory;
  /** Warm standbys: Node processes booted ahead of the next reload (one per worker). */
  private readonly standbys: Standbys;

  constructor(
    private readonly config: ResolvedConfig,
    private spec: WorkerSpec,
    private readonly logger: Logger,
  ) {
    super();
    this.liveSpec = spec;
    this.snapshots = new SnapshotHistory(config.cwd);
    this.standbys = new Standbys(spec, config.workers, config.reload.standby, logger);
    const { backoffInitialMs, backoffMaxMs, crashLoopLimit, crashLoopWindowMs } = config.restart;
    this.crashes = new CrashRestarts(new CrashSupervisor(backoffInitialMs, backoffMaxMs, crashLoopLimit, crashLoopWindowMs), {
      restart: (worker, delayMs) => {
        if (this.live.length < this.config.workers && !this.queue.busy && !this.closing) void this.replace(worker, 'crash', `restarting after ${delayMs} ms`);
        else this.held.wake();
      },
      crashLoop: (finding) => {
        this.logger.error(finding.message);
        this.emitEvent({ kind: 'findings', source: 'crash', findings: [finding] });
      },
      changed: () => this.checkSettled(),
    });
  }

  get reloading(): boolean {
    return this.queue.busy;
  }

  /** True while a worker may become ready: a reload, or a crash restart waiting or starting. */
  get recovering(): boolean {
    return this.queue.busy || this.replacing > 0 || this.crashes.scheduled;
  }

  /**
   * Nothing is under way that changes which workers run: no reload pending or running, no worker
   * starting, draining or stopping, no crash restart scheduled. Standby refills do not count.
   * The pool emits `settled` each time it becomes so.
   */
  get settled(): boolean {
    return this.started && !this.closing && !this.queue.busy && this.starting === 0 && this.replacing === 0 && this.retiring.size === 0 && !this.crashes.scheduled;
  }

  /** Start the first generation. Resolves with the result; the master serves 503s with the finding when it failed. */
  start(): Promise<ReloadResult> {
    this.started = true;
    return this.request('restart', 'start', []);
  }

  /** Ask for a reload; coalesced with others. Resolves when the reload covering it ends. */
  request(kind: ReloadKind, reason: string, files: string[]): Promise<ReloadResult> {
    return new Promise((resolve) => {
      const batch = this.queue.push({ kind, reason, files, waiter: resolve });
      if (batch) void this.run(batch);
      this.checkSettled();
    });
  }

  /** The least busy ready worker (the canary takes its share), other than `avoid`; undefined when none. */
  pick(avoid?: Worker): Worker | undefined {
    return pickWorker(this.live, this.canary, avoid);
  }

  /** Workers that take requests now: ready, and live or the canary under observation (for sticky routing). */
  serving(): Worker[] {
    return servingWorkers(this.live, this.canary?.worker);
  }

  /** Wait (bounded) for a ready worker: requests are held, not failed, while one may still come. */
  waitForWorker(timeoutMs: number): Promise<Worker | undefined> {
    return this.held.wait(timeoutMs);
  }

  /** Every worker status shows: live, the canary under observation, and those draining. */
  workers(): WorkerInfo[] {
    const canary = this.canary?.worker;
    return [...this.live, ...(canary ? [canary] : []), ...this.retiring].map((w) => (w === canary ? { ...describe(w), canary: true } : describe(w)));
  }

  /** The parked standbys' pids, or why standbys are off (for `status`). */
  standbyInfo(): { pids: number[]; off?: string } {
    return this.standbys.info();
  }

  /** Called by the front after each request; recycles a worker that reached maxRequests. */
  requestDone(worker: Worker): void {
    const { maxRequests, maxRequestsJitter } = this.config.restart;
    let state = this.recycle.get(worker);
    if (!state) this.recycle.set(worker, (state = { threshold: undefined }));
    const serving = worker.state === 'ready' && this.live.includes(worker);
    if (shouldRecycle(state, { maxRequests, jitter: maxRequestsJitter, requests: worker.requests, serving, reloading: this.queue.busy })) {
      void this.replace(worker, 'recycle', `served ${worker.requests} requests (maxRequests ${maxRequests})`);
    }
  }

  /** Stop everything: live and retiring workers get SIGTERM (after draining in-flight requests). */
  async close(): Promise<void> {
    this.closing = true;
    this.crashes.close();
    for (const t of this.evidenceTimers) clearTimeout(t);
    this.evidenceTimers.clear();
    this.held.wake();
    const all = [...this.live, ...this.retiring];
    // Stopping the master stops every worker, paused in a debugger or not.
    for (const w of all) w.ignorePauses();
    this.live = [];
    await Promise.allSettled([...all.map((w) => this.retire(w)), this.standbys.on('close')]);
  }

  // ---------------------------------------------------------------------------

  private async run(batch: Batch<Waiter>): Promise<void> {
    const id = this.nextReloadId++;
    const started = Date.now();
    const reason = batch.reasons.join(', ');
    this.emitEvent({ kind: 'reload-start', id, reason, ...(batch.files.length ? { files: batch.files } : {}) });
    let result: ReloadResult;
    if (batch.kind === 'restart') await this.standbys.on('restart');
    try {
      const finding = batch.kind === 'restart' ? await this.restartAll(id) : batch.kind === 'rollback' ? await this.rollback(id) : await this.rollAll(id);
      result = { id, ok: !finding, durationMs: Date.now() - started, generation: this.generation, ...(finding ? { finding } : {}) };
    } catch (err) {
      const finding = internalFinding(`reload failed inside the master: ${(err as Error).stack ?? err}`);
      result = { id, ok: false, durationMs: Date.now() - started, generation: this.generation, finding };
    }
    this.lastReload = { ...result, at: Date.now() };
    if (result.ok) this.crashes.reset();
    this.emitEvent({ kind: result.ok ? 'reload-done' : 'reload-failed', ...result });
    this.emitEvent({ kind: 'findings', source: 'reload', findings: result.finding ? [result.finding] : [] });
    for (const waiter of batch.waiters) waiter(result);
    const next = this.closing ? undefined : this.queue.finish();
    if (next) void this.run(next);
    else {
      this.held.wake();
      void this.standbys.on('settling');
    }
    this.checkSettled();
  }

  /** Rolling reload: new generation beside the old, switch when ready, drain the old (`rollout.ts`). */
  private async rollAll(reloadId: number, spec = this.spec, reusedSnapshot?: KeptSnapshot): Promise<Finding | undefined> {
    const oldGeneration = this.generation;
    const generation = oldGeneration + 1;
    const rollout = new Rollout(this.live, this.config.workers, this.config.reload.batchSize);
    const drains: Promise<unknown>[] = [];
    if (this.config.reload.strategy === 'canary' && this.live.length && spec === this.spec) {
      this.progress(reloadId, `starting a canary worker of generation ${generation}`);
      const canary = this.createWorker(generation, spec);
      try {
        await this.startWorker(canary);
      } catch (err) {
        return toFinding(err);
      }
      const verdict = await this.observeCanary(reloadId, canary);
      if (verdict) {
        await this.retire(canary);
        return verdict;
      }
      this.generation = generation;
      drains.push(...this.switchIn(rollout.promoteCanary(canary), [canary]));
    }
    for (let count = rollout.nextBatch(); count > 0; count = rollout.nextBatch()) {
      this.progress(reloadId, `starting ${count} worker${count > 1 ? 's' : ''} of generation ${generation}`);
      const fresh = Array.from({ length: count }, () => this.createWorker(generation, spec));
      const results = await Promise.allSettled(fresh.map((w) => this.startWorker(w)));
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure || this.closing) {
        // Boot failure: the old workers never stopped taking requests. Put back any that switched already.
        await Promise.allSettled(fresh.map((w) => w.stop(0)));
        const switched = rollout.switchedWorkers(this.live);
        const mixed = !this.closing && switched.length ? await this.restoreGeneration(reloadId, switched, oldGeneration, generation, drains) : '';
        await Promise.allSettled(drains);
        if (this.closing) return undefined;
        const finding = toFinding(failure!.reason);
        return mixed ? { ...finding, message: `${finding.message}. ${mixed}` } : finding;
      }
      this.generation = generation;
      drains.push(...this.switchIn(rollout.switchIn(fresh), fresh));
      this.progress(reloadId, `switched ${count} worker${count > 1 ? 's' : ''} to generation ${generation}`);
    }
    // Old workers beyond the target (workers was lowered) leave too.
    drains.push(...rollout.leftovers().map((w) => untilDoneOrPaused(w, this.retire(w))));
    if (drains.length) this.progress(reloadId, `draining ${drains.length} old worker${drains.length > 1 ? 's' : ''}`);
    await Promise.allSettled(drains);
    this.liveSpec = spec;
    this.snapshots.keep(generation, reusedSnapshot);
    return undefined;
  }

  /** The switch: `fresh` take new requests from now on, `leaving` stop taking them and drain (returned). */
  private switchIn(leaving: Worker[], fresh: Worker[]): Promise<void>[] {
    this.live = switchLive(this.live, leaving, fresh);
    for (const w of fresh) this.watchLive(w);
    this.held.wake();
    // A worker paused in the debugger drains when the user resumes: the reload does not wait for it
    // (the next save must not queue behind a breakpoint); it keeps the pool unsettled meanwhile.
    return leaving.map((w) => untilDoneOrPaused(w, this.retire(w)));
  }

  /** Route the canary its share for the window, then judge it (`canary-watch.ts`); a finding when it must be rolled back. */
  private async observeCanary(reloadId: number, canary: Worker): Promise<Finding | undefined> {
    const { share, windowMs, minRequests, maxErrorRateIncrease } = this.config.reload.canary;
    this.canary = { worker: canary, share: new CanaryShare(share) };
    this.progress(reloadId, `canary worker ${canary.id} takes ${Math.round(share * 100)}% of requests for ${windowMs} ms`);
    const old = [...this.live];
    const { verdict, failed } = await watchCanary(canary, old, { windowMs, minRequests, maxErrorRateIncrease, drainTimeoutMs: this.config.reload.drainTimeoutMs }, this.generation).finally(() => (this.canary = undefined));
    // Shown with the reload's steps (CLI, extension), not only in the log: an unjudged rollout says so.
    if (verdict.kind === 'unjudged') this.progress(reloadId, `canary unjudged: only ${canary.requests} requests in ${windowMs} ms (reload.canary.minRequests ${minRequests}), rolling out without a verdict`);
    if (verdict.kind === 'promote') this.progress(reloadId, `canary healthy: ${verdict.stats}`);
    return failed;
  }

  /** Full restart: stop every worker first (requests are held meanwhile), then start fresh. */
  private async restartAll(reloadId: number): Promise<Finding | undefined> {
    const old = this.live;
    this.live = [];
    if (old.length) this.progress(reloadId, `stopping ${old.length} worker${old.length > 1 ? 's' : ''}`);
    await Promise.allSettled(old.map((w) => this.retire(w)));
    return this.rollAll(reloadId);
  }

  /**
   * A later batch failed after earlier ones switched: put the switched workers back on the old
   * generation's code (from its snapshot, since the disk now holds the new code), so the app does
   * not serve two versions. Returns a note for the finding when it could not.
   */
  private async restoreGeneration(reloadId: number, switchedIn: Worker[], oldGeneration: number, newGeneration: number, drains: Promise<unknown>[]): Promise<string> {
    const spec = this.snapshots.current && runningSnapshot(this.spec, this.snapshots.current.dir);
    if (!spec) {
      return `${switchedIn.length} worker${switchedIn.length > 1 ? 's' : ''} of generation ${newGeneration} kept serving beside generation ${oldGeneration}: its code was not kept, so it cannot be restarted as it was`;
    }
    this.progress(reloadId, `restoring ${switchedIn.length} worker${switchedIn.length > 1 ? 's' : ''} of generation ${oldGeneration}`);
    const back = switchedIn.map(() => this.createWorker(oldGeneration, spec));
    const results = await Promise.allSettled(back.map((w) => this.startWorker(w)));
    const started = back.filter((_, i) => results[i].status === 'fulfilled');
    await Promise.allSettled(back.filter((w) => !started.includes(w)).map((w) => w.stop(0)));
    drains.push(...this.switchIn(switchedIn.slice(0, started.length), started));
    if (started.length === switchedIn.length) {
      this.generation = oldGeneration;
      return '';
    }
    return `${switchedIn.length - started.length} worker(s) of generation ${newGeneration} kept serving: generation ${oldGeneration} did not start again`;
  }

  private async rollback(reloadId: number): Promise<Finding | undefined> {
    const previous = this.snapshots.previous;
    const plan = rollbackPlan(this.spec, previous);
    if ('cannot' in plan) return plan.cannot;
    this.progress(reloadId, `rolling back to the code of generation ${previous!.generation} (${plan.files} files)`);
    return this.rollAll(reloadId, plan.spec, previous);
  }

  /** Replace one worker (recycling or crash), keeping its generation. */
  private async replace(worker: Worker | undefined, why: 'recycle' | 'crash', detail: string): Promise<void> {
    if (worker) this.emitEvent({ kind: 'worker', event: why, id: worker.id, generation: worker.generation, ...(worker.pid ? { pid: worker.pid } : {}), detail });
    const fresh = this.createWorker(this.generation, replacementSpec(this.liveSpec, this.snapshots.current));
    this.replacing++;
    let ready = false;
    try {
      await this.startWorker(fresh);
      ready = true;
    } catch (err) {
      this.logger.error(`replacement worker failed: ${toFinding(err).message}`);
    }
    let retired: Promise<void> | undefined;
    if (ready && this.closing) await fresh.stop(0);
    else if (ready) {
      // retire() marks the old worker retiring at once, before the pool can count as settled.
      retired = Promise.all(this.switchIn(worker ? [worker] : [], [fresh])).then(() => undefined);
    }
    if (!ready && why === 'crash') this.onCrash();
    this.replacing--;
    // Held requests must not wait out their timeout when nothing more is coming.
    if (!this.recovering) this.held.wake();
    void this.standbys.on('settling');
    this.checkSettled();
    await retired;
  }

  private createWorker(generation: number, spec: WorkerSpec): Worker {
    const worker = new Worker(this.nextWorkerId++, generation, keepingSnapshot(spec, this.config.cwd, generation));
    announceWorker(worker, this.logger, (e) => this.emitEvent(e), () => this.emit('worker-ready', worker));
    return worker;
  }

  /** Start a worker from a warm standby when one is parked (Node already booted), else spawn it. */
  private async startWorker(worker: Worker): Promise<void> {
    this.starting++;
    try {
      await worker.start(this.standbys.take());
    } finally {
      this.starting--;
      this.checkSettled();
    }
  }

  /** A live worker that exits on its own is a crash: replace it with backoff. */
  private watchLive(worker: Worker): void {
    worker.once('exit', (info) => {
      if (info.planned || this.closing || !this.live.includes(worker)) return;
      this.live = this.live.filter((w) => w !== worker);
      this.logger.warn(`worker ${worker.id} (pid ${worker.pid}) crashed: ${info.signal ? `signal ${info.signal}` : `exit code ${info.code}`}`);
      this.onCrash(worker);
    });
  }

  /** A crash, or a replacement that failed to boot (`worker` undefined): `crash-supervisor.ts` decides. */
  private onCrash(worker?: Worker): void {
    if (!this.closing) this.crashes.crashed(worker);
  }

  /** Stop routing to a worker, let in-flight requests finish, then stop it (`shutdown.ts`). */
  private async retire(worker: Worker): Promise<void> {
    this.live = this.live.filter((w) => w !== worker);
    if (!worker.alive) return;
    this.retiring.add(worker);
    this.emitEvent({ kind: 'worker', event: 'draining', id: worker.id, generation: worker.generation, ...(worker.pid ? { pid: worker.pid } : {}) });
    this.emit('retired', worker);
    const { drainTimeoutMs, killTimeoutMs } = this.config.reload;
    const killed = await drainAndStop(worker, { drainTimeoutMs, killTimeoutMs, cwd: this.config.cwd, logger: this.logger, timers: this.evidenceTimers });
    if (killed) {
      this.logger.warn(killed.message);
      this.emitEvent({ kind: 'findings', source: `killed:${worker.id}`, findings: [killed] });
    }
    this.retiring.delete(worker);
    this.checkSettled();
  }

  /** Emit `settled` when the pool just became settled. */
  private checkSettled(): void {
    const now = this.settled;
    if (now === this.wasSettled) return;
    this.wasSettled = now;
    if (now) this.emit('settled');
  }

  private progress(id: number, step: string): void {
    this.logger.debug(`reload #${id}: ${step}`);
    this.emitEvent({ kind: 'reload-progress', id, step });
  }

  private emitEvent(event: MasterEvent): void {
    this.emit('event', event);
  }
}

function toFinding(err: unknown): Finding {
  if (err instanceof WorkerBootError) return err.finding;
  return internalFinding(String((err as Error)?.stack ?? err));
}
