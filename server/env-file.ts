/**
 * `envFile`: variables for the workers from a dotenv file (default `.env` in the project folder,
 * when it exists). The file is read again each time a worker starts, so the rolling reload a
 * change to it causes (the watcher sees a changed file) starts workers with the new values; a
 * warm standby gets them in its `go` message like any other variable, and one that holds a
 * variable the file no longer sets is not used (worker.ts, WarmProcess.take).
 *
 * Precedence, highest first: the config's "env", then the master's own environment (the shell
 * that started `serve`, or VS Code's), then the file: as with Node's --env-file and dotenv, a
 * variable set in the shell is not overridden by the file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseEnv } from 'node:util';

export const DEFAULT_ENV_FILE = '.env';

/** The env file to read: `envFile` resolved against cwd; `.env` when not set; none for `false`. */
export function envFilePath(cwd: string, envFile: string | false | undefined): string | undefined {
  if (envFile === false) return undefined;
  return path.resolve(cwd, envFile ?? DEFAULT_ENV_FILE);
}

/** The file's variables, or none when it does not exist (or cannot be read). */
export function readEnvFile(file: string | undefined): Record<string, string> {
  if (!file) return {};
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  const vars: Record<string, string> = {};
  for (const [key, value] of Object.entries(parseEnv(text))) if (value !== undefined) vars[key] = value;
  return vars;
}

/** The variables the file adds for the workers: those the shell does not set, then the config's "env" over them. */
export function mergeWorkerEnv(configEnv: Readonly<Record<string, string>>, fileVars: Readonly<Record<string, string>>, shell: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(fileVars)) if (shell[key] === undefined) out[key] = value;
  return { ...out, ...configEnv };
}

/**
 * The workers' "env" as a live object: every read (a worker's start spreads it) sees the env
 * file as it is on disk now. Without a file it is the config's "env" itself.
 */
export function liveWorkerEnv(configEnv: Readonly<Record<string, string>>, file: string | undefined, shell: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (!file) return { ...configEnv };
  const now = () => mergeWorkerEnv(configEnv, readEnvFile(file), shell);
  return new Proxy({} as Record<string, string>, {
    get: (_t, key) => (typeof key === 'string' ? now()[key] : undefined),
    has: (_t, key) => typeof key === 'string' && key in now(),
    ownKeys: () => Object.keys(now()),
    getOwnPropertyDescriptor: (_t, key) => {
      const env = now();
      return typeof key === 'string' && key in env ? { value: env[key], enumerable: true, configurable: true, writable: false } : undefined;
    },
    set: () => false,
    deleteProperty: () => false,
  });
}
