/**
 * Preloaded (`node --require`) into every Node worker, before the app's own code.
 * - The app's first `listen()` lands on a private loopback port that the master proxies to,
 *   so apps that hard-code a port work and several workers never collide.
 * - Tells the master over IPC when it listens, which files it compiled (with content hashes,
 *   so the doctor can spot stale code), and, when asked, what keeps it alive after SIGTERM.
 * - Exits when the master goes away, so a SIGKILLed master leaves no worker behind.
 * - As a warm standby (main module dist/standby.js), waits with Node already booted until the
 *   master sends `go` with the entry and the worker's environment, then runs the entry as main.
 * Runs inside the user's app: no dependencies, nothing global beyond `globalThis.smoothReload`.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as http from 'node:http';
import Module from 'node:module';
import { fileURLToPath } from 'node:url';
import { SNAPSHOT_DIR_ENV, SNAPSHOT_FROM_ENV, keepInSnapshot, readSnapshot } from './snapshot-files';
import { HEARTBEAT_ENV, STANDBY_ENV, isGoMessage, type SignalListener, type WorkerMessage } from './worker-messages';

const send = (message: WorkerMessage): void => {
  if (process.connected && process.send) process.send(message);
};

// ---- master lifetime -------------------------------------------------------
if (process.send) {
  process.on('disconnect', () => {
    // The master is gone (even SIGKILLed: the IPC pipe closes). Nobody proxies to us any more.
    process.exit(0);
  });
  // A 'disconnect' listener refs the channel; unref it so an app that closes its server on
  // SIGTERM can still exit on its own, as it would without us.
  (process as unknown as { channel?: { unref(): void } }).channel?.unref();
}

// ---- debugging -------------------------------------------------------------
// A heartbeat while the main thread runs: at a breakpoint it stops, and the master, hearing
// nothing, knows the worker is paused and must not be timed out or killed.
const heartbeatMs = Number(process.env[HEARTBEAT_ENV] ?? 0);
if (heartbeatMs > 0 && process.send) setInterval(() => send({ type: 'smooth-reload:alive' }), heartbeatMs).unref();
if (process.send && process.execArgv.some((a) => a.startsWith('--inspect'))) {
  const url = (require('node:inspector') as typeof import('node:inspector')).url();
  if (url) send({ type: 'smooth-reload:inspector', url });
}

// ---- per-worker settings ---------------------------------------------------
// Read from the environment at start, or, for a warm standby, once `go` has set it.
const privateHost = '127.0.0.1';
let wantedPort = 0;
/** Rollback: compile the copies an earlier generation kept, not the files on disk. */
let snapshotFrom: string | undefined;
let snapshotDir: string | undefined;
let fromSnapshot = new Map<string, string>();
function configure(): void {
  wantedPort = Number(process.env.SMOOTH_RELOAD_WORKER_PORT ?? 0);
  snapshotFrom = process.env[SNAPSHOT_FROM_ENV];
  snapshotDir = process.env[SNAPSHOT_DIR_ENV];
  fromSnapshot = snapshotFrom ? readSnapshot(snapshotFrom) : new Map<string, string>();
}
const standby = process.env[STANDBY_ENV] === '1';
if (!standby) configure();

// ---- listen redirect -------------------------------------------------------
let redirected = false;
const originalListen = net.Server.prototype.listen;

function requestedPortOf(args: unknown[]): number | string | undefined {
  const first = args[0];
  if (typeof first === 'number' || typeof first === 'string') return first;
  if (first && typeof first === 'object') {
    const o = first as { port?: number | string; path?: string };
    return o.port ?? o.path;
  }
  return undefined;
}

net.Server.prototype.listen = function patchedListen(this: net.Server, ...args: unknown[]) {
  const isPipe = typeof args[0] === 'string' && isNaN(Number(args[0]));
  const isHandle = !!args[0] && typeof args[0] === 'object' && ('fd' in (args[0] as object) || '_handle' in (args[0] as object));
  if (redirected || isPipe || isHandle || process.env.SMOOTH_RELOAD_WORKER !== '1') {
    return originalListen.apply(this, args as Parameters<typeof originalListen>);
  }
  redirected = true;
  const requested = requestedPortOf(args);
  const callback = args.find((a) => typeof a === 'function') as (() => void) | undefined;
  if (this instanceof http.Server) {
    // Only the master talks to this server: keep its connections open until the master closes
    // them, so a pooled connection is never closed under a request being sent on it.
    this.keepAliveTimeout = 0;
  }
  this.once('listening', () => {
    const address = this.address();
    const port = address && typeof address === 'object' ? address.port : wantedPort;
    send({ type: 'smooth-reload:listening', port, requested: requested === undefined ? null : String(requested) });
  });
  return originalListen.call(this, { port: wantedPort, host: privateHost }, callback);
} as typeof net.Server.prototype.listen;

// ---- loaded files ----------------------------------------------------------
// Hash what was actually compiled: if the file on disk differs after a reload, the worker runs
// stale code (a build step that did not run, a cache in front of the file).
const loaded = new Map<string, string>();
// Node 22.18+ passes a third argument, the format ("commonjs-typescript" makes it strip types).
type CompileFn = (content: string, filename: string, ...rest: unknown[]) => unknown;
const proto = (Module as unknown as { prototype: { _compile: CompileFn } }).prototype;
const originalCompile = proto._compile;
proto._compile = function patchedCompile(this: unknown, content: string, filename: string, ...rest: unknown[]) {
  const copy = fromSnapshot.get(filename);
  if (copy) content = fs.readFileSync(copy, 'utf8');
  if (!filename.includes(`${'/'}node_modules${'/'}`)) {
    const sha1 = crypto.createHash('sha1').update(content).digest('hex');
    loaded.set(filename, sha1);
    // Keep what this generation compiles, as compiled, for a later rollback to it.
    if (snapshotDir && !snapshotFrom) keepInSnapshot(snapshotDir, filename, content, sha1);
  }
  return originalCompile.call(this, content, filename, ...rest);
};

function reportLoaded(): void {
  send({ type: 'smooth-reload:loaded', files: [...loaded].map(([file, sha1]) => ({ file, sha1 })) });
}

// ---- explicit readiness ----------------------------------------------------
/** For apps started with readiness "explicit": call once the app can serve. */
function ready(): void {
  reportLoaded();
  send({ type: 'smooth-reload:ready' });
}
(globalThis as unknown as { smoothReload: { ready: () => void; worker: boolean } }).smoothReload = { ready, worker: true };

// ---- warm standby ----------------------------------------------------------
if (standby) {
  // Runs after the preloads and the (empty) standby main: anything of the app compiled by then
  // would be stale by the time `go` comes, so the master is told and does not use this process.
  setImmediate(() => {
    // The standby main itself is ours, not the app's.
    loaded.delete(process.argv[1]);
    send({ type: 'smooth-reload:standby', preloaded: [...loaded.keys()] });
  });
}

let started = false;
function go(entry: string, env: Record<string, string>): void {
  if (started) return;
  started = true;
  Object.assign(process.env, env);
  delete process.env[STANDBY_ENV];
  configure();
  channel?.unref();
  process.argv[1] = entry;
  // Node's own entry point runner: CommonJS or ES module as Node decides, `require.main` set.
  (Module as unknown as { runMain(main: string): void }).runMain(entry);
}

process.on('message', (message: unknown) => {
  if (standby && isGoMessage(message)) go(message.entry, message.env);
  if (message && typeof message === 'object' && (message as { type?: string }).type === 'smooth-reload:report-loaded') reportLoaded();
  if (message && typeof message === 'object' && (message as { type?: string }).type === 'smooth-reload:report-handles') {
    // What keeps the event loop alive: named in the finding when the worker ignored SIGTERM.
    const info = (process as unknown as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo?.() ?? [];
    send({ type: 'smooth-reload:handles', resources: info, listeners: signalListeners() });
  }
});
// ---- shutdown evidence -----------------------------------------------------
// Every SIGTERM/SIGINT listener the app installs, also the process.once ones that are gone once
// they ran. 'newListener' hands over the app's own function (not once's wrapper) and, unlike a
// signal listener of our own, does not change what the signal does.
const installedSignalListeners: { signal: 'SIGTERM' | 'SIGINT'; fn: (...args: unknown[]) => unknown }[] = [];
process.on('newListener', (event: string | symbol, fn: (...args: unknown[]) => unknown) => {
  if ((event === 'SIGTERM' || event === 'SIGINT') && !installedSignalListeners.some((l) => l.signal === event && l.fn === fn)) {
    installedSignalListeners.push({ signal: event, fn });
  }
});
/**
 * The SIGTERM/SIGINT listeners installed now, with where each function is defined: the inspector
 * knows every function's script and position ([[FunctionLocation]]). Asked only when the master
 * is about to kill a worker that ignored SIGTERM (or by `doctor --run`), so the inspector session
 * exists for the length of this call only.
 */
function signalListeners(): SignalListener[] {
  const listeners = installedSignalListeners.map(({ signal, fn }) => ({ signal, fn }));
  if (!listeners.length) return [];
  const out: SignalListener[] = listeners.map(({ signal, fn }) => ({
    signal,
    name: fn.name,
    // A process.once handler that ran on this SIGTERM is no longer attached, but it is the one that ran.
    ...(process.listeners(signal).includes(fn as never) ? {} : { removed: true }),
  }));
  let session: import('node:inspector').Session | undefined;
  try {
    // Loaded here: a worker that is never asked never loads the inspector.
    const inspector = require('node:inspector') as typeof import('node:inspector');
    session = new inspector.Session();
    session.connect();
    const scripts = new Map<string, string>();
    session.on('Debugger.scriptParsed', (m: { params: { scriptId: string; url: string } }) => scripts.set(m.params.scriptId, m.params.url));
    // The in-process session answers synchronously: each callback has run when post returns.
    const post = <T>(method: string, params?: object): T | undefined => {
      let result: T | undefined;
      (session as unknown as { post(m: string, p: object | undefined, cb: (err: Error | null, r: T) => void): void }).post(method, params, (err, r) => {
        if (!err) result = r;
      });
      return result;
    };
    post('Debugger.enable');
    const holder = globalThis as unknown as { __smoothReloadListener?: unknown };
    listeners.forEach(({ fn }, i) => {
      holder.__smoothReloadListener = fn;
      const evaluated = post<{ result: { objectId?: string } }>('Runtime.evaluate', { expression: 'globalThis.__smoothReloadListener' });
      const objectId = evaluated?.result.objectId;
      if (!objectId) return;
      const props = post<{ internalProperties?: { name: string; value?: { value?: { scriptId: string; lineNumber: number; columnNumber: number } } }[] }>('Runtime.getProperties', { objectId, ownProperties: true });
      const loc = props?.internalProperties?.find((p) => p.name === '[[FunctionLocation]]')?.value?.value;
      const url = loc ? scripts.get(loc.scriptId) : undefined;
      if (!loc || !url) return;
      const file = url.startsWith('file:') ? fileURLToPath(url) : url;
      Object.assign(out[i], original(file, loc.lineNumber, loc.columnNumber));
    });
    delete holder.__smoothReloadListener;
    post('Debugger.disable');
  } catch {
    // No inspector in this build of Node, or it refused: the names alone are still evidence.
  } finally {
    session?.disconnect();
  }
  return out;
}

/**
 * The position in the file as written: through the source map Node keeps for compiled code
 * (TypeScript through tsx, or any build run with source maps enabled), else as compiled. 1-based.
 */
function original(file: string, line0: number, column0: number): { file: string; line: number; column: number } {
  try {
    const map = (Module as unknown as { findSourceMap?(p: string): { findEntry(l: number, c: number): { originalSource?: string; originalLine?: number; originalColumn?: number } } | undefined }).findSourceMap?.(file);
    const entry = map?.findEntry(line0, column0);
    if (entry?.originalSource && entry.originalLine !== undefined) {
      const source = entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : entry.originalSource;
      return { file: source, line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 };
    }
  } catch {
    // No usable map: the compiled position is still a position.
  }
  return { file, line: line0 + 1, column: column0 + 1 };
}

// A standby stays alive on the IPC channel until `go`; after that, only the app's own handles count.
const channel = (process as unknown as { channel?: { ref(): void; unref(): void } }).channel;
if (standby) channel?.ref();
else channel?.unref();
