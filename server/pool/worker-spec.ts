/**
 * How a worker of this config is started: one definition for the master's workers and the
 * doctor's throwaway run (`doctor --run`), so both run the app the same way (entry or command,
 * Node and its arguments, the .env file, readiness).
 */
import * as path from 'node:path';
import type { ResolvedConfig } from '../config';
import { envFilePath, liveWorkerEnv } from '../env-file';
import { withoutMasterOnlyEnv } from '../node-flags';
import { HEARTBEAT_ENV } from '../runners/worker-messages';

/** `distDir`: where bootstrap.js, worker-shim.js and standby.js are; `extraEnv` goes over the config's and the file's variables. */
export function workerSpecFor(config: ResolvedConfig, distDir: string, options: { nodePath?: string; extraEnv?: Record<string, string> } = {}): WorkerSpec {
  // Read again at each worker start: a changed .env reaches the next generation (env-file.ts).
  const env = liveWorkerEnv({ ...config.env, ...options.extraEnv }, envFilePath(config.cwd, config.envFile));
  return {
    cwd: config.cwd,
    env,
    ...(config.entry ? { entry: path.resolve(config.cwd, config.entry) } : {}),
    ...(config.command ? { command: config.command } : {}),
    nodePath: options.nodePath ?? config.nodePath,
    nodeArgs: config.nodeArgs,
    bootstrapPath: path.join(distDir, 'bootstrap.js'),
    shimPath: path.join(distDir, 'worker-shim.js'),
    standbyPath: path.join(distDir, 'standby.js'),
    readiness: config.readiness,
    publicPort: config.port,
    // Debug mode: a heartbeat every 250 ms tells a worker stopped at a breakpoint from a running one.
    ...(config.debug || config.inspect ? { heartbeatMs: 250 } : {}),
    ...(config.inspect ? { inspect: true } : {}),
  };
}

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
  /** Debug mode (`serve --debug`): the workers' heartbeat interval (pause-watch.ts). */
  heartbeatMs?: number;
  /** `serve --inspect`: each Node worker opens its inspector on a free port. */
  inspect?: boolean;
}

/** The environment every Node or command worker starts with, before its own id and generation. */
export function workerBaseEnv(spec: WorkerSpec): Record<string, string> {
  return { ...withoutMasterOnlyEnv(process.env), ...spec.env, SMOOTH_RELOAD_WORKER: '1', ...(spec.heartbeatMs ? { [HEARTBEAT_ENV]: String(spec.heartbeatMs) } : {}) };
}

/** A Node worker's (or warm standby's) command line: the bootstrap first, then the user's Node arguments and `main`. */
export function nodeWorkerArgs(spec: WorkerSpec, main: string): string[] {
  // --inspect: a free port of its own per process, reported by the bootstrap (inspector.url()).
  return [...(spec.inspect ? ['--inspect=127.0.0.1:0'] : []), '--require', spec.bootstrapPath, ...spec.nodeArgs, main];
}

