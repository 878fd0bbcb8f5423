/**
 * Soak: many rolling reloads in a row under light load, against the real CLI.
 *
 *   npx tsx bench/soak.ts [--reloads 500] [--workers 2] [--connections 4] [--plain] [--json]
 *
 * By default the master starts as the extension starts it (MASTER_NODE_FLAGS and masterEnv(), see
 * server/node-flags.ts); `--plain` starts it as the README shows for a terminal: `node
 * bin/smooth-reload.js serve …` with no node flags and the environment as it is (no MALLOC_ARENA_MAX).
 *
 * Reports failed requests, the master's open file descriptors and RSS before and after, and any
 * process left behind. Each reload writes a new version of the app and waits for the reload to be
 * done, then checks that a response comes from the new code. Exit code 1 when a guarantee is
 * broken (a failed request, fd growth beyond 8, a leftover process, RSS growth of 10 MB or more).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { ControlClient } from '../server/control/client';
import type { MasterStatus, ReloadResult } from '../server/protocol';
import { readStateFile } from '../server/state-file';
import { MASTER_NODE_FLAGS, masterEnv } from '../server/node-flags';
import { descendantsOf, fdCount, processesUnder, rssBytes, waitFor, waitNoProcessesUnder } from '../test/helpers/processes';

export interface SoakOptions {
  reloads: number;
  workers: number;
  connections: number;
  /** Start the master with no node flags and no master-only environment (the README's command line). */
  plain?: boolean;
  /** Called after each reload (progress). */
  onReload?: (i: number, result: ReloadResult) => void;
}

export interface SoakResult {
  reloads: number;
  failedReloads: number;
  requests: number;
  failedRequests: number;
  failures: Record<string, number>;
  /** Reloads after which a request did not get the new version within a few tries. */
  staleAfterDone: number;
  fdBefore: number;
  fdAfter: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  /** Largest master RSS seen over the measured reloads (sampled every 100 ms). */
  rssPeakBytes: number;
  /** [reload number, RSS bytes] every 50 reloads: a leak climbs steadily, allocator noise plateaus. */
  rssSamples: [number, number][];
  /** Worker processes alive at the end (should equal `workers`). */
  workersAtEnd: number;
  /** Warm standbys parked at the end (at most one per worker). */
  standbysAtEnd: number;
  leftoverProcesses: string[];
  masterExitCode: number | null;
  durationMs: number;
}

const REPO = path.resolve(__dirname, '..');
const CLI = path.join(REPO, 'dist', 'cli.js');
/** What the README runs from a terminal (it loads dist/cli.js). */
const BIN = path.join(REPO, 'bin', 'smooth-reload.js');

function app(version: number): string {
  return `const http = require('node:http');
http.createServer((req, res) => {
  setTimeout(() => res.end('v${version}\\n'), 2);
}).listen(3000);
`;
}

function get(url: string, agent: http.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: 15_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
  });
}

/** The environment as a terminal gives it, without an allocator setting of our own making. */
function plainEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  delete out.MALLOC_ARENA_MAX;
  return out;
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const started = Date.now();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'smooth-reload-soak-'));
  const dir = path.join(root, 'app');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'app.js'), app(0));
  const launch = options.plain ? [BIN] : [...MASTER_NODE_FLAGS, CLI];
  const proc = spawn(process.execPath, [...launch, 'serve', 'app.js', '--json', '--port', '0', '--no-watch', '--workers', String(options.workers), '--log-level', 'warn'], {
    cwd: dir,
    env: options.plain ? plainEnv(process.env) : masterEnv(process.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const output: string[] = [];
  let url = '';
  readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
    if (output.length < 200) output.push(line);
    try {
      const e = JSON.parse(line) as { kind?: string; url?: string };
      if (e.kind === 'listening' && e.url) url = e.url;
    } catch {
      // Human text.
    }
  });
  proc.stderr!.on('data', (d) => output.length < 200 && output.push(String(d)));
  let client: ControlClient | undefined;
  let peakTimer: NodeJS.Timeout | undefined;
  let stopLoad = false;
  const loops: Promise<void>[] = [];
  try {
    await waitFor('the master to listen', () => url || proc.exitCode !== null, 20_000);
    if (!url) throw new Error(`the master exited early:\n${output.join('\n')}`);
    const state = await waitFor('the state file', () => {
      const s = readStateFile(dir);
      return s.ok && s.state;
    });
    client = await ControlClient.connect(state);
    await waitFor('the first generation', async () => (await client!.request<{ workers: { state: string }[] }>({ type: 'status' })).workers.filter((w) => w.state === 'ready').length === options.workers);

    // Light load: a few keep-alive clients in a loop; every response must be a 200.
    let requests = 0;
    let failedRequests = 0;
    const failures: Record<string, number> = {};
    const fail = (why: string) => {
      failedRequests++;
      failures[why] = (failures[why] ?? 0) + 1;
    };
    const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
    for (let c = 0; c < options.connections; c++) {
      loops.push(
        (async () => {
          while (!stopLoad) {
            try {
              const r = await get(url, agent);
              requests++;
              if (r.status !== 200) fail(`HTTP ${r.status}`);
            } catch (err) {
              requests++;
              fail((err as NodeJS.ErrnoException).code ?? (err as Error).message);
            }
          }
        })(),
      );
    }

    // Warm up (JIT, agent sockets, first allocations) before the baseline.
    const reloadTo = async (version: number): Promise<{ result: ReloadResult; fresh: boolean }> => {
      fs.writeFileSync(path.join(dir, 'app.js'), app(version));
      const result = await client!.request<ReloadResult>({ type: 'reload', reason: `soak ${version}` });
      // A response after "done" comes from the new code (a few tries: requests in flight at the switch may finish on the old worker).
      let fresh = false;
      for (let i = 0; i < 5 && !fresh; i++) fresh = (await get(url, agent)).body === `v${version}\n`;
      return { result, fresh };
    };
    const warmup = Math.min(10, Math.max(2, Math.floor(options.reloads / 10)));
    for (let v = 1; v <= warmup; v++) await reloadTo(v);
    await new Promise((r) => setTimeout(r, 500));
    const pid = proc.pid!;
    const fdBefore = fdCount(pid);
    const rssBeforeBytes = rssBytes(pid);

    let failedReloads = 0;
    let staleAfterDone = 0;
    const rssSamples: [number, number][] = [[0, rssBeforeBytes]];
    let rssPeakBytes = rssBeforeBytes;
    peakTimer = setInterval(() => (rssPeakBytes = Math.max(rssPeakBytes, rssBytes(pid))), 100);
    for (let i = 1; i <= options.reloads; i++) {
      const { result, fresh } = await reloadTo(warmup + i);
      if (!result.ok) failedReloads++;
      if (!fresh) staleAfterDone++;
      if (i % 50 === 0) rssSamples.push([i, rssBytes(pid)]);
      options.onReload?.(i, result);
    }
    // Let the last drained workers exit and idle sockets settle before measuring.
    await new Promise((r) => setTimeout(r, 1000));
    clearInterval(peakTimer);
    const fdAfter = fdCount(pid);
    const rssAfterBytes = rssBytes(pid);
    rssPeakBytes = Math.max(rssPeakBytes, rssAfterBytes);
    // Children of the master that run the app, apart from the warm standbys booted for the next
    // reload. `status` lists a standby once it is parked: on a loaded machine one can still be
    // booting a second after the last reload, so wait (bounded) for the count to settle.
    let workersAtEnd = 0;
    let standbysAtEnd = 0;
    for (let tries = 0; tries < 50; tries++) {
      const standbyPids = (await client.request<MasterStatus>({ type: 'status' })).standby?.pids ?? [];
      workersAtEnd = descendantsOf(pid).filter((p) => !standbyPids.includes(p)).length;
      standbysAtEnd = standbyPids.length;
      if (workersAtEnd === options.workers) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    stopLoad = true;
    await Promise.all(loops);
    agent.destroy();
    await client.close();
    client = undefined;
    proc.kill('SIGTERM');
    const masterExitCode = await exited;
    const left = await waitNoProcessesUnder(root, 5000);
    return {
      reloads: options.reloads,
      failedReloads,
      requests,
      failedRequests,
      failures,
      staleAfterDone,
      fdBefore,
      fdAfter,
      rssBeforeBytes,
      rssAfterBytes,
      rssPeakBytes,
      rssSamples,
      workersAtEnd,
      standbysAtEnd,
      leftoverProcesses: left.map((p) => `${p.pid} ${p.cmdline}`),
      masterExitCode,
      durationMs: Date.now() - started,
    };
  } finally {
    clearInterval(peakTimer);
    stopLoad = true;
    await Promise.allSettled(loops);
    await client?.close();
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
    for (const p of processesUnder(root)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // Gone.
      }
    }
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** The guarantees the soak checks; empty when all hold. */
export function soakViolations(r: SoakResult, workers: number, fdSlack = 8, rssLimitBytes = 10 * 1024 * 1024): string[] {
  const out: string[] = [];
  if (r.failedRequests) out.push(`${r.failedRequests} failed requests ${JSON.stringify(r.failures)}`);
  if (r.failedReloads) out.push(`${r.failedReloads} reloads failed`);
  if (r.staleAfterDone) out.push(`${r.staleAfterDone} reloads still served old code after done`);
  if (r.fdAfter - r.fdBefore > fdSlack) out.push(`master fds grew from ${r.fdBefore} to ${r.fdAfter}`);
  if (r.rssAfterBytes - r.rssBeforeBytes >= rssLimitBytes) out.push(`master RSS grew by ${mb(r.rssAfterBytes - r.rssBeforeBytes)} MB`);
  if (r.workersAtEnd !== workers) out.push(`${r.workersAtEnd} worker processes at the end, expected ${workers}`);
  if (r.standbysAtEnd > workers) out.push(`${r.standbysAtEnd} standby processes at the end, expected at most ${workers}`);
  if (r.leftoverProcesses.length) out.push(`processes left: ${r.leftoverProcesses.join('; ')}`);
  if (r.masterExitCode !== 0) out.push(`master exited with ${r.masterExitCode} on SIGTERM`);
  return out;
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

async function cli(): Promise<void> {
  const args = process.argv.slice(2);
  const num = (name: string, def: number) => {
    const i = args.indexOf(name);
    const n = i >= 0 ? Number(args[i + 1]) : def;
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number`);
    return n;
  };
  const reloads = num('--reloads', 500);
  const workers = num('--workers', 2);
  const connections = num('--connections', 4);
  const json = args.includes('--json');
  const plain = args.includes('--plain');
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  const log = (s: string) => process.stderr.write(s);
  log(`soak: ${reloads} reloads, ${workers} workers, ${connections} keep-alive clients, master started ${plain ? 'plain (no node flags, no MALLOC_ARENA_MAX)' : 'as the extension starts it'} (node ${process.version}, ${os.cpus().length} cpus)\n`);
  const r = await runSoak({
    reloads,
    workers,
    connections,
    plain,
    onReload: (i, res) => {
      if (i % 50 === 0 || !res.ok) log(`  reload ${i}/${reloads}: ${res.ok ? 'done' : `FAILED ${res.finding?.message}`} in ${res.durationMs} ms\n`);
    },
  });
  const bad = soakViolations(r, workers);
  if (json) process.stdout.write(JSON.stringify({ ...r, workers, connections, plain, node: process.version, violations: bad }) + '\n');
  else {
    const lines = [
      `reloads              ${r.reloads} (${r.failedReloads} failed, ${r.staleAfterDone} served old code after done)`,
      `requests             ${r.requests} (${r.failedRequests} failed${r.failedRequests ? ` ${JSON.stringify(r.failures)}` : ''})`,
      `master fds           ${r.fdBefore} → ${r.fdAfter}`,
      `master RSS           ${mb(r.rssBeforeBytes)} MB → ${mb(r.rssAfterBytes)} MB (${r.rssAfterBytes >= r.rssBeforeBytes ? '+' : ''}${mb(r.rssAfterBytes - r.rssBeforeBytes)} MB), peak ${mb(r.rssPeakBytes)} MB`,
      `master RSS samples   ${r.rssSamples.map(([i, b]) => `${i}:${mb(b)}`).join(' ')}`,
      `workers at the end   ${r.workersAtEnd} (and ${r.standbysAtEnd} standbys)`,
      `leftover processes   ${r.leftoverProcesses.length}`,
      `master exit (TERM)   ${r.masterExitCode}`,
      `duration             ${(r.durationMs / 1000).toFixed(1)} s`,
      bad.length ? `FAIL: ${bad.join('; ')}` : 'OK: every guarantee held',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }
  process.exitCode = bad.length ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(__filename)) {
  cli().catch((err: Error) => {
    process.stderr.write(`soak: ${err.stack ?? err}\n`);
    process.exitCode = 2;
  });
}
