/**
 * Master options: one schema for the config file and the CLI flags, resolved once into a
 * frozen object. Errors name the key, what was wrong and how to fix it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { discoverEntryIn, hasLoaderFlag, probeTypeScript, chooseTypeScriptRunner, TS_ENTRY, type TypeScriptFacts } from './entry';

export const CONFIG_FILE_NAME = 'smooth-reload.config.json';

const ms = (def: number) => z.number().int().nonnegative().default(def);

const Readiness = z
  .object({
    /** `listen`: ready when the app listens; `explicit`: when the app calls `ready()`; `http`: when `path` answers < 500. */
    mode: z.enum(['listen', 'explicit', 'http']).default('listen'),
    path: z.string().startsWith('/').default('/'),
    timeoutMs: ms(30_000),
  })
  .strict();

const Reload = z
  .object({
    strategy: z.enum(['rolling', 'canary']).default('rolling'),
    /** How many new workers start at once; 0 = the whole generation, switched in one step. */
    batchSize: z.number().int().nonnegative().default(0),
    /** Keep one booted Node process per worker waiting for the next reload (Node runner only). */
    standby: z.boolean().default(true),
    /** Longest wait for in-flight requests on an old worker (Swoole `max_wait_time`). */
    drainTimeoutMs: ms(10_000),
    /** After SIGTERM, how long before SIGKILL. */
    killTimeoutMs: ms(5_000),
    /** How long a request may wait while no worker is ready, before a 503. */
    holdTimeoutMs: ms(30_000),
    /** Long connections (WebSocket, SSE) on an old worker may go on this long, then get close 1012. */
    longConnectionGraceMs: ms(1_000),
    canary: z
      .object({
        /** Share of requests the first new worker takes while observed, 0–1. */
        share: z.number().gt(0).lte(1).default(0.25),
        windowMs: ms(3_000),
        minRequests: z.number().int().positive().default(20),
        /** Roll back when the canary's error rate exceeds the old generation's by this much (0–1). */
        maxErrorRateIncrease: z.number().min(0).max(1).default(0.05),
      })
      .strict()
      .default({ share: 0.25, windowMs: 3_000, minRequests: 20, maxErrorRateIncrease: 0.05 }),
  })
  .strict();

const Watch = z
  .object({
    enabled: z.boolean().default(true),
    paths: z.array(z.string()).min(1).default(['.']),
    ignore: z.array(z.string()).default([]),
    debounceMs: ms(80),
    usePolling: z.boolean().default(false),
    /** Folders of static files: a change there reloads browsers, not workers. Empty: `public` and `static` when they exist. */
    static: z.array(z.string()).default([]),
  })
  .strict();

const Restart = z
  .object({
    /** Recycle a worker after this many requests (Swoole `max_request`); 0 = never. */
    maxRequests: z.number().int().nonnegative().default(0),
    maxRequestsJitter: z.number().int().nonnegative().default(0),
    backoffInitialMs: ms(100),
    backoffMaxMs: ms(10_000),
    /** After this many crashes inside `crashLoopWindowMs`, stop restarting until the next reload. */
    crashLoopLimit: z.number().int().positive().default(5),
    crashLoopWindowMs: ms(30_000),
  })
  .strict();

export const ConfigSchema = z
  .object({
    $schema: z.string().optional(),
    /** The Node entry file (app.js, .mjs, .cjs, .ts). */
    entry: z.string().min(1).optional(),
    /** A shell command for any other stack; it must listen on `$PORT`. */
    command: z.string().min(1).optional(),
    port: z.number().int().min(0).max(65535).default(3000),
    host: z.string().min(1).default('127.0.0.1'),
    /** Binding beyond loopback exposes the app and its live-reload socket to the network. */
    allowRemote: z.boolean().default(false),
    /** Host names answered besides localhost, IP literals and `host` (server/front/host-policy.ts); true: any. */
    allowedHosts: z.union([z.literal(true), z.array(z.string().min(1))]).default([]),
    /**
     * Workers run under a debugger: one stopped at a breakpoint (silent heartbeat) is never timed
     * out, killed or sent new requests while others serve. `inspect`: each worker opens its own
     * inspector on a free port (implies `debug`).
     */
    debug: z.boolean().default(false),
    inspect: z.boolean().default(false),
    /** Serve TLS: true for a self-signed certificate made for the project, or the user's key and certificate files. */
    https: z.union([z.boolean(), z.object({ key: z.string().min(1), cert: z.string().min(1) }).strict()]).default(false),
    workers: z.number().int().min(1).max(64).default(1),
    nodePath: z.string().min(1).default(process.execPath),
    nodeArgs: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    /** A dotenv file for the workers (server/env-file.ts); unset: `.env` when it exists; false: none. */
    envFile: z.union([z.string().min(1), z.literal(false)]).optional(),
    readiness: Readiness.default({ mode: 'listen', path: '/', timeoutMs: 30_000 }),
    reload: Reload.default(Reload.parse({})),
    watch: Watch.default(Watch.parse({})),
    restart: Restart.default(Restart.parse({})),
    liveReload: z.boolean().default(true),
    /** Sticky sessions: which requests must reach the worker an earlier one reached (server/front/affinity.ts). */
    affinity: z.enum(['session', 'address', 'cookie', 'none']).default('session'),
    /** A request head still incomplete this long after its first byte gets 408 and a close (Node's `headersTimeout`). */
    headersTimeoutMs: z.number().int().min(1).default(60_000),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    /** Extra files whose change needs a full restart, not a rolling reload. */
    restartOn: z.array(z.string()).default([]),
    /** Read by `smooth-reload attach` (server/attach/config.ts validates it). */
    attach: z.unknown().optional(),
  })
  .strict();

export type ConfigInput = z.input<typeof ConfigSchema>;
export type ResolvedConfig = Readonly<
  z.output<typeof ConfigSchema> & {
    cwd: string;
    configFile?: string;
    /** Zero-config start: why this entry was chosen (`package.json "main"`), when nobody named it. */
    entryReason?: string;
    /** Flags of the package.json script the entry came from that are not applied (`-r dotenv/config`). */
    entryDroppedFlags?: string[];
    /** How a TypeScript entry runs when no loader was named (`tsx from …`, `Node v24.1.0's own type stripping`). */
    typescript?: string;
  }
>;

export class ConfigError extends Error {
  readonly code = 'SR_CONFIG_INVALID';
  constructor(
    message: string,
    readonly file?: string,
    readonly key?: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

const FIXES: Record<string, string> = {
  unrecognized_keys: 'remove it, or check its spelling against docs/configuration.md',
};

/** Turn zod issues into one readable message naming each key and its fix. */
function explain(error: z.ZodError, configFile: string | undefined, overrides: ConfigInput = {}): ConfigError {
  // A bad value may come from a flag even when there is a config file: say which.
  const fromFlags = (p: PropertyKey[]) => p.length > 0 && p.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), overrides) !== undefined;
  const first = error.issues[0];
  const source = !configFile || (first && fromFlags(first.path)) ? 'command-line options' : configFile;
  const lines = error.issues.map((issue) => {
    const key = issue.path.join('.') || '(root)';
    const flag = configFile && fromFlags(issue.path) ? ' (from a command-line flag)' : '';
    if (issue.code === 'unrecognized_keys') {
      const keys = (issue as { keys: string[] }).keys;
      const where = issue.path.length ? `${issue.path.join('.')}.` : '';
      return `unknown key ${keys.map((k) => `"${where}${k}"`).join(', ')}: ${FIXES.unrecognized_keys}`;
    }
    return `"${key}"${flag}: ${issue.message}`;
  });
  // An unknown key's issue sits on its parent object: name the key itself, so callers can point at it.
  const firstKey = first && [...first.path, ...(first.code === 'unrecognized_keys' ? (first as { keys: string[] }).keys.slice(0, 1) : [])].join('.');
  return new ConfigError(`invalid configuration in ${source}:\n  - ${lines.join('\n  - ')}`, source === configFile ? configFile : undefined, firstKey);
}

/** Read and parse a config file; throws ConfigError with the file and the key at fault. */
export function readConfigFile(file: string): ConfigInput {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ConfigError(`cannot read config file ${file}: ${e.code ?? e.message}. Check the path given to --config.`, file);
  }
  try {
    const json = JSON.parse(text) as unknown;
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      throw new ConfigError(`invalid configuration in ${file}: the file must hold one JSON object, like {"entry": "app.js"}`, file);
    }
    return json as ConfigInput;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`invalid JSON in ${file}: ${(err as Error).message}. Fix the syntax (JSON has no comments or trailing commas).`, file);
  }
}

/** What is wrong with a config file on its own (syntax, keys, values), or undefined when it would load. */
export function configFileError(file: string): ConfigError | undefined {
  try {
    const parsed = ConfigSchema.safeParse(readConfigFile(file));
    return parsed.success ? undefined : explain(parsed.error, file);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
}

export interface ResolveOptions {
  cwd: string;
  /** Explicit config file (from --config); otherwise `smooth-reload.config.json` in cwd if present. */
  configFile?: string;
  /** Values from CLI flags; they win over the file. Nested objects merge one level deep. */
  overrides?: ConfigInput;
  /** Globs added to "watch.ignore" (`--ignore`, the editor's `smooth-reload.ignore`), not replacing it. */
  extraIgnore?: string[];
  /**
   * `serve`'s zero-config start: with neither "entry" nor "command", find the entry
   * (server/entry/discover.ts); and run a TypeScript entry without a loader flag through tsx or
   * Node's own type stripping. `probe` replaces the look at tsx and the workers' Node (tests).
   */
  zeroConfig?: boolean | { probe: (cwd: string, nodePath: string) => TypeScriptFacts };
}

/** Resolve file + flags into a frozen config. Throws ConfigError. */
export function resolveConfig(options: ResolveOptions): ResolvedConfig {
  const cwd = path.resolve(options.cwd);
  let configFile = options.configFile ? path.resolve(cwd, options.configFile) : undefined;
  if (!configFile && fs.existsSync(path.join(cwd, CONFIG_FILE_NAME))) configFile = path.join(cwd, CONFIG_FILE_NAME);
  const fromFile = configFile ? readConfigFile(configFile) : {};
  const merged: Record<string, unknown> = { ...fromFile };
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value === undefined) continue;
    const prev = merged[key];
    merged[key] =
      value && typeof value === 'object' && !Array.isArray(value) && prev && typeof prev === 'object' && !Array.isArray(prev)
        ? { ...prev, ...value }
        : value;
  }
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) throw explain(parsed.error, configFile, options.overrides);
  const config = parsed.data;
  if (options.extraIgnore?.length) config.watch = { ...config.watch, ignore: [...config.watch.ignore, ...options.extraIgnore] };
  if (config.entry && config.command) {
    throw new ConfigError(
      `both "entry" (${config.entry}) and "command" (${config.command}) are set: use "entry" for a Node app or "command" for any other stack, not both`,
      configFile,
      'command',
    );
  }
  let entryReason: string | undefined;
  let entryDroppedFlags: string[] | undefined;
  if (!config.entry && !config.command && options.zeroConfig) {
    const found = discoverEntryIn(cwd);
    if (!found.ok) throw new ConfigError(found.message, configFile, 'entry');
    config.entry = found.entry;
    entryReason = found.reason;
    if (found.droppedFlags.length) entryDroppedFlags = found.droppedFlags;
  }
  if (!config.entry && !config.command) {
    throw new ConfigError(
      `nothing to run: give an entry file (smooth-reload serve app.js), a command (--command "python3 app.py"), or set "entry" in ${CONFIG_FILE_NAME}`,
      configFile,
      'entry',
    );
  }
  if (config.command && config.readiness.mode === 'explicit') {
    // A command's app has no IPC channel to the master, so it could never say "ready".
    throw new ConfigError(
      `"readiness.mode": "explicit" needs a Node entry (it waits for smoothReload.ready()); a command worker cannot send it. Use "listen" (the port accepts connections) or "http" with "readiness.path"`,
      configFile,
      'readiness.mode',
    );
  }
  if (config.entry && !fs.existsSync(path.resolve(cwd, config.entry))) {
    throw new ConfigError(`entry file not found: ${path.resolve(cwd, config.entry)}. Check "entry" or the path given to serve.`, configFile, 'entry');
  }
  if (typeof config.envFile === 'string' && !fs.existsSync(path.resolve(cwd, config.envFile))) {
    throw new ConfigError(`env file not found: ${path.resolve(cwd, config.envFile)}. Check "envFile" (relative to the project folder), or remove it to read .env when there is one.`, configFile, 'envFile');
  }
  let typescript: string | undefined;
  const nodeOptions = (config.env.NODE_OPTIONS ?? process.env.NODE_OPTIONS ?? '').split(/\s+/);
  if (options.zeroConfig && config.entry && TS_ENTRY.test(config.entry) && !hasLoaderFlag(config.nodeArgs) && !hasLoaderFlag(nodeOptions)) {
    const probe = typeof options.zeroConfig === 'object' ? options.zeroConfig.probe : probeTypeScript;
    const runner = chooseTypeScriptRunner(config.entry, config.nodePath, probe(cwd, config.nodePath));
    if (!runner.ok) throw new ConfigError(runner.message, configFile, 'entry');
    config.nodeArgs = [...runner.nodeArgs, ...config.nodeArgs];
    typescript = runner.how;
  }
  if (!isLoopback(config.host) && !config.allowRemote) {
    throw new ConfigError(
      `refusing to listen on ${config.host}: it is reachable from other machines. Set "allowRemote": true (or pass --allow-remote) if that is what you want.`,
      configFile,
      'host',
    );
  }
  // "[::1]" is how an IPv6 address reads in a URL; listen() wants it bare.
  const host = /^\[.*\]$/.test(config.host) ? config.host.slice(1, -1) : config.host;
  return Object.freeze({
    ...config,
    host,
    cwd,
    ...(configFile ? { configFile } : {}),
    ...(entryReason ? { entryReason } : {}),
    ...(entryDroppedFlags ? { entryDroppedFlags } : {}),
    ...(typescript ? { typescript } : {}),
  });
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
