/**
 * How a worker of this config is started: one definition for the master's workers and the
 * doctor's throwaway run (`doctor --run`), so both run the app the same way (entry or command,
 * Node and its arguments, the .env file, readiness).
 */
import * as path from 'node:path';
import type { ResolvedConfig } from '../config';
import { envFilePath, liveWorkerEnv } from '../env-file';
import type { WorkerSpec } from './worker';

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
  };
}
