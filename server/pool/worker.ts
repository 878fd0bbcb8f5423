/**
 * One worker process: spawn, readiness, output, and a stop that is SIGTERM then SIGKILL.
 * The worker knows nothing of routing; the pool decides when it serves and when it drains.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import * as net from 'node:net';
import type { Finding } from '../protocol';
import { STANDBY_ENV, isWorkerMessage, type GoMessage, type SignalListener } from '../runners/worker-messages';
import { parseBootError } from '../runners/boot-error';
import { descendants, listeningPorts } from '../runners/proc-info';
import { withoutMasterOnlyEnv } from '../node-flags';

export type WorkerState = 'starting' | 'ready' | 'draining' | 'stopping' | 'exited';

export interface WorkerSpec {
  cwd: string;
  env: Record<string, string>;
  /** Node runner: the entry file; command runner: a shell command listening on $PORT. */
  entry?: string;
  command?: string;
  nodePath: string;
  nodeArgs: string[];
  /** Absolute path of dist/bootstrap.js (Node), dist/worker-shim.js (commands) and dist/standby.js (a warm standby's main). */
  bootstrapPath: string;
  shimPath: string;
  standbyPath: string;
  readiness: { mode: 'listen' | 'explicit' | 'http'; path: string; timeoutMs: number };
  /** Used in messages: the port the app asked for, as configured. */
  publicPort: number;
}

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

export class WorkerBootError extends Error {
  constructor(readonly finding: Finding) {
    super(finding.message);
    this.name = 'WorkerBootError';
  }
}

const STDERR_TAIL_BYTES = 16 * 1024;

export interface WorkerEvents {
  log: [level: 'info' | 'error', line: string];
  ready: [];
  exit: [info: ExitInfo];
  idle: [];
  loaded: [files: { file: string; sha1: string }[]];
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

  constructor(
    readonly id: number,
    readonly generation: number,
    private readonly spec: WorkerSpec,
  ) {
    super();
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
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
    const { spec } = this;
    const commandPort = spec.command ? await freePort() : 0;
    const env: Record<string, string> = {
      ...workerBaseEnv(spec),
      SMOOTH_RELOAD_WORKER_ID: String(this.id),
      SMOOTH_RELOAD_GENERATION: String(this.generation),
    };
    let child: ChildProcess;
    const go = warm?.take(spec, env);
    if (warm && !go) void warm.dispose();
    if (go && warm) {
      // Node is already booted: the standby becomes this worker and runs the entry now.
      child = warm.child;
      child.send(go, () => undefined);
    } else if (spec.command) {
      env.PORT = String(commandPort);
      env.HOST = '127.0.0.1';
      child = spawn(spec.nodePath, [spec.shimPath, spec.command], { cwd: spec.cwd, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    } else {
      child = spawn(spec.nodePath, ['--require', spec.bootstrapPath, ...spec.nodeArgs, spec.entry!], {
        cwd: spec.cwd,
        env,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
    }
    this.child = child;
    this.pid = child.pid;
    this.pipeOutput(child);

    const ready = new Promise<void>((resolve, reject) => {
      let listened = false;
      /** The health path's last answer or error, for SR_BOOT_HEALTH. */
      let healthError = '';
      const timer = setTimeout(() => {
        if (spec.readiness.mode === 'http' && listened) {
          const secs = `${(spec.readiness.timeoutMs / 1000).toFixed(1)} s`;
          done(this.bootError('SR_BOOT_HEALTH', `the app listens, but its health path ${spec.readiness.path} did not answer below 500 within ${secs}: ${healthError || 'no answer'}`, `make ${spec.readiness.path} answer 2xx once the app can serve, or point readiness.path at a path that does (or raise readiness.timeoutMs)`));
          return;
        }
        done(this.bootError('SR_BOOT_TIMEOUT', this.timeoutMessage(listened, commandPort)));
      }, spec.readiness.timeoutMs);
      let settled = false;
      const done = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (err) reject(err);
        else resolve();
      };
      const onExit = () => {
        // Give stderr a moment to flush its last chunk before parsing it.
        setImmediate(() => done(this.crashError()));
      };
      const becameReachable = (port: number) => {
        this.port = port;
        listened = true;
        if (spec.readiness.mode === 'http') {
          // Polls until it answers below 500; the boot timer turns a path that never does into SR_BOOT_HEALTH.
          void probeHttp(port, spec.readiness.path, () => settled, (why) => (healthError = why)).then((ok) => ok && done());
        } else if (spec.readiness.mode === 'listen') done();
      };
      const onMessage = (message: unknown) => {
        if (message === 'ready' || (isWorkerMessage(message) && message.type === 'smooth-reload:ready')) {
          if (spec.readiness.mode === 'explicit' && this.port !== undefined) done();
          else if (spec.readiness.mode === 'explicit') explicitReady = true;
        } else if (isWorkerMessage(message) && message.type === 'smooth-reload:listening') {
          becameReachable(message.port);
          if (explicitReady) done();
        }
      };
      let explicitReady = false;
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.on('error', (err) => done(this.bootError('SR_SPAWN_FAILED', `cannot start the worker: ${err.message}`, `check "nodePath" (${spec.nodePath}) in the config`)));
      if (spec.command) {
        waitForPort(commandPort, spec.readiness.timeoutMs, () => settled || child.exitCode !== null).then(
          (ok) => ok && becameReachable(commandPort),
          () => undefined,
        );
      }
    });
    child.on('message', (message) => {
      if (isWorkerMessage(message) && message.type === 'smooth-reload:loaded') {
        this.loadedFiles = message.files;
        this.emit('loaded', message.files);
      }
    });
    child.on('exit', (code, signal) => {
      this.state = 'exited';
      this.exitInfo = { code, signal, planned: this.planned, killed: this.killed };
      this.resolveExited(this.exitInfo);
      this.emit('exit', this.exitInfo);
    });

    try {
      await ready;
    } catch (err) {
      await this.stop(0);
      throw err;
    }
    this.state = 'ready';
    if (!spec.command) child.send?.({ type: 'smooth-reload:report-loaded' }, () => undefined);
    this.emit('ready');
  }

  /** Mark as draining: the pool routes nothing new here. Resolves when in-flight reaches 0 or on timeout. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.state === 'ready' || this.state === 'starting') this.state = 'draining';
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.off('idle', onIdle);
        resolve(false);
      }, timeoutMs);
      const onIdle = () => {
        clearTimeout(timer);
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
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
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
    }, killTimeoutMs);
    this.stopPromise = this.exited.finally(() => clearTimeout(timer));
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

  private crashError(): WorkerBootError {
    const parsed = parseBootError(this.stderrTail);
    const child = this.child!;
    const how = child.signalCode ? `was killed by ${child.signalCode}` : `exited with code ${child.exitCode}`;
    if (parsed) {
      const inUse = /EADDRINUSE/.test(parsed.message);
      return new WorkerBootError({
        code: inUse ? 'SR_PORT_IN_USE' : 'SR_BOOT_CRASH',
        severity: 'error',
        message: `new worker ${how} before it was ready: ${parsed.message}`,
        ...(parsed.file ? { file: parsed.file } : {}),
        ...(parsed.line ? { line: parsed.line } : {}),
        ...(parsed.column ? { column: parsed.column } : {}),
        fix: inUse
          ? 'a second server in the app listens on a fixed port; only the first listen() is redirected. Close the other process or make that port configurable.'
          : 'fix the error and save again; the previous workers keep serving until then',
        related: parsed.frames.slice(0, 5).map((f) => ({ file: f.file, line: f.line, message: 'called from here' })),
      });
    }
    return this.bootError('SR_BOOT_CRASH', `new worker ${how} before it was ready${this.stderrTail.trim() ? `: ${lastLine(this.stderrTail)}` : ' and printed nothing'}`);
  }

  private timeoutMessage(listened: boolean, commandPort: number): string {
    const { spec } = this;
    const secs = `${spec.readiness.timeoutMs} ms`;
    if (spec.command && !listened) {
      const howTo = 'Make the app read its port from the PORT environment variable (for example "php -S 127.0.0.1:$PORT", or int(os.environ["PORT"]) in Python)';
      const found = this.pid ? listeningPorts(this.pid) : [];
      const onPort = found.filter((s) => s.port === commandPort);
      if (onPort.length) {
        return `the app listens on $PORT=${commandPort} but only on ${onPort.map((s) => s.address).join(', ')}, which the master cannot reach at 127.0.0.1. Listen on 127.0.0.1 (the HOST environment variable) or 0.0.0.0`;
      }
      if (found.length) {
        const ports = [...new Set(found.map((s) => s.port))];
        return `the app listens on ${ports.join(', ')}, not on $PORT=${commandPort} (waited ${secs}). ${howTo}`;
      }
      return `the command did not listen on $PORT=${commandPort} (or any other port) within ${secs}. ${howTo}, or raise readiness.timeoutMs`;
    }
    if (spec.readiness.mode === 'explicit') return `the app did not call smoothReload.ready() (or process.send('ready')) within ${secs}`;
    if (!listened) return `the app did not call listen() within ${secs}: is "${spec.entry}" the file that starts the server?`;
    return `the worker was not ready within ${secs}`;
  }

  private bootError(code: string, message: string, fix?: string): WorkerBootError {
    return new WorkerBootError({ code, severity: 'error', message, fix: fix ?? 'fix the cause and save again; the previous workers keep serving until then' });
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1].slice(0, 300);
}

/** A free loopback port, for command workers that must be told their port up front. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Poll until something accepts connections on the port. */
async function waitForPort(port: number, timeoutMs: number, cancelled: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !cancelled()) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

/** Poll an HTTP path until it answers below 500 (true), or until cancelled (false). */
async function probeHttp(port: number, pathName: string, cancelled: () => boolean, onFailure: (why: string) => void): Promise<boolean> {
  while (!cancelled()) {
    const status = await new Promise<number>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: pathName, agent: false, timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (err) => {
        onFailure(err.message);
        resolve(0);
      });
      req.on('timeout', () => req.destroy(new Error('health check timed out')));
    });
    if (status > 0 && status < 500) return true;
    if (status >= 500) onFailure(`it answered ${status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** The environment every Node or command worker starts with, before its own id and generation. */
function workerBaseEnv(spec: WorkerSpec): Record<string, string> {
  return { ...withoutMasterOnlyEnv(process.env), ...spec.env, SMOOTH_RELOAD_WORKER: '1' };
}

/**
 * A Node process booted ahead of the next reload: Node and the safe preloads are loaded, the app
 * is not. A reload hands it to a Worker (`take`), which sends `go`; that saves Node's own start
 * (most of a worker's boot time) between a save and the new code serving.
 */
export class WarmProcess {
  readonly child: ChildProcess;
  /** booting → parked (usable) → taken; or unusable (exited, or compiled app files before `go`). */
  state: 'booting' | 'parked' | 'taken' | 'unusable' = 'booting';
  /** Why it cannot be used, when the preloads compiled app files or it exited before parking. */
  problem: string | undefined;
  private readonly env: Record<string, string>;
  /** Settles once the standby is parked or known unusable. */
  readonly settled: Promise<void>;

  constructor(readonly spec: WorkerSpec) {
    this.env = { ...workerBaseEnv(spec), [STANDBY_ENV]: '1' };
    this.child = spawn(spec.nodePath, ['--require', spec.bootstrapPath, ...spec.nodeArgs, spec.standbyPath], {
      cwd: spec.cwd,
      env: this.env,
      // Output stays in the pipes (paused) until a Worker takes the process and reads it.
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.settled = new Promise((resolve) => {
      const onMessage = (message: unknown) => {
        if (!isWorkerMessage(message) || message.type !== 'smooth-reload:standby') return;
        this.child.off('message', onMessage);
        if (this.state !== 'booting') return resolve();
        if (message.preloaded.length) {
          this.problem = `the preloads compiled app files before the entry ran (${message.preloaded.slice(0, 3).join(', ')})`;
          this.state = 'unusable';
        } else this.state = 'parked';
        resolve();
      };
      this.child.on('message', onMessage);
      this.child.once('exit', (code, signal) => {
        if (this.state === 'booting' || this.state === 'parked') {
          if (this.state === 'booting') this.problem = `a standby process exited before it was ready (${signal ?? `code ${code}`})`;
          this.state = 'unusable';
        }
        resolve();
      });
      this.child.once('error', (err) => {
        this.problem = `cannot start a standby process: ${err.message}`;
        this.state = 'unusable';
        resolve();
      });
    });
  }

  get usable(): boolean {
    return this.state === 'parked' && this.child.exitCode === null && this.child.signalCode === null && this.child.connected;
  }

  /**
   * Hand the process over to a worker with this spec and environment: returns the `go` message
   * to send, or undefined (the process stays as it is) when it cannot run that worker.
   */
  take(spec: WorkerSpec, env: Record<string, string>): GoMessage | undefined {
    if (!this.usable || spec.command || !spec.entry || !sameProcessSpec(this.spec, spec)) return undefined;
    const delta: Record<string, string> = {};
    for (const [key, value] of Object.entries(env)) if (this.env[key] !== value) delta[key] = value;
    // A variable the standby has and the worker must not: only a fresh process can drop it.
    if (Object.keys(this.env).some((key) => key !== STANDBY_ENV && !(key in env))) return undefined;
    this.state = 'taken';
    return { type: 'smooth-reload:go', entry: spec.entry, env: delta };
  }

  /** Stop it unless a worker took it (then the worker owns it). */
  async dispose(): Promise<void> {
    if (this.state === 'taken') return;
    this.state = 'unusable';
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
}

function sameProcessSpec(a: WorkerSpec, b: WorkerSpec): boolean {
  return a.cwd === b.cwd && a.nodePath === b.nodePath && a.bootstrapPath === b.bootstrapPath && a.standbyPath === b.standbyPath &&
    a.nodeArgs.length === b.nodeArgs.length && a.nodeArgs.every((arg, i) => arg === b.nodeArgs[i]);
}
