/**
 * Generations of workers and the rolling reload. The pool decides which workers take traffic
 * (`live`), starts a new generation beside the old one, switches only once the new workers are
 * ready, then drains and stops the old ones. A generation that fails to boot is thrown away and
 * the old one keeps serving.
 */
import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import type { ResolvedConfig } from '../config';
import type { Logger } from '../logger';
import type { Finding, MasterEvent, ReloadResult, WorkerInfo } from '../protocol';
import { ReloadQueue, type Batch, type ReloadKind } from './reload-queue';
import { Backoff, CrashLoopGuard, recycleThreshold } from './restart-policy';
import { parseBootError } from '../runners/boot-error';
import { rssBytes, treeRssBytes } from '../runners/proc-info';
import { SNAPSHOT_DIR_ENV, SNAPSHOT_FROM_ENV, pruneSnapshots, readSnapshot, snapshotDir } from './snapshot';
import { standbyBlocker } from '../runners/standby-policy';
import { WarmProcess, Worker, WorkerBootError, type ShutdownEvidence, type WorkerSpec } from './worker';
import { killedAfterGraceFinding } from '../runners/shutdown-evidence';

/** After a reload (or a replacement), wait this long before booting standbys: the new workers' first requests go first. */
const STANDBY_REFILL_DELAY_MS = 200;

export interface PoolEvents {
  event: [event: MasterEvent];
  /** Workers that stop taking traffic (their long connections must be told to reconnect). */
  retired: [worker: Worker];
  'worker-ready': [worker: Worker];
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
  private backoff: Backoff;
  private readonly crashGuard: CrashLoopGuard;
  private crashLoopStopped = false;
  private readonly readyWaiters = new Set<() => void>();
  private readonly recycleAt = new WeakMap<Worker, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closing = false;
  private replacing = 0;
  /** What the live generation runs (the disk's code, or a rollback's snapshot): crash restarts use it. */
  private liveSpec: WorkerSpec;
  /** A new worker under observation: it takes `share` of new requests (canary reloads). */
  private canary: { worker: Worker; share: number; credit: number } | undefined;
  /** Snapshots of the live and the previous generation's code, for rollback. */
  private snapshots: { current?: { generation: number; dir: string }; previous?: { generation: number; dir: string } } = {};
  /** Warm standbys: Node processes booted ahead of the next reload (one per worker). */
  private standbys: WarmProcess[] = [];
  /** Why standbys are not used (config, command workers, preloads), or undefined when they are. */
  private standbyOff: string | undefined;
  private refillTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: ResolvedConfig,
    private spec: WorkerSpec,
    private readonly logger: Logger,
  ) {
    super();
    this.liveSpec = spec;
    this.standbyOff = !config.reload.standby
      ? 'reload.standby is false'
      : spec.command
        ? 'command workers start their own program'
        : standbyBlocker(spec.nodeArgs, spec.env.NODE_OPTIONS ?? process.env.NODE_OPTIONS ?? '');
    if (this.standbyOff && config.reload.standby) logger.debug(`warm standbys are off: ${this.standbyOff}`);
    this.backoff = new Backoff(config.restart.backoffInitialMs, config.restart.backoffMaxMs);
    this.crashGuard = new CrashLoopGuard(config.restart.crashLoopLimit, config.restart.crashLoopWindowMs);
  }

  get reloading(): boolean {
    return this.queue.busy;
  }

  /** True while a worker may become ready: a reload, or a crash restart waiting or starting. */
  get recovering(): boolean {
    return this.queue.busy || this.replacing > 0 || this.timers.size > 0;
  }

  /** Start the first generation. Resolves with the result; the master serves 503s with the finding when it failed. */
  start(): Promise<ReloadResult> {
    return this.request('restart', 'start', []);
  }

  /** Ask for a reload; coalesced with others. Resolves when the reload covering it ends. */
  request(kind: ReloadKind, reason: string, files: string[]): Promise<ReloadResult> {
    return new Promise((resolve) => {
      const batch = this.queue.push({ kind, reason, files, waiter: resolve });
      if (batch) void this.run(batch);
    });
  }

  /** The least busy ready worker (the canary takes its share), other than `avoid`; undefined when none. */
  pick(avoid?: Worker): Worker | undefined {
    const canary = this.canary;
    if (canary && canary.worker.state === 'ready' && canary.worker !== avoid) {
      // Deterministic share: every 1/share-th request goes to the canary.
      canary.credit += canary.share;
      if (canary.credit >= 1) {
        canary.credit -= 1;
        return canary.worker;
      }
    }
    let best: Worker | undefined;
    for (const w of this.live) {
      if (w.state !== 'ready' || w === avoid) continue;
      if (!best || w.inFlight < best.inFlight) best = w;
    }
    return best;
  }

  /** Workers that take requests now: ready, and live or the canary under observation (for sticky routing). */
  serving(): Worker[] {
    const canary = this.canary?.worker;
    return [...this.live, ...(canary ? [canary] : [])].filter((w) => w.state === 'ready');
  }

  /** Wait (bounded) for a ready worker: requests are held, not failed, while none is ready. */
  waitForWorker(timeoutMs: number): Promise<Worker | undefined> {
    const now = this.pick();
    // Hold only while a worker may still come: a reload or a crash restart is under way.
    if (now || this.closing || !this.recovering) return Promise.resolve(now);
    return new Promise((resolve) => {
      const onReady = () => {
        const w = this.pick();
        if (!w && this.recovering && !this.closing) return;
        clearTimeout(timer);
        this.readyWaiters.delete(onReady);
        resolve(w);
      };
      const timer = setTimeout(() => {
        this.readyWaiters.delete(onReady);
        resolve(undefined);
      }, timeoutMs);
      this.readyWaiters.add(onReady);
    });
  }

  /** Every worker status shows: live, the canary under observation, and those draining. */
  workers(): WorkerInfo[] {
    const canary = this.canary?.worker;
    return [...this.live, ...(canary ? [canary] : []), ...this.retiring].map((w) => (w === canary ? { ...describe(w), canary: true } : describe(w)));
  }

  /** Called by the front after each request; recycles a worker that reached maxRequests. */
  requestDone(worker: Worker): void {
    if (this.config.restart.maxRequests <= 0 || worker.state !== 'ready') return;
    let at = this.recycleAt.get(worker);
    if (at === undefined) {
      at = recycleThreshold(this.config.restart.maxRequests, this.config.restart.maxRequestsJitter);
      this.recycleAt.set(worker, at);
    }
    if (worker.requests >= at && !this.queue.busy && this.live.includes(worker)) {
      this.recycleAt.set(worker, Infinity);
      void this.replace(worker, 'recycle', `served ${worker.requests} requests (maxRequests ${this.config.restart.maxRequests})`);
    }
  }

  /** Stop everything: live and retiring workers get SIGTERM (after draining in-flight requests). */
  async close(): Promise<void> {
    this.closing = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    clearTimeout(this.refillTimer);
    for (const wake of this.readyWaiters) wake();
    const all = [...this.live, ...this.retiring];
    this.live = [];
    await Promise.allSettled([...all.map((w) => this.retire(w)), this.dropStandbys()]);
  }

  // ---------------------------------------------------------------------------

  private async run(batch: Batch<Waiter>): Promise<void> {
    const id = this.nextReloadId++;
    const started = Date.now();
    const reason = batch.reasons.join(', ');
    this.emitEvent({ kind: 'reload-start', id, reason, ...(batch.files.length ? { files: batch.files } : {}) });
    let result: ReloadResult;
    // A full restart is for changes a booted process may hold (restartOn files): fresh processes only.
    if (batch.kind === 'restart') await this.dropStandbys();
    try {
      const finding = batch.kind === 'restart' ? await this.restartAll(id) : batch.kind === 'rollback' ? await this.rollback(id) : await this.rollAll(id);
      result = { id, ok: !finding, durationMs: Date.now() - started, generation: this.generation, ...(finding ? { finding } : {}) };
    } catch (err) {
      const finding: Finding = { code: 'SR_INTERNAL', severity: 'error', message: `reload failed inside the master: ${(err as Error).stack ?? err}` };
      result = { id, ok: false, durationMs: Date.now() - started, generation: this.generation, finding };
    }
    this.lastReload = { ...result, at: Date.now() };
    if (result.ok) {
      this.crashGuard.reset();
      this.crashLoopStopped = false;
      this.backoff = this.backoff.reset();
    }
    this.emitEvent({ kind: result.ok ? 'reload-done' : 'reload-failed', ...result });
    this.emitEvent({ kind: 'findings', source: 'reload', findings: result.finding ? [result.finding] : [] });
    for (const waiter of batch.waiters) waiter(result);
    const next = this.closing ? undefined : this.queue.finish();
    if (next) void this.run(next);
    else {
      this.wakeWaiters();
      this.refillStandbysSoon();
    }
  }

  /** Rolling reload: new generation beside the old, switch when ready, drain the old. */
  private async rollAll(reloadId: number, spec = this.spec, reusedSnapshot?: { generation: number; dir: string }): Promise<Finding | undefined> {
    const target = this.config.workers;
    let batchSize = this.config.reload.batchSize > 0 ? this.config.reload.batchSize : target;
    const oldGeneration = this.generation;
    const generation = oldGeneration + 1;
    const old = [...this.live];
    const drains: Promise<unknown>[] = [];
    let switched = 0;
    if (this.config.reload.strategy === 'canary' && old.length && spec === this.spec) {
      this.progress(reloadId, `starting a canary worker of generation ${generation}`);
      const canary = this.createWorker(generation, spec);
      try {
        await this.startWorker(canary);
      } catch (err) {
        return toFinding(err);
      }
      const verdict = await this.observeCanary(reloadId, canary, old);
      if (verdict) {
        await this.retire(canary);
        return verdict;
      }
      // Promoted: the canary replaces one old worker; the rest follow one by one.
      this.generation = generation;
      const leaving = old.splice(0, 1);
      this.live = [...this.live.filter((w) => !leaving.includes(w)), canary];
      this.watchLive(canary);
      drains.push(...leaving.map((w) => this.retire(w)));
      switched = 1;
      batchSize = 1;
    }
    while (switched < target) {
      const count = Math.min(batchSize, target - switched);
      this.progress(reloadId, `starting ${count} worker${count > 1 ? 's' : ''} of generation ${generation}`);
      const fresh = Array.from({ length: count }, () => this.createWorker(generation, spec));
      const results = await Promise.allSettled(fresh.map((w) => this.startWorker(w)));
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure || this.closing) {
        await Promise.allSettled(fresh.map((w) => w.stop(0)));
        let mixed = '';
        if (!this.closing && switched > 0) mixed = await this.restoreGeneration(reloadId, oldGeneration, generation, drains);
        await Promise.allSettled(drains);
        if (this.closing) return undefined;
        const finding = toFinding(failure!.reason);
        return mixed ? { ...finding, message: `${finding.message}. ${mixed}` } : finding;
      }
      if (switched === 0) {
        this.generation = generation;
      }
      // Switch: the fresh workers take new requests from now on; as many old ones stop taking them.
      const leaving = old.splice(0, count);
      this.live = [...this.live.filter((w) => !leaving.includes(w)), ...fresh];
      for (const w of fresh) this.watchLive(w);
      this.wakeWaiters();
      this.progress(reloadId, `switched ${count} worker${count > 1 ? 's' : ''} to generation ${generation}`);
      drains.push(...leaving.map((w) => this.retire(w)));
      switched += count;
    }
    // Old workers beyond the target (workers was lowered) leave too.
    drains.push(...old.map((w) => this.retire(w)));
    if (drains.length) this.progress(reloadId, `draining ${drains.length} old worker${drains.length > 1 ? 's' : ''}`);
    await Promise.allSettled(drains);
    this.liveSpec = spec;
    this.keepSnapshot(generation, reusedSnapshot);
    return undefined;
  }

  /**
   * Give the canary its share of traffic for the observation window, then compare its error rate
   * with the old generation's over the same window. Returns a finding when it must be rolled back.
   */
  private async observeCanary(reloadId: number, canary: Worker, old: Worker[]): Promise<Finding | undefined> {
    const { share, windowMs, minRequests, maxErrorRateIncrease } = this.config.reload.canary;
    const before = old.map((w) => ({ w, requests: w.requests, errors: w.errors }));
    // What it logged while booting (warnings, banners) is not what made requests fail.
    const bootLines = canary.firstErrors.length;
    this.canary = { worker: canary, share, credit: 0 };
    this.progress(reloadId, `canary worker ${canary.id} takes ${Math.round(share * 100)}% of requests for ${windowMs} ms`);
    const crashed = await new Promise<boolean>((resolve) => {
      const onExit = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        canary.off('exit', onExit);
        resolve(false);
      }, windowMs);
      canary.once('exit', onExit);
    });
    this.canary = undefined;
    // Count what is still in flight on the canary too, so the verdict covers every request it took.
    if (canary.inFlight > 0 && canary.alive) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.config.reload.drainTimeoutMs);
        canary.once('idle', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const oldRequests = before.reduce((n, b) => n + b.w.requests - b.requests, 0);
    const oldErrors = before.reduce((n, b) => n + b.w.errors - b.errors, 0);
    const oldRate = oldRequests ? oldErrors / oldRequests : 0;
    const rate = canary.requests ? canary.errors / canary.requests : 0;
    const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
    const stats = `${canary.errors} of ${canary.requests} requests failed (${percent(rate)}) vs ${oldErrors} of ${oldRequests} (${percent(oldRate)}) on the old generation`;
    if (!crashed && canary.requests < minRequests) {
      // Shown with the reload's steps (CLI, extension), not only in the log: this rollout was not judged.
      this.progress(reloadId, `canary unjudged: only ${canary.requests} requests in ${windowMs} ms (reload.canary.minRequests ${minRequests}), rolling out without a verdict`);
      return undefined;
    }
    if (!crashed && rate - oldRate <= maxErrorRateIncrease) {
      this.progress(reloadId, `canary healthy: ${stats}`);
      return undefined;
    }
    const paths = new Map<string, number>();
    for (const f of canary.failures) paths.set(`${f.status} ${f.method} ${f.path}`, (paths.get(`${f.status} ${f.method} ${f.path}`) ?? 0) + 1);
    const top = [...paths].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, n]) => `${k} (${n}×)`);
    const windowLines = canary.firstErrors.slice(bootLines);
    const errorLines = windowLines.length ? windowLines : canary.firstErrors;
    const where = parseBootError(errorLines.join('\n'));
    return {
      code: 'SR_CANARY_FAILED',
      severity: 'error',
      message: `${crashed ? `canary worker ${canary.id} crashed while observed` : `canary worker ${canary.id} ${stats}`}; rolled back to generation ${this.generation}.${top.length ? ` Failing: ${top.join(', ')}.` : ''}${errorLines.length ? ` First error logged: ${errorLines[0].slice(0, 300)}` : ''}`,
      ...(where?.file ? { file: where.file } : {}),
      ...(where?.line ? { line: where.line } : {}),
      fix: 'fix the failing requests and save again; the old generation keeps serving all traffic meanwhile',
      docs: 'docs/troubleshooting.md#sr_canary_failed',
    };
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
  private async restoreGeneration(reloadId: number, oldGeneration: number, newGeneration: number, drains: Promise<unknown>[]): Promise<string> {
    const switchedIn = this.live.filter((w) => w.generation === newGeneration);
    const spec = this.snapshots.current && runningSnapshot(this.spec, this.snapshots.current.dir);
    if (!spec) {
      return `${switchedIn.length} worker${switchedIn.length > 1 ? 's' : ''} of generation ${newGeneration} kept serving beside generation ${oldGeneration}: its code was not kept, so it cannot be restarted as it was`;
    }
    this.progress(reloadId, `restoring ${switchedIn.length} worker${switchedIn.length > 1 ? 's' : ''} of generation ${oldGeneration}`);
    const back = switchedIn.map(() => this.createWorker(oldGeneration, spec));
    const results = await Promise.allSettled(back.map((w) => this.startWorker(w)));
    const started = back.filter((_, i) => results[i].status === 'fulfilled');
    await Promise.allSettled(back.filter((w) => !started.includes(w)).map((w) => w.stop(0)));
    const leaving = switchedIn.slice(0, started.length);
    this.live = [...this.live.filter((w) => !leaving.includes(w)), ...started];
    for (const w of started) this.watchLive(w);
    drains.push(...leaving.map((w) => this.retire(w)));
    if (started.length === switchedIn.length) {
      this.generation = oldGeneration;
      return '';
    }
    return `${switchedIn.length - started.length} worker(s) of generation ${newGeneration} kept serving: generation ${oldGeneration} did not start again`;
  }

  private async rollback(reloadId: number): Promise<Finding | undefined> {
    const previous = this.snapshots.previous;
    const cannot = (why: string): Finding => ({
      code: 'SR_NO_ROLLBACK',
      severity: 'warning',
      message: `cannot roll back: ${why}`,
      fix: 'undo the change in the editor (or with git) and save; the master reloads from disk',
      docs: 'docs/troubleshooting.md#sr_no_rollback',
    });
    if (!previous) return cannot('there is no previous generation (rollback works after at least one successful reload)');
    if (this.spec.command) return cannot('command workers do not report the files they load, so their code is not kept');
    const spec = runningSnapshot(this.spec, previous.dir);
    if (!spec) {
      return cannot(`generation ${previous.generation}'s code was not kept (${path.basename(this.spec.entry ?? '')} is not a CommonJS file the bootstrap could copy)`);
    }
    this.progress(reloadId, `rolling back to the code of generation ${previous.generation} (${readSnapshot(previous.dir).size} files)`);
    return this.rollAll(reloadId, spec, previous);
  }

  /** Remember which snapshot folder holds the live and the previous generation's code. */
  private keepSnapshot(generation: number, reused?: { generation: number; dir: string }): void {
    const current = reused ?? { generation, dir: snapshotDir(this.config.cwd, generation) };
    const before = this.snapshots.current;
    this.snapshots = { current, ...(before ? { previous: before } : {}) };
    pruneSnapshots(this.config.cwd, [current.dir, ...(before ? [before.dir] : [])]);
  }

  /**
   * What a replacement for a live worker runs: the live generation's code. After a reload that
   * failed, the disk holds newer (broken) code, so a Node worker starts from the generation's
   * snapshot rather than from the disk.
   */
  private replacementSpec(): WorkerSpec {
    const current = this.snapshots.current;
    if (this.liveSpec.env[SNAPSHOT_FROM_ENV] || !current) return this.liveSpec;
    return runningSnapshot(this.liveSpec, current.dir) ?? this.liveSpec;
  }

  /** Replace one worker (recycling or crash), keeping its generation. */
  private async replace(worker: Worker | undefined, why: 'recycle' | 'crash', detail: string): Promise<void> {
    if (worker) this.emitEvent({ kind: 'worker', event: why, id: worker.id, generation: worker.generation, ...(worker.pid ? { pid: worker.pid } : {}), detail });
    const fresh = this.createWorker(this.generation, this.replacementSpec());
    this.replacing++;
    try {
      await this.startWorker(fresh);
    } catch (err) {
      const finding = toFinding(err);
      this.logger.error(`replacement worker failed: ${finding.message}`);
      if (why === 'crash') this.onCrash(undefined);
      return;
    } finally {
      this.replacing--;
      // Held requests must not wait out their timeout when nothing more is coming.
      if (!this.recovering) this.wakeWaiters();
      this.refillStandbysSoon();
    }
    if (this.closing) {
      await fresh.stop(0);
      return;
    }
    this.live = [...this.live.filter((w) => w !== worker), fresh];
    this.watchLive(fresh);
    this.wakeWaiters();
    if (worker && worker.alive) await this.retire(worker);
  }

  private createWorker(generation: number, spec: WorkerSpec): Worker {
    // Each generation keeps a copy of what it compiles, so a later rollback can return to it.
    const withSnapshot = spec.command || spec.env[SNAPSHOT_FROM_ENV] ? spec : { ...spec, env: { ...spec.env, [SNAPSHOT_DIR_ENV]: snapshotDir(this.config.cwd, generation) } };
    const worker = new Worker(this.nextWorkerId++, generation, withSnapshot);
    worker.on('log', (level, line) => this.logger.log(level === 'error' ? 'warn' : 'info', line, worker.id));
    worker.once('ready', () => {
      this.emitEvent({ kind: 'worker', event: 'ready', id: worker.id, generation, ...(worker.pid ? { pid: worker.pid } : {}) });
      this.emit('worker-ready', worker);
    });
    worker.once('exit', (info) => {
      this.emitEvent({
        kind: 'worker',
        event: info.killed ? 'killed' : 'exit',
        id: worker.id,
        generation,
        ...(worker.pid ? { pid: worker.pid } : {}),
        code: info.code,
        signal: info.signal,
      });
    });
    queueMicrotask(() => this.emitEvent({ kind: 'worker', event: 'spawn', id: worker.id, generation, ...(worker.pid ? { pid: worker.pid } : {}) }));
    return worker;
  }

  /** The parked standbys' pids, or why standbys are off (for `status`). */
  standbyInfo(): { pids: number[]; off?: string } {
    const pids = this.standbys.filter((p) => p.usable && p.child.pid !== undefined).map((p) => p.child.pid!);
    return { pids, ...(this.standbyOff ? { off: this.standbyOff } : {}) };
  }

  /** Start a worker from a warm standby when one is parked (Node already booted), else spawn it. */
  private startWorker(worker: Worker): Promise<void> {
    const warm = this.standbys.find((p) => p.usable);
    if (!warm) return worker.start();
    this.standbys = this.standbys.filter((p) => p !== warm);
    return worker.start(warm);
  }

  /** Boot standbys up to one per worker, shortly after a reload or a replacement. */
  private refillStandbysSoon(): void {
    if (this.standbyOff || this.closing) return;
    clearTimeout(this.refillTimer);
    this.refillTimer = setTimeout(() => {
      this.standbys = this.standbys.filter((p) => p.state === 'booting' || p.usable);
      while (!this.standbyOff && !this.closing && this.standbys.length < this.config.workers) this.bootStandby();
    }, STANDBY_REFILL_DELAY_MS);
  }

  private bootStandby(): void {
    const warm = new WarmProcess(this.spec);
    this.standbys.push(warm);
    void warm.settled.then(() => {
      if (!warm.problem || this.standbyOff || this.closing) return;
      // It cannot work for this app (a preload compiled app code, or Node exits at start): stop trying.
      this.standbyOff = warm.problem;
      this.logger.info(`warm standbys are off: ${warm.problem}; every reload starts fresh processes`);
      void this.dropStandbys();
    });
  }

  private async dropStandbys(): Promise<void> {
    const all = this.standbys;
    this.standbys = [];
    await Promise.allSettled(all.map((p) => p.dispose()));
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

  private onCrash(worker: Worker | undefined): void {
    if (this.closing || this.crashLoopStopped) return;
    if (this.crashGuard.record(Date.now())) {
      this.crashLoopStopped = true;
      const finding: Finding = {
        code: 'SR_CRASH_LOOP',
        severity: 'error',
        message: `workers crashed ${this.crashGuard.count} times within ${this.config.restart.crashLoopWindowMs} ms; no more automatic restarts`,
        fix: 'look at the worker output for the error, fix it and save (or run "smooth-reload reload") to start again',
      };
      this.logger.error(finding.message);
      this.emitEvent({ kind: 'findings', source: 'crash', findings: [finding] });
      return;
    }
    const delay = this.backoff.delayMs;
    this.backoff = this.backoff.next();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.live.length < this.config.workers && !this.queue.busy) void this.replace(worker, 'crash', `restarting after ${delay} ms`);
    }, delay);
    this.timers.add(timer);
  }

  /** Stop routing to a worker, let in-flight requests finish, then stop it. */
  private async retire(worker: Worker): Promise<void> {
    this.live = this.live.filter((w) => w !== worker);
    if (!worker.alive) return;
    this.retiring.add(worker);
    this.emitEvent({ kind: 'worker', event: 'draining', id: worker.id, generation: worker.generation, ...(worker.pid ? { pid: worker.pid } : {}) });
    this.emit('retired', worker);
    const drained = await worker.drain(this.config.reload.drainTimeoutMs);
    if (!drained) this.logger.warn(`worker ${worker.id}: ${worker.inFlight} request(s) still running after reload.drainTimeoutMs (${this.config.reload.drainTimeoutMs} ms); stopping it anyway`);
    const evidence = this.config.reload.killTimeoutMs > 0 ? this.evidenceBeforeKill(worker) : Promise.resolve({ resources: [], listeners: [] });
    const info = await worker.stop(this.config.reload.killTimeoutMs);
    this.retiring.delete(worker);
    if (info.killed) {
      // At the app's SIGTERM handler (file:line from the worker's inspector), naming what was still open.
      const finding = killedAfterGraceFinding(`worker ${worker.id} (pid ${worker.pid})`, this.config.reload.killTimeoutMs, await evidence, this.config.cwd);
      this.logger.warn(finding.message);
      this.emitEvent({ kind: 'findings', source: `killed:${worker.id}`, findings: [finding] });
    }
  }

  /** Ask a stopping worker what keeps it alive and which SIGTERM handlers it has, shortly before the SIGKILL would come. */
  private evidenceBeforeKill(worker: Worker): Promise<ShutdownEvidence> {
    const none: ShutdownEvidence = { resources: [], listeners: [] };
    return new Promise((resolve) => {
      const at = Math.max(0, this.config.reload.killTimeoutMs - 400);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!worker.alive) return resolve(none);
        worker.shutdownEvidence(300).then(resolve, () => resolve(none));
      }, at);
      this.timers.add(timer);
      worker.once('exit', () => {
        if (this.timers.delete(timer)) clearTimeout(timer);
        setTimeout(() => resolve(none), 350);
      });
    });
  }

  private wakeWaiters(): void {
    for (const wake of [...this.readyWaiters]) wake();
  }

  private progress(id: number, step: string): void {
    this.logger.debug(`reload #${id}: ${step}`);
    this.emitEvent({ kind: 'reload-progress', id, step });
  }

  private emitEvent(event: MasterEvent): void {
    this.emit('event', event);
  }
}

/** `spec` set to compile a kept snapshot instead of the disk; undefined when the snapshot cannot run it (command workers, an entry it does not hold). */
function runningSnapshot(spec: WorkerSpec, dir: string): WorkerSpec | undefined {
  if (spec.command || !spec.entry || !readSnapshot(dir).has(spec.entry)) return undefined;
  return { ...spec, env: { ...spec.env, [SNAPSHOT_FROM_ENV]: dir } };
}

function toFinding(err: unknown): Finding {
  if (err instanceof WorkerBootError) return { docs: `docs/troubleshooting.md#${err.finding.code.toLowerCase()}`, ...err.finding };
  return { code: 'SR_INTERNAL', severity: 'error', message: String((err as Error)?.stack ?? err) };
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function describe(w: Worker): WorkerInfo {
  const sorted = [...w.latencies].sort((a, b) => a - b);
  // A command worker is a shim running the app: its memory is the whole tree's.
  const rss = w.pid === undefined || w.state === 'exited' ? undefined : w.isCommand ? treeRssBytes(w.pid) : rssBytes(w.pid);
  return {
    id: w.id,
    ...(w.pid ? { pid: w.pid } : {}),
    generation: w.generation,
    state: w.state,
    ...(w.port ? { port: w.port } : {}),
    inFlight: w.inFlight,
    requests: w.requests,
    errors: w.errors,
    startedAt: w.startedAt,
    ...(rss !== undefined ? { rssBytes: rss } : {}),
    ...(sorted.length ? { latencyMs: { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99) } } : {}),
  };
}
