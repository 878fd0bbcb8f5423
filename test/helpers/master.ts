/** Start the real CLI (dist/cli.js) as a child process and follow its JSON event stream. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { promisify } from 'node:util';
import { ControlClient } from '../../server/control/client';
import type { MasterEvent, MasterStatus } from '../../server/protocol';
import { readStateFile } from '../../server/state-file';
import { isAlive, waitFor } from './processes';

export const REPO = path.resolve(__dirname, '..', '..');
export const CLI = path.join(REPO, 'dist', 'cli.js');
const execFileAsync = promisify(execFile);

export interface RunningMaster {
  proc: ChildProcess;
  url: string;
  port: number;
  events: MasterEvent[];
  output: string[];
  /** Wait for an event matching `pred` that arrives after `since` events (default: any). */
  waitEvent<K extends MasterEvent['kind']>(kind: K, pred?: (e: Extract<MasterEvent, { kind: K }>) => boolean, timeoutMs?: number, since?: number): Promise<Extract<MasterEvent, { kind: K }>>;
  /**
   * Wait until the pool becomes settled after `since` events (no reload, start, drain or crash
   * restart under way): the `settled` event. Something must have happened after `since`.
   */
  waitSettled(since?: number, timeoutMs?: number): Promise<Extract<MasterEvent, { kind: 'settled' }>>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
}

const running = new Set<RunningMaster>();

/** `cli`: another build of the CLI (the packaged extension's). */
export async function startMaster(cwd: string, args: string[], env: Record<string, string> = {}, cli = CLI): Promise<RunningMaster> {
  const proc = spawn(process.execPath, [cli, 'serve', '--json', '--port', '0', ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: MasterEvent[] = [];
  const output: string[] = [];
  let url = '';
  const rl = readline.createInterface({ input: proc.stdout! });
  rl.on('line', (line) => {
    output.push(line);
    try {
      const e = JSON.parse(line);
      if (e.kind === 'listening') url = e.url;
      else events.push(e);
    } catch {
      // Not JSON: kept in output.
    }
  });
  proc.stderr!.on('data', (d) => output.push(String(d)));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const master: RunningMaster = {
    proc,
    get url() {
      return url;
    },
    get port() {
      return Number(new URL(url).port);
    },
    events,
    output,
    waitEvent(kind, pred = () => true, timeoutMs = 20000, since = 0) {
      return waitFor(`event ${kind}`, () => events.slice(since).find((e) => e.kind === kind && pred(e as never)) as never, timeoutMs);
    },
    waitSettled(since = 0, timeoutMs = 20000) {
      return master.waitEvent('settled', undefined, timeoutMs, since);
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const code = await exited;
      running.delete(master);
      return code;
    },
  };
  running.add(master);
  await waitFor('the master to listen', () => url || proc.exitCode !== null, 20000);
  if (!url) throw new Error(`master exited early (${proc.exitCode}):\n${output.join('\n')}`);
  return master;
}

/** Stop every master a test left running (used by the global afterEach). */
export async function stopAllMasters(): Promise<void> {
  await Promise.all([...running].map((m) => m.stop()));
}

export { isAlive };

/**
 * Wait until the current generation's workers served at least `n` requests: a load reached the
 * new code (instead of a fixed pause between saves under load).
 */
export async function waitServed(cwd: string, n: number, timeoutMs = 20000): Promise<void> {
  const state = readStateFile(cwd);
  if (!state.ok) throw new Error(`no master in ${cwd}: ${state.message}`);
  const client = await ControlClient.connect(state.state);
  try {
    await waitFor(`${n} requests served by the current generation`, async () => {
      const s = await client.request<MasterStatus>({ type: 'status' });
      return s.workers.filter((w) => w.generation === s.generation).reduce((sum, w) => sum + w.requests, 0) >= n;
    }, timeoutMs);
  } finally {
    await client.close();
  }
}

/** Run the CLI (`dist/cli.js <args>`) in `cwd` to its end: exit code and output, never throws on a non-zero exit. */
export async function runCli(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [CLI, ...args], { cwd });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
