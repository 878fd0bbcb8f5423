/**
 * Drives a master someone else started (gunicorn, nginx, Swoole, …): find its pid, send the reload
 * signal, and check that the reload took effect: old workers replaced, health URL serving new code.
 * Speaks the master's event language (`reload-start`, `reload-progress`, `reload-done` /
 * `reload-failed`), so the CLI and the extension show attach reloads like their own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import picomatch from 'picomatch';
import type { Logger } from '../logger';
import type { Finding, MasterEvent, ReloadResult } from '../protocol';
import { ProjectWatcher } from '../watch/watcher';
import type { ResolvedAttach } from './config';
import { probe } from './probe';
import { childrenOf, readProc, sendSignal, writeFifo } from './procs';
import { readMasterPid } from './pid-file';
import {
  attachFinding,
  checkTarget,
  healthFinding,
  judgeHealth,
  judgeWorkers,
  masterExitedFinding,
  noWorkersFinding,
  signalFinding,
  workersOf,
  workersTimeoutFinding,
  type HealthVerdict,
  type ProcSnapshot,
} from './verify';

const POLL_MS = 50;
/** Files a master writes next to the code, whose change must not trigger a reload. */
const ALWAYS_IGNORED = ['**/*.pid', '**/*.sock', '**/*.fifo', '**/*.oldbin'];

export class Attacher {
  private nextId = 1;
  private generation = 0;
  private watcher: ProjectWatcher | undefined;
  private running: Promise<ReloadResult> | undefined;
  private queued: { files: string[] } | undefined;
  private closePromise: Promise<void> | undefined;

  constructor(
    readonly config: ResolvedAttach,
    private readonly logger: Logger,
    private readonly emit: (event: MasterEvent) => void,
  ) {}

  /** One verified reload; never throws: a failure is a result with a finding. */
  async reload(reason: string, files?: string[]): Promise<ReloadResult> {
    const id = this.nextId++;
    const started = Date.now();
    this.emit({ kind: 'reload-start', id, reason, ...(files?.length ? { files } : {}) });
    let result: ReloadResult;
    try {
      const { finding } = await this.attempt(id);
      const durationMs = Date.now() - started;
      result = finding ? { id, ok: false, durationMs, generation: this.generation, finding } : { id, ok: true, durationMs, generation: ++this.generation };
    } catch (err) {
      const finding = attachFinding('SR_ATTACH_SIGNAL_FAILED', `the reload stopped on an unexpected error: ${(err as Error).message}`, 'report this with the command you ran');
      result = { id, ok: false, durationMs: Date.now() - started, generation: this.generation, finding };
    }
    this.emit(result.ok ? { kind: 'reload-done', ...result } : { kind: 'reload-failed', ...result });
    this.emit({ kind: 'findings', source: 'attach', findings: result.finding ? [result.finding] : [] });
    return result;
  }

  /** Watch the project and reload once per debounced batch; resolves once the watcher is ready. */
  async watch(): Promise<void> {
    const { config } = this;
    const matches = picomatch([...config.watch], { dot: true });
    const roots = [...new Set(config.watch.map((g) => picomatch.scan(g).base || '.'))].filter((r) => fs.existsSync(path.resolve(config.cwd, r)));
    this.watcher = new ProjectWatcher(
      {
        cwd: config.cwd,
        paths: roots.length ? roots : ['.'],
        ignore: [...ALWAYS_IGNORED, ...config.ignore],
        staticDirs: [],
        restartOn: [],
        debounceMs: config.debounceMs,
        usePolling: config.usePolling,
      },
      (batch) => {
        const changed = [...batch.code, ...batch.restart, ...batch.css, ...batch.asset]
          .map((f) => path.relative(config.cwd, f).split(path.sep).join('/'))
          .filter((rel) => matches(rel));
        if (changed.length) this.schedule(changed);
      },
      (finding) => {
        if (finding) this.emit({ kind: 'findings', source: 'watch', findings: [finding] });
      },
      this.logger,
    );
    await this.watcher.start();
    this.logger.info(`watching ${config.watch.join(', ')} in ${config.cwd}`);
  }

  /** Stop watching and wait for a reload in progress; a second call returns the first's promise. */
  close(): Promise<void> {
    this.closePromise ??= (async () => {
      this.queued = undefined;
      await Promise.allSettled([this.watcher?.close(), this.running]);
    })();
    return this.closePromise;
  }

  /** One reload at a time: changes during a reload make one more reload after it. */
  private schedule(files: string[]): void {
    if (this.closePromise) return;
    if (this.running) {
      this.queued = { files: [...new Set([...(this.queued?.files ?? []), ...files])] };
      return;
    }
    const reason = files.length === 1 ? `${files[0]} changed` : `${files.length} files changed`;
    this.running = this.reload(reason, files);
    void this.running.finally(() => {
      this.running = undefined;
      const next = this.queued;
      this.queued = undefined;
      if (next && !this.closePromise) this.schedule(next.files);
    });
  }

  private progress(id: number, step: string): void {
    this.emit({ kind: 'reload-progress', id, step });
  }

  /**
   * Everything short of signalling: find the pid file and the master, check that it is the master
   * of this server, list its workers. Used before each reload and when attaching.
   */
  inspect(): { finding: Finding; pid?: number } | { pid: number; pidFile: string; proc: ProcSnapshot; workers: number[] } {
    const { config } = this;
    const { preset } = config;
    const found = readMasterPid(config);
    if ('finding' in found) return found;
    const { pid, pidFile } = found;
    const proc = readProc(pid);
    const target = checkTarget({ preset, pidFile, pid, proc, ancestors: ancestorsOf(proc), processName: config.processName });
    if (target || !proc) return { finding: target!, pid };
    const workers = workersOf(pid, preset, childrenOf);
    if (!workers.length) return { finding: noWorkersFinding(preset, pid), pid };
    return { pid, pidFile, proc, workers };
  }

  private async attempt(id: number): Promise<{ finding?: Finding }> {
    const { config } = this;
    const { preset } = config;
    const seen = this.inspect();
    if ('finding' in seen) return seen;
    const { pid, proc } = seen;
    const before = seen.workers;
    this.progress(id, `pid file ${seen.pidFile}: master pid ${pid}`);
    const workersNow = () => workersOf(pid, preset, childrenOf);
    this.progress(id, `workers before: ${before.join(', ')}`);

    const how = config.fifo ? `"c" (chain reload) to ${config.fifo}` : `SIG${config.signal} to ${pid}`;
    const sent = config.fifo ? writeFifo(config.fifo, 'c') : sendSignal(pid, config.signal);
    if (!sent.ok) {
      if (config.fifo) {
        const why = sent.code === 'ENXIO' ? 'nobody reads it (is this the --master-fifo of the running uWSGI?)' : sent.code === 'ENOENT' ? 'it does not exist' : sent.message;
        return { finding: attachFinding('SR_ATTACH_SIGNAL_FAILED', `cannot write to the uWSGI master FIFO ${config.fifo}: ${why}`, 'start uWSGI with --master-fifo <file> and pass the same file to --fifo, or drop --fifo to reload with SIGHUP') };
      }
      return { finding: signalFinding(preset, pid, config.signal, sent.code, sent.message, proc?.uid) };
    }
    this.progress(id, `sent ${how}`);

    const deadline = Date.now() + config.timeoutMs;
    let now = before;
    let replacedSeen = 0;
    for (;;) {
      if (!readProc(pid)) return { finding: masterExitedFinding(preset, pid, config.signal) };
      now = workersNow();
      if (judgeWorkers(before, now, config.partial) === 'replaced') break;
      const replaced = before.filter((p) => !now.includes(p)).length;
      if (replaced !== replacedSeen) {
        replacedSeen = replaced;
        this.progress(id, `${replaced} of ${before.length} old workers gone`);
      }
      if (Date.now() > deadline) return { finding: workersTimeoutFinding(preset, pid, config.fifo ? 'c' : config.signal, before, now, config.timeoutMs) };
      await sleep(POLL_MS);
    }
    this.progress(id, `workers replaced: ${now.join(', ')}`);

    if (config.health) {
      const healthDeadline = Date.now() + config.timeoutMs;
      let verdict: HealthVerdict;
      for (;;) {
        verdict = judgeHealth(await probe(config.health, Math.min(5000, config.timeoutMs)), config.expect);
        if (verdict.ok || Date.now() > healthDeadline) break;
        await sleep(100);
      }
      if (!verdict.ok) return { finding: healthFinding(preset, config.health, verdict, config.timeoutMs) };
      this.progress(id, `${config.health} answers${config.expect ? ' with the new code' : ''}`);
    }
    return {};
  }
}

function ancestorsOf(proc: ProcSnapshot | undefined): ProcSnapshot[] {
  const out: ProcSnapshot[] = [];
  let ppid = proc?.ppid;
  while (ppid && ppid > 1 && out.length < 4) {
    const parent = readProc(ppid);
    if (!parent) break;
    out.push(parent);
    ppid = parent.ppid;
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
