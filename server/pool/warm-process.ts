/**
 * Warm standbys: Node processes booted ahead of the next reload, handed to a `Worker` on `go`.
 * When the pool boots, keeps or drops them is `runners/standby-policy.ts`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { STANDBY_ENV, isWorkerMessage, type GoMessage } from '../runners/worker-messages';
import { nodeWorkerArgs, workerBaseEnv, type WorkerSpec } from './worker-spec';

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
    this.child = spawn(spec.nodePath, nodeWorkerArgs(spec, spec.standbyPath), {
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
