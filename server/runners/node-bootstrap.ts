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
import { SNAPSHOT_DIR_ENV, SNAPSHOT_FROM_ENV, keepInSnapshot, readSnapshot } from './snapshot-files';
import { STANDBY_ENV, isGoMessage, type WorkerMessage } from './worker-messages';

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
    send({ type: 'smooth-reload:handles', resources: info });
  }
});
// A standby stays alive on the IPC channel until `go`; after that, only the app's own handles count.
const channel = (process as unknown as { channel?: { ref(): void; unref(): void } }).channel;
if (standby) channel?.ref();
else channel?.unref();
