/**
 * The tools under test, each started the way its users start it and reloaded the way it expects:
 * Smooth Reload by a save (its watcher) and by `smooth-reload reload`, pm2 by `pm2 reload` in
 * cluster mode and by its own watcher, nodemon and `node --watch` by a save.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { MASTER_NODE_FLAGS, masterEnv } from '../server/node-flags';

export const REPO = path.resolve(__dirname, '..');
export const CLI = path.join(REPO, 'dist', 'cli.js');

export interface ReloadMarkRaw {
  savedAt: number;
  /** When the tool said the reload was done (undefined: the tool has no such signal). */
  doneAt?: number;
  /** The tool reported a failure (e.g. `pm2 reload` exit code != 0). */
  failed?: string;
}

export interface ToolSession {
  /** Loopback URL clients use. */
  url: string;
  /** Pids whose process trees make up the tool (RSS is summed over them). */
  roots(): number[];
  /** Our master alone, for its own RSS. */
  focus?(): number | undefined;
  /** `save()` writes the new version and returns the time; the session triggers the reload. */
  reload(save: () => number): Promise<ReloadMarkRaw>;
  stop(): Promise<void>;
  /** Lines of the tool's output, for diagnosing a failed run. */
  output: string[];
}

export interface ToolContext {
  dir: string;
  /** A free loopback port for tools that cannot pick one themselves. */
  port: number;
  /** The peers' node_modules (pm2, nodemon). */
  peers: string;
  /** A private folder for tool state (PM2_HOME). */
  home: string;
}

export interface Tool {
  id: string;
  label: string;
  /** What "the tool says the reload is done" means for this tool. */
  doneSignal: string;
  /** Processes that serve requests. */
  servingProcesses: number;
  /** Wait for the previous reload to be done before the next save (a script running `pm2 reload` would). */
  serialReloads?: boolean;
  start(ctx: ToolContext): Promise<ToolSession>;
}

// ---------------------------------------------------------------------------

/** Every child the bench spawned (for the emergency cleanup). */
export const spawned = new Set<ChildProcess>();

function track(child: ChildProcess, output: string[]): ChildProcess {
  spawned.add(child);
  child.once('exit', () => spawned.delete(child));
  const keep = (d: Buffer) => {
    output.push(String(d));
    if (output.length > 400) output.splice(0, output.length - 400);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 8000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

/** Run a short command to completion (bounded); resolves with its exit code. */
export function runCommand(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; output?: string[] }): Promise<number | null> {
  const output = opts.output ?? [];
  const child = track(spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] }), output);
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  return exited(child).finally(() => clearTimeout(timer));
}

function waitUntil<T>(what: string, fn: () => T | undefined, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const tick = () => {
      const v = fn();
      if (v !== undefined) return resolve(v);
      if (Date.now() > deadline) return reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

// --- Smooth Reload -----------------------------------------------------------

function smoothReload(id: string, label: string, viaCommand: boolean): Tool {
  return {
    id,
    label,
    doneSignal: viaCommand ? '`smooth-reload reload` returned (exit 0)' : 'the master\'s `reload-done` event',
    servingProcesses: 2,
    async start(ctx) {
      const output: string[] = [];
      const args = [...MASTER_NODE_FLAGS, CLI, 'serve', 'app.js', '--port', '0', '--workers', '2', '--json', ...(viaCommand ? ['--no-watch'] : [])];
      const child = track(spawn(process.execPath, args, { cwd: ctx.dir, env: masterEnv(process.env), stdio: ['ignore', 'pipe', 'pipe'] }), output);
      const events: { kind: string; id?: number; at: number; url?: string; ok?: boolean }[] = [];
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        try {
          const e = JSON.parse(line);
          events.push({ ...e, at: Date.now() });
        } catch {
          // Not an event.
        }
      });
      const listening = await waitUntil('the master to listen', () => events.find((e) => e.kind === 'listening') ?? (child.exitCode !== null ? { url: '' } : undefined), 20_000);
      if (!listening.url) throw new Error(`the master exited early:\n${output.join('')}`);
      await waitUntil('the first generation', () => events.find((e) => e.kind === 'reload-done'), 20_000);
      const port = new URL(listening.url).port;
      return {
        url: `http://127.0.0.1:${port}/`,
        output,
        roots: () => (child.pid ? [child.pid] : []),
        focus: () => child.pid,
        async reload(save) {
          const since = events.length;
          if (viaCommand) {
            const savedAt = save();
            const code = await runCommand(process.execPath, [CLI, 'reload', '--cwd', ctx.dir, '--json'], { cwd: ctx.dir, output });
            return { savedAt, doneAt: Date.now(), ...(code === 0 ? {} : { failed: `smooth-reload reload exited ${code}` }) };
          }
          const savedAt = save();
          // The reload that covers this save is the first one that started after it (saves coalesce).
          const done = await waitUntil(
            'reload-done',
            () => {
              const start = events.slice(since).find((e) => e.kind === 'reload-start' && e.at >= savedAt);
              return start && events.find((e) => (e.kind === 'reload-done' || e.kind === 'reload-failed') && e.id === start.id);
            },
            20_000,
          ).catch(() => undefined);
          if (!done) return { savedAt, failed: 'no reload-done within 20 s' };
          return { savedAt, doneAt: done.at, ...(done.kind === 'reload-done' ? {} : { failed: 'reload-failed' }) };
        },
        stop: () => stopChild(child),
      };
    },
  };
}

// --- pm2 -----------------------------------------------------------------------

function pm2(id: string, label: string, watch: boolean): Tool {
  return {
    id,
    label,
    doneSignal: watch ? 'none (the watcher restarts on its own): not applicable' : '`pm2 reload` returned',
    servingProcesses: 2,
    serialReloads: !watch,
    async start(ctx) {
      const output: string[] = [];
      const bin = path.join(ctx.peers, 'pm2', 'bin', 'pm2');
      const env = { ...process.env, PM2_HOME: ctx.home, PM2_DISCRETE_MODE: 'true', PM2_SILENT: 'true' };
      const eco = path.join(ctx.dir, 'ecosystem.config.json');
      fs.writeFileSync(
        eco,
        JSON.stringify({
          apps: [{ name: 'bench', script: 'app.js', cwd: ctx.dir, instances: 2, exec_mode: 'cluster', watch: watch ? ['app.js'] : false, env: { PORT: String(ctx.port) } }],
        }),
      );
      const pm2Cmd = (args: string[], timeoutMs = 30_000) => runCommand(process.execPath, [bin, ...args], { cwd: ctx.dir, env, timeoutMs, output });
      const daemonPid = () => {
        try {
          return Number(fs.readFileSync(path.join(ctx.home, 'pm2.pid'), 'utf8').trim()) || undefined;
        } catch {
          return undefined;
        }
      };
      const code = await pm2Cmd(['start', eco]);
      if (code !== 0) throw new Error(`pm2 start exited ${code}:\n${output.join('')}`);
      return {
        url: `http://127.0.0.1:${ctx.port}/`,
        output,
        roots: () => {
          const pid = daemonPid();
          return pid ? [pid] : [];
        },
        async reload(save) {
          const savedAt = save();
          if (watch) return { savedAt };
          const c = await pm2Cmd(['reload', 'bench']);
          return { savedAt, doneAt: Date.now(), ...(c === 0 ? {} : { failed: `pm2 reload exited ${c}` }) };
        },
        async stop() {
          const pid = daemonPid();
          await pm2Cmd(['kill'], 20_000);
          if (pid) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              // Already gone, as it should be.
            }
          }
        },
      };
    },
  };
}

// --- stop-then-start watchers ----------------------------------------------------

function watcher(id: string, label: string, argv: (ctx: ToolContext) => string[]): Tool {
  return {
    id,
    label,
    doneSignal: 'none (restarts on its own): not applicable',
    servingProcesses: 1,
    async start(ctx) {
      const output: string[] = [];
      const child = track(spawn(process.execPath, argv(ctx), { cwd: ctx.dir, env: { ...process.env, PORT: String(ctx.port) }, stdio: ['ignore', 'pipe', 'pipe'] }), output);
      return {
        url: `http://127.0.0.1:${ctx.port}/`,
        output,
        roots: () => (child.pid ? [child.pid] : []),
        async reload(save) {
          return { savedAt: save() };
        },
        stop: () => stopChild(child),
      };
    },
  };
}

export const TOOLS: Tool[] = [
  smoothReload('sr-save', 'Smooth Reload (save)', false),
  smoothReload('sr-reload', 'Smooth Reload (`reload` cmd)', true),
  pm2('pm2-reload', 'pm2 reload (cluster ×2)', false),
  pm2('pm2-watch', 'pm2 --watch (cluster ×2)', true),
  watcher('nodemon', 'nodemon', (ctx) => [path.join(ctx.peers, 'nodemon', 'bin', 'nodemon.js'), '-I', 'app.js']),
  watcher('node-watch', 'node --watch', () => ['--watch', 'app.js']),
];
