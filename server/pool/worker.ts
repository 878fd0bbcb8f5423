/**
 * One worker process: spawn, readiness, output, and a stop that is SIGTERM then SIGKILL.
 * The worker knows nothing of routing; the pool decides when it serves and when it drains.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { isWorkerMessage, type SignalListener } from '../runners/worker-messages';
import { descendants, listeningPorts } from '../runners/proc-info';
import { bootError, crashError, timeoutError } from './boot-failure';
import { PauseWatch, pauseAwareTimeout } from './pause-watch';
import { freePort, probeHttp, waitForPort } from './probes';
import { Readiness, type ReadinessStep } from './readiness';
import { WarmProcess } from './warm-process';
import { nodeWorkerArgs, workerBaseEnv, type WorkerSpec } from './worker-spec';

export type WorkerState = 'starting' | 'ready' | 'draining' | 'stopping' | 'exited';

// Re-exported: the pool, the front and doctor --run import a worker's parts from here.
export type { WorkerSpec } from './worker-spec';
export { WorkerBootError } from './boot-failure';
export { WarmProcess } from './warm-process';
export { freePort } from './probes';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the master asked it to stop (never mistaken for a crash). */
  planned: boolean;
  /** True when it had to be SIGKILLed after the grace period. */
  killed: boolean;
}

/** A worker's answer on what keeps it alive after SIGTERM. */
export interface ShutdownEvidence {
  /** process.getActiveResourcesInfo(): 'TCPServerWrap', 'Timeout', 'TCPSocketWrap', … */
  resources: string[];
  listeners: SignalListener[];
}


const STDERR_TAIL_BYTES = 16 * 1024;

export interface WorkerEvents {
  log: [level: 'info' | 'error', line: string];
  ready: [];
  exit: [info: ExitInfo];
  idle: [];
  loaded: [files: { file: string; sha1: string }[]];
  /** Debug mode: stopped in the debugger, and going again (pause-watch.ts). */
  paused: [];
  resumed: [];
}

export class Worker extends EventEmitter<WorkerEvents> {
  state: WorkerState = 'starting';
  port: number | undefined;
  pid: number | undefined;
  inFlight = 0;
  requests = 0;
  errors = 0;
  readonly startedAt = Date.now();
  loadedFiles: { file: string; sha1: string }[] = [];
  exitInfo: ExitInfo | undefined;
  private child: ChildProcess | undefined;
  private stderrTail = '';
  private planned = false;
  private killed = false;
  private readonly exited: Promise<ExitInfo>;
  private resolveExited!: (info: ExitInfo) => void;
  private stopPromise: Promise<ExitInfo> | undefined;
  readonly latencies: number[] = [];
  /** The latest failed requests (5xx or proxy errors), for canary findings. */
  readonly failures: { method: string; path: string; status: number }[] = [];
  /** The first lines the worker wrote to stderr, for findings about a worker that boots but fails. */
  readonly firstErrors: string[] = [];
  /** `serve --inspect`: this worker's inspector (ws://127.0.0.1:port/id). */
  inspectorUrl: string | undefined;
  private pauseWatch: PauseWatch | undefined;
  /** Set when the master stops: pauses no longer hold timers back. */
  private pausesIgnored = false;

  constructor(
    readonly id: number,
    readonly generation: number,
    private readonly spec: WorkerSpec,
  ) {
    super();
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
  }

  /** Debug mode: stopped in the debugger right now (its heartbeat is silent). */
  get paused(): boolean {
    return !!this.pauseWatch?.paused && !this.pausesIgnored && this.alive;
  }

  /** The master is stopping: a paused worker is stopped like any other (its timers run out). */
  ignorePauses(): void {
    if (this.pausesIgnored) return;
    const wasPaused = this.paused;
    this.pausesIgnored = true;
    if (wasPaused) this.emit('resumed');
  }

  /** A command worker (`--command`): the process is a shim, the app runs below it. */
  get isCommand(): boolean {
    return !!this.spec.command;
  }

  /**
   * Spawn (or wake a warm standby) and wait until ready. Rejects with WorkerBootError (and the
   * process is gone) on failure. A standby passed here is this worker's to use or to stop.
   */
  async start(warm?: WarmProcess): Promise<void> {
    const commandPort = this.spec.command ? await freePort() : 0;
    const child = this.launch(warm, commandPort);
    this.child = child;
    this.pid = child.pid;
    this.pipeOutput(child);
    this.follow(child);
    try {
      await this.waitReady(child, commandPort);
    } catch (err) {
      await this.stop(0);
      throw err;
    }
    this.state = 'ready';
    if (!this.spec.command) child.send?.({ type: 'smooth-reload:report-loaded' }, () => undefined);
    this.emit('ready');
  }

  /** Phase 1: the process, woken from a standby (Node already booted) or spawned. */
  private launch(warm: WarmProcess | undefined, commandPort: number): ChildProcess {
    const { spec } = this;
    const env: Record<string, string> = {
      ...workerBaseEnv(spec),
      SMOOTH_RELOAD_WORKER_ID: String(this.id),
      SMOOTH_RELOAD_GENERATION: String(this.generation),
    };
    const go = warm?.take(spec, env);
    if (warm && go) {
      // The standby becomes this worker and runs the entry now.
      warm.child.send(go, () => undefined);
      return warm.child;
    }
    if (warm) void warm.dispose();
    const stdio: ['ignore', 'pipe', 'pipe', 'ipc'] = ['ignore', 'pipe', 'pipe', 'ipc'];
    if (spec.command) {
      return spawn(spec.nodePath, [spec.shimPath, spec.command], { cwd: spec.cwd, env: { ...env, PORT: String(commandPort), HOST: '127.0.0.1' }, stdio });
    }
    return spawn(spec.nodePath, nodeWorkerArgs(spec, spec.entry!), { cwd: spec.cwd, env, stdio });
  }

  /** Phase 2: for the process's whole life, its loaded-files reports and its exit. */
  private follow(child: ChildProcess): void {
    if (this.spec.heartbeatMs && !this.spec.command) this.pauseWatch = new PauseWatch(this.spec.heartbeatMs, (paused) => !this.pausesIgnored && this.emit(paused ? 'paused' : 'resumed'));
    child.on('message', (message) => {
      if (!isWorkerMessage(message)) return;
      if (message.type === 'smooth-reload:alive') this.pauseWatch?.beat();
      else if (message.type === 'smooth-reload:inspector') this.inspectorUrl = message.url;
      else if (message.type === 'smooth-reload:loaded') {
        this.loadedFiles = message.files;
        this.emit('loaded', message.files);
      }
    });
    child.on('exit', (code, signal) => {
      this.pauseWatch?.close();
      this.state = 'exited';
      this.exitInfo = { code, signal, planned: this.planned, killed: this.killed };
      this.resolveExited(this.exitInfo);
      this.emit('exit', this.exitInfo);
    });
  }

  /** Phase 3: resolves when ready (`readiness.ts` decides), rejects on exit, spawn error or timeout. */
  private waitReady(child: ChildProcess, commandPort: number): Promise<void> {
    const { spec } = this;
    const readiness = new Readiness(spec.readiness.mode);
    /** The health path's last answer or error, for SR_BOOT_HEALTH. */
    let healthError = '';
    let settled = false;
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        if (settled) return;
        settled = true;
        cancelTimer();
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (err) reject(err);
        else resolve();
      };
      const step = (next: ReadinessStep) => {
        if (next === 'ready') done();
        // Polls until it answers below 500; the boot timer turns a path that never does into SR_BOOT_HEALTH.
        else if (next === 'probe') void probeHttp(readiness.port!, spec.readiness.path, () => settled, (why) => (healthError = why)).then((ok) => ok && done());
      };
      const listening = (port: number) => {
        this.port = port;
        step(readiness.listening(port));
      };
      const onMessage = (message: unknown) => {
        if (message === 'ready' || (isWorkerMessage(message) && message.type === 'smooth-reload:ready')) step(readiness.ready());
        else if (isWorkerMessage(message) && message.type === 'smooth-reload:listening') listening(message.port);
      };
      // Give stderr a moment to flush its last chunk before parsing it.
      const onExit = () => setImmediate(() => done(crashError(this.stderrTail, { code: child.exitCode, signal: child.signalCode })));
      // A worker stopped at a breakpoint while booting is not late: the clock waits for it.
      const cancelTimer = pauseAwareTimeout(this, spec.readiness.timeoutMs, () => {
        const found = spec.command && !readiness.listened && this.pid ? listeningPorts(this.pid) : [];
        done(timeoutError(spec, { listened: readiness.listened, commandPort, found, healthError }));
      });
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.on('error', (err) => done(bootError('SR_SPAWN_FAILED', `cannot start the worker: ${err.message}`, `check "nodePath" (${spec.nodePath}) in the config`)));
      if (spec.command) {
        waitForPort(commandPort, spec.readiness.timeoutMs, () => settled || child.exitCode !== null).then(
          (ok) => ok && listening(commandPort),
          () => undefined,
        );
      }
    });
  }

  /** Mark as draining: the pool routes nothing new here. Resolves when in-flight reaches 0 or on timeout. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.state === 'ready' || this.state === 'starting') this.state = 'draining';
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      // A request paused in the debugger finishes (on this worker's code) once the user resumes.
      const cancel = pauseAwareTimeout(this, timeoutMs, () => {
        this.off('idle', onIdle);
        resolve(false);
      });
      const onIdle = () => {
        cancel();
        resolve(true);
      };
      this.once('idle', onIdle);
    });
  }

  /** `count: false` holds the worker without counting a request (an SSE stream already counted). */
  requestStarted(count = true): void {
    this.inFlight++;
    if (count) this.requests++;
  }
  recordFailure(method: string, path: string, status: number): void {
    this.failures.push({ method, path, status });
    if (this.failures.length > 50) this.failures.shift();
  }

  requestFinished(failed: boolean, latencyMs?: number): void {
    this.inFlight--;
    if (failed) this.errors++;
    if (latencyMs !== undefined) {
      this.latencies.push(latencyMs);
      if (this.latencies.length > 1024) this.latencies.splice(0, this.latencies.length - 1024);
    }
    if (this.inFlight === 0) this.emit('idle');
  }

  /** Ask what keeps the process alive (Node workers only); empty when it cannot tell. */
  async activeResources(timeoutMs = 300): Promise<string[]> {
    return (await this.shutdownEvidence(timeoutMs)).resources;
  }

  /**
   * What keeps a Node worker alive and which SIGTERM/SIGINT listeners it has, with where they are
   * defined: asked shortly before a kill, for the finding. Empty when it cannot tell (a command
   * worker, a blocked event loop, a closed channel).
   */
  async shutdownEvidence(timeoutMs = 300): Promise<ShutdownEvidence> {
    const child = this.child;
    if (!child?.connected || this.spec.command) return { resources: [], listeners: [] };
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.off('message', onMessage);
        resolve({ resources: [], listeners: [] });
      }, timeoutMs);
      const onMessage = (message: unknown) => {
        if (isWorkerMessage(message) && message.type === 'smooth-reload:handles') {
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve({ resources: message.resources, listeners: message.listeners ?? [] });
        }
      };
      child.on('message', onMessage);
      child.send({ type: 'smooth-reload:report-handles' }, () => undefined);
    });
  }

  /** SIGTERM, then SIGKILL after `killTimeoutMs`. Idempotent: a second call returns the first's promise. */
  stop(killTimeoutMs: number): Promise<ExitInfo> {
    if (this.stopPromise) return this.stopPromise;
    this.planned = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.state = 'exited';
      const info = this.exitInfo ?? { code: child?.exitCode ?? null, signal: child?.signalCode ?? null, planned: true, killed: false };
      this.stopPromise = Promise.resolve(info);
      return this.stopPromise;
    }
    this.state = 'stopping';
    let cancelKill = () => undefined as void;
    const terminate = () => {
      child.kill('SIGTERM');
      // Paused in the debugger after SIGTERM, it cannot run its handler yet: it is not killed meanwhile.
      cancelKill = pauseAwareTimeout(this, killTimeoutMs, () => kill());
    };
    const kill = () => {
      this.killed = true;
      // A command's app runs in its own process group under the shim; a SIGKILL cannot be forwarded, so kill that tree too.
      const tree = this.spec.command && child.pid ? descendants(child.pid) : undefined;
      child.kill('SIGKILL');
      for (const target of [...(tree?.groups ?? []).map((g) => -g), ...(tree?.pids ?? [])]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    };
    // SIGTERM would end a worker paused in the debugger at once (without a handler, Node does not
    // run JavaScript for it): it waits until the user resumes.
    if (this.paused) this.once('resumed', terminate);
    else terminate();
    this.stopPromise = this.exited.finally(() => {
      this.off('resumed', terminate);
      cancelKill();
    });
    return this.stopPromise;
  }

  get alive(): boolean {
    return this.state !== 'exited';
  }

  private pipeOutput(child: ChildProcess): void {
    const lines = (level: 'info' | 'error') => {
      let partial = '';
      return (chunk: Buffer) => {
        const text = partial + chunk.toString();
        const parts = text.split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) this.emit('log', level, line);
        if (partial.length > 8192) {
          this.emit('log', level, partial);
          partial = '';
        }
      };
    };
    child.stdout?.on('data', lines('info'));
    const err = lines('error');
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-STDERR_TAIL_BYTES);
      if (this.firstErrors.length < 40) this.firstErrors.push(...chunk.toString().split('\n').filter(Boolean).slice(0, 40 - this.firstErrors.length));
      err(chunk);
    });
  }
}
