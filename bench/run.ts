/**
 * `npm run bench`: Smooth Reload next to pm2, nodemon and `node --watch`, same app, same load,
 * same machine, one run. Prints tables, writes bench/results/latest.json (and, with
 * --update-docs, the table in docs/benchmarks.md).
 *
 *   npm run bench [-- --tools sr-save,pm2-reload] [--skip-proxy] [--update-docs]
 *
 * Everything it starts lives under one temp folder and is stopped at the end (pm2 with its own
 * PM2_HOME there; ~/.pm2 is never touched). Peers are installed into a cache outside the repo:
 * ${SMOOTH_RELOAD_BENCH_CACHE:-~/.cache/smooth-reload/bench-peers}.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { latencyDuringReloads, median, ratio, reloadTimings, round, type ReloadTiming, type Sample } from './analysis';
import { RssSampler, cpuMs, processTree, processesUnder } from './procs';
import { MASTER_NODE_FLAGS, masterEnv } from '../server/node-flags';
import { CLI, REPO, TOOLS, spawned, stopChild, type ReloadMarkRaw, type Tool, type ToolSession } from './tools';

const PEERS = { pm2: '7.0.4', nodemon: '3.1.14' } as const;
const LOAD_WORKER = path.join(__dirname, 'load-worker.js');
const APP = path.join(__dirname, 'app', 'app.js');
const RESULTS = path.join(__dirname, 'results');
const DOCS = path.join(REPO, 'docs', 'benchmarks.md');

/** The scenario, the same for every tool. */
const SCENARIO = {
  connections: 50,
  /** The load runs at least this long, and until 1.5 s after the last reload is done (capped). */
  loadSec: 10,
  maxLoadSec: 30,
  tailMs: 1500,
  /** Saves at these offsets from the start of the load: 3 reloads in the 10 s window. */
  reloadAtMs: [1500, 4500, 7500],
  warmupMs: 500,
  /** "During the reload" for latency: this long after each save. */
  reloadWindowMs: 2000,
  probeSec: 10,
  probeIntervalMs: 5,
  probeReloadAtMs: [1000, 4000, 7000],
  settleTimeoutMs: 10_000,
  coldStarts: 5,
  proxySec: 4,
  proxyRounds: 2,
};

type Phase = 'keepalive' | 'close' | 'idle';

interface WorkerResult {
  requests: number;
  responses: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  errorCodes: Record<string, number>;
  reqPerSec: number;
  durationMs: number;
}

interface PhaseResult {
  phase: Phase;
  completed: number;
  ok2xx: number;
  failed: number;
  failedBy: { refused: number; reset: number; timeout: number; other: number };
  errorCodes: Record<string, number>;
  non2xx: number;
  staleAfterDone: number | null;
  reloadsFailed: string[];
  reloads: ReloadTiming[];
  firstNewMedianMs: number | null;
  allNewMedianMs: number | null;
  doneMedianMs: number | null;
  p99DuringMs: number | null;
  p99OutsideMs: number | null;
  reqPerSec: number;
  /** How long the load (or probe) ran: the 10 s window, longer when a reload was not done by then. */
  durationSec: number;
  settled: boolean;
}

interface ToolResult {
  id: string;
  label: string;
  doneSignal: string;
  servingProcesses: number;
  phases: Partial<Record<Phase, PhaseResult>>;
  peakRssMB: number;
  peakProcesses: number;
  masterPeakRssMB: number | null;
  error?: string;
}

// --- small helpers ---------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const log = (s: string) => process.stderr.write(s + '\n');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function get(url: string, timeoutMs = 1000): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** Wait (bounded) until the URL answers 200 with `version` or newer. */
export async function waitServing(url: string, version: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await get(url);
    const m = r && r.status === 200 ? /^v(\d+)/.exec(r.body) : null;
    if (m && Number(m[1]) >= version) return true;
    await sleep(20);
  }
  return false;
}

export function writeVersion(dir: string, version: number): number {
  const src = fs.readFileSync(APP, 'utf8').replace(/const VERSION = \d+;/, `const VERSION = ${version};`);
  // In place, like an editor's save (VS Code writes in place by default).
  fs.writeFileSync(path.join(dir, 'app.js'), src);
  return Date.now();
}

/** Run the load worker; `onStart` runs once it is spawned (the reload schedule). */
export async function runWorker(options: Record<string, unknown>, pinCpu?: number, onStart?: (t0: number) => Promise<void>): Promise<{ samples: Sample[]; result: WorkerResult }> {
  const args = [LOAD_WORKER, JSON.stringify(options)];
  const child =
    pinCpu === undefined
      ? spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn('taskset', ['-c', String(pinCpu), process.execPath, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  spawned.add(child);
  const t0 = Date.now();
  const samples: Sample[] = [];
  let result: WorkerResult | undefined;
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    const msg = JSON.parse(line);
    if (msg.type === 'samples') for (const s of msg.s) samples.push(s);
    else if (msg.type === 'done') result = msg.result;
  });
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const hardStop = setTimeout(() => child.kill('SIGKILL'), (Number(options.durationSec) + 30) * 1000);
  await Promise.all([onStart?.(t0).then(() => child.stdin!.end('stop\n')), exit]);
  clearTimeout(hardStop);
  spawned.delete(child);
  if (!result) throw new Error(`load worker gave no result: ${stderr}`);
  samples.sort((a, b) => a[0] - b[0]);
  return { samples, result };
}

function classify(codes: Record<string, number>): PhaseResult['failedBy'] {
  const by = { refused: 0, reset: 0, timeout: 0, other: 0 };
  for (const [code, n] of Object.entries(codes)) {
    if (code === 'ECONNREFUSED') by.refused += n;
    else if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'HPE_INVALID_EOF_STATE' || code === 'UND_ERR_SOCKET') by.reset += n;
    else if (code === 'TIMEOUT' || code === 'ETIMEDOUT') by.timeout += n;
    else by.other += n;
  }
  return by;
}

// --- one tool ------------------------------------------------------------------------

async function runPhase(tool: Tool, session: ToolSession, dir: string, phase: Phase, version: { current: number }): Promise<PhaseResult> {
  const idle = phase === 'idle';
  const schedule = idle ? SCENARIO.probeReloadAtMs : SCENARIO.reloadAtMs;
  const options = idle
    ? { mode: 'probe', url: session.url, durationSec: SCENARIO.maxLoadSec, intervalMs: SCENARIO.probeIntervalMs, maxCount: 8000 }
    : { mode: 'load', url: session.url, durationSec: SCENARIO.maxLoadSec, connections: SCENARIO.connections, keepAlive: phase === 'keepalive' };
  const marks: (ReloadMarkRaw & { version: number })[] = [];
  let t0 = 0;
  const { samples, result } = await runWorker(options, undefined, async (start) => {
    t0 = start;
    // Saves come at fixed times whether or not the previous reload is done (an editor does not
    // wait), except for tools reloaded by a script that waits for its command.
    const pending: Promise<void>[] = [];
    for (const at of schedule) {
      await sleep(start + at - Date.now());
      if (tool.serialReloads) await pending[pending.length - 1];
      const v = ++version.current;
      pending.push(session.reload(() => writeVersion(dir, v)).then((mark) => void marks.push({ ...mark, version: v })));
    }
    await Promise.all(pending);
    marks.sort((x, y) => x.version - y.version);
    // Run the planned window, and on until every reload is done (plus a tail), within the cap.
    const lastDone = Math.max(...marks.map((m) => m.doneAt ?? m.savedAt));
    await sleep(Math.max(start + (idle ? SCENARIO.probeSec : SCENARIO.loadSec) * 1000, lastDone + SCENARIO.tailMs) - Date.now());
  });
  const runEnd = samples.length ? samples[samples.length - 1][0] + 1 : Date.now();
  const settled = await waitServing(session.url, version.current, SCENARIO.settleTimeoutMs);
  const timings = reloadTimings(samples, marks, runEnd);
  const lat = latencyDuringReloads(samples, marks.map((m) => m.savedAt), SCENARIO.reloadWindowMs, t0 + SCENARIO.warmupMs, runEnd);
  const stale = timings.map((t) => t.staleAfterDone);
  const ok2xx = samples.filter((s) => s[3] >= 200 && s[3] < 300).length;
  const r: PhaseResult = {
    phase,
    completed: samples.length,
    ok2xx,
    failed: result.errors,
    failedBy: classify(result.errorCodes),
    errorCodes: result.errorCodes,
    non2xx: samples.length - ok2xx,
    staleAfterDone: stale.every((s) => s === null) ? null : stale.reduce<number>((a, b) => a + (b ?? 0), 0),
    reloadsFailed: marks.filter((m) => m.failed).map((m) => m.failed!),
    reloads: timings,
    firstNewMedianMs: round(median(timings.map((t) => t.firstNewMs))),
    allNewMedianMs: round(median(timings.map((t) => t.allNewMs))),
    doneMedianMs: round(median(timings.map((t) => t.doneMs))),
    p99DuringMs: round(lat.during, 1),
    p99OutsideMs: round(lat.outside, 1),
    reqPerSec: round(result.reqPerSec) ?? 0,
    durationSec: round(result.durationMs / 1000, 1) ?? 0,
    settled,
  };
  log(
    `  ${tool.id} ${phase}: ${r.completed} responses, ${r.failed} failed ${JSON.stringify(r.errorCodes)}, ${r.non2xx} non-2xx, stale after done ${r.staleAfterDone ?? 'n/a'}, ` +
      `first new ${r.firstNewMedianMs} ms, all new ${r.allNewMedianMs} ms, p99 ${r.p99DuringMs}/${r.p99OutsideMs} ms${settled ? '' : ' (NOT settled)'}`,
  );
  return r;
}

async function runTool(tool: Tool, root: string, peers: string, phases: Phase[]): Promise<ToolResult> {
  const dir = path.join(root, tool.id);
  const home = path.join(root, `${tool.id}-home`);
  fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(home, { recursive: true });
  const version = { current: 1 };
  writeVersion(dir, 1);
  const port = await freePort();
  const out: ToolResult = { id: tool.id, label: tool.label, doneSignal: tool.doneSignal, servingProcesses: tool.servingProcesses, phases: {}, peakRssMB: 0, peakProcesses: 0, masterPeakRssMB: null };
  log(`${tool.label}:`);
  let session: ToolSession | undefined;
  let sampler: RssSampler | undefined;
  try {
    session = await tool.start({ dir, port, peers, home });
    const s = session;
    if (!(await waitServing(s.url, 1, 20_000))) throw new Error(`${tool.label} did not serve v1 within 20 s:\n${s.output.join('').slice(-2000)}`);
    sampler = new RssSampler(() => s.roots(), () => s.focus?.(), 200).start();
    for (const phase of phases) out.phases[phase] = await runPhase(tool, s, dir, phase, version);
  } catch (err) {
    out.error = String((err as Error).message ?? err);
    log(`  ${tool.id} FAILED: ${out.error}`);
  } finally {
    sampler?.stop();
    if (sampler) {
      out.peakRssMB = mb(sampler.peakTreeBytes);
      out.peakProcesses = sampler.peakProcesses;
      out.masterPeakRssMB = sampler.peakFocusBytes ? mb(sampler.peakFocusBytes) : null;
    }
    await session?.stop().catch(() => undefined);
    await killLeftovers(dir, tool.label);
    await killLeftovers(home, tool.label);
  }
  return out;
}

/** Anything still running inside a tool's folder after its stop is a leak: report it, kill it. */
export async function killLeftovers(folder: string, what: string): Promise<number> {
  let left = processesUnder(folder);
  for (let i = 0; i < 40 && left.length; i++) {
    await sleep(50);
    left = processesUnder(folder);
  }
  for (const p of left) {
    log(`  leftover after stopping ${what}: pid ${p.pid} ${p.cmdline.slice(0, 120)}; killing it`);
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // Gone.
    }
  }
  return left.length;
}

// --- the app alone: cold start and direct throughput -------------------------------------

async function coldStart(root: string): Promise<number[]> {
  const dir = path.join(root, 'cold');
  fs.mkdirSync(dir, { recursive: true });
  writeVersion(dir, 1);
  const runs: number[] = [];
  for (let i = 0; i < SCENARIO.coldStarts; i++) {
    const port = await freePort();
    const started = Date.now();
    const child = spawn(process.execPath, ['app.js'], { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
    spawned.add(child);
    const deadline = started + 10_000;
    let ok = false;
    while (!ok && Date.now() < deadline) {
      const r = await get(`http://127.0.0.1:${port}/`, 500);
      if (r?.status === 200) ok = true;
      else await sleep(1);
    }
    if (ok) runs.push(Date.now() - started);
    await stopChild(child);
    spawned.delete(child);
  }
  return runs;
}

interface ProxyResult {
  pinned: boolean;
  directReqPerSec: number[];
  masterReqPerSec: number[];
  ratio: number | null;
  masterPeakRssMB: number | null;
  /**
   * CPU time per request (µs, median of the rounds): the app alone, and through the master split
   * into the master and its worker. Machine load changes throughput a lot but CPU per request
   * little, so `cpuRatio` (app alone ÷ master + worker) is the steadier reading of "same CPU budget".
   */
  cpuUsPerRequest: { direct: number | null; master: number | null; worker: number | null };
  cpuRatio: number | null;
}

/**
 * Keep-alive load on `url` (50 connections, `durationSec`, the load worker pinned to `loadCpu`),
 * pushing the CPU µs per request each group of processes used (from /proc) onto the group's list.
 * Resolves with the req/s.
 */
export async function measuredLoad(url: string, groups: [pids: number[], out: number[]][], durationSec: number, loadCpu?: number): Promise<number> {
  const before = groups.map(([pids]) => pids.reduce((sum, pid) => sum + cpuMs(pid), 0));
  const { result } = await runWorker({ mode: 'load', url, durationSec, connections: SCENARIO.connections, keepAlive: true }, loadCpu);
  groups.forEach(([pids, out], i) => {
    const used = pids.reduce((sum, pid) => sum + cpuMs(pid), 0) - before[i];
    if (result.requests > 0) out.push(Math.round((used * 1000) / result.requests));
  });
  return result.reqPerSec;
}

/** Throughput through our master (1 worker) vs the app alone; pinned: both on CPU 1, load on CPU 0. */
async function proxyOverhead(root: string, pinned: boolean): Promise<ProxyResult> {
  const dir = path.join(root, pinned ? 'proxy-pinned' : 'proxy');
  fs.mkdirSync(dir, { recursive: true });
  writeVersion(dir, 1);
  const pre = (argv: string[]) => (pinned ? ['taskset', ['-c', '1', ...argv]] : [argv[0], argv.slice(1)]) as [string, string[]];
  const direct: number[] = [];
  const master: number[] = [];
  const cpu = { direct: [] as number[], master: [] as number[], worker: [] as number[] };
  let masterRss = 0;
  const measured = (url: string, groups: [number[], number[]][]) => measuredLoad(url, groups, SCENARIO.proxySec, pinned ? 0 : undefined);
  for (let round = 0; round < SCENARIO.proxyRounds; round++) {
    {
      const port = await freePort();
      const [cmd, args] = pre([process.execPath, 'app.js']);
      const child = spawn(cmd, args, { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
      spawned.add(child);
      const url = `http://127.0.0.1:${port}/`;
      if (await waitServing(url, 1, 10_000)) direct.push(await measured(url, [[[child.pid!], cpu.direct]]));
      await stopChild(child);
      spawned.delete(child);
    }
    {
      const [cmd, args] = pre([process.execPath, ...MASTER_NODE_FLAGS, CLI, 'serve', 'app.js', '--port', '0', '--workers', '1', '--no-watch', '--json']);
      const child = spawn(cmd, args, { cwd: dir, env: masterEnv(process.env), stdio: ['ignore', 'pipe', 'ignore'] });
      spawned.add(child);
      let url = '';
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        try {
          const e = JSON.parse(line);
          if (e.kind === 'listening') url = `http://127.0.0.1:${new URL(e.url).port}/`;
        } catch {
          // Not an event.
        }
      });
      const deadline = Date.now() + 20_000;
      while (!url && Date.now() < deadline && child.exitCode === null) await sleep(20);
      // The master's own pid: under taskset, taskset execs node, so the pid is the same.
      const sampler = new RssSampler(() => [], () => child.pid).start();
      if (url && (await waitServing(url, 1, 20_000))) {
        // The worker and a parked standby (idle, so it adds nothing) are the master's children.
        const children = processTree([child.pid!]).filter((pid) => pid !== child.pid);
        master.push(await measured(url, [[[child.pid!], cpu.master], [children, cpu.worker]]));
      }
      sampler.stop();
      masterRss = Math.max(masterRss, sampler.peakFocusBytes);
      await stopChild(child);
      spawned.delete(child);
      await killLeftovers(dir, 'the proxy-overhead master');
    }
  }
  const r: ProxyResult = {
    pinned,
    directReqPerSec: direct.map((x) => Math.round(x)),
    masterReqPerSec: master.map((x) => Math.round(x)),
    ratio: round(ratio(median(master), median(direct)), 3),
    masterPeakRssMB: masterRss ? mb(masterRss) : null,
    cpuUsPerRequest: { direct: median(cpu.direct), master: median(cpu.master), worker: median(cpu.worker) },
    cpuRatio: null,
  };
  const { direct: d, master: m, worker: w } = r.cpuUsPerRequest;
  r.cpuRatio = d !== null && m !== null && w !== null && m + w > 0 ? round(d / (m + w), 3) : null;
  log(`  proxy ${pinned ? 'pinned (1 CPU for the app side)' : 'unpinned'}: direct ${r.directReqPerSec.join(', ')} req/s, through the master ${r.masterReqPerSec.join(', ')} req/s, ratio ${r.ratio}; CPU per request: app alone ${d} µs, master ${m} µs + worker ${w} µs, CPU ratio ${r.cpuRatio}`);
  return r;
}

// --- peers ------------------------------------------------------------------------------

function ensurePeers(): string {
  const cache = process.env.SMOOTH_RELOAD_BENCH_CACHE || path.join(os.homedir(), '.cache', 'smooth-reload', 'bench-peers');
  const have = (name: string) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(cache, 'node_modules', name, 'package.json'), 'utf8')).version;
    } catch {
      return undefined;
    }
  };
  if (Object.entries(PEERS).some(([name, v]) => have(name) !== v)) {
    fs.mkdirSync(cache, { recursive: true });
    const specs = Object.entries(PEERS).map(([name, v]) => `${name}@${v}`);
    log(`installing ${specs.join(' ')} into ${cache}`);
    const r = spawnSync('npm', ['install', '--prefix', cache, '--no-audit', '--no-fund', '--save-exact', ...specs], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 300_000 });
    if (r.status !== 0) throw new Error(`npm install of the peers failed (exit ${r.status})`);
  }
  return path.join(cache, 'node_modules');
}

// --- report --------------------------------------------------------------------------------

const fmt = (v: number | null | undefined, unit = '') => (v === null || v === undefined ? '–' : `${v}${unit}`);

export function tables(results: { tools: ToolResult[]; coldStartMedianMs: number | null; proxy: ProxyResult[] }): string {
  const lines: string[] = [];
  lines.push('Under load (autocannon, 50 connections, 3 saves in a 10 s window):', '');
  lines.push('| tool | connections | completed / load ran | failed (refused / reset / timeout / other) | non-2xx | old code after "done" | save → first new (median) | save → all new (median) | p99 during reloads / outside |');
  lines.push('|---|---|---:|---|---:|---:|---:|---:|---:|');
  for (const t of results.tools) {
    for (const phase of ['keepalive', 'close'] as const) {
      const p = t.phases[phase];
      if (!p) {
        if (phase === 'keepalive') lines.push(`| ${t.label} | – | error: ${t.error ?? 'not run'} | | | | | | |`);
        continue;
      }
      const by = p.failedBy;
      lines.push(
        `| ${t.label} | ${phase === 'keepalive' ? 'keep-alive' : 'Connection: close'} | ${p.completed} / ${p.durationSec} s | **${p.failed}** (${by.refused} / ${by.reset} / ${by.timeout} / ${by.other}) | ${p.non2xx} | ${p.staleAfterDone === null ? 'n/a' : `**${p.staleAfterDone}**`} | ${fmt(p.firstNewMedianMs, ' ms')} | ${fmt(p.allNewMedianMs, ' ms')} | ${fmt(p.p99DuringMs)} / ${fmt(p.p99OutsideMs)} ms |`,
      );
    }
  }
  lines.push('', `Without load (one probe request every ${SCENARIO.probeIntervalMs} ms on a new connection), memory over the whole run; the app's own cold start (spawn → first 200) is ${fmt(results.coldStartMedianMs, ' ms')}:`, '');
  lines.push('| tool | save → first new (median) | save → all new (median) | save → "done" (median) | probe failures | peak RSS, whole process tree | processes |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const t of results.tools) {
    const p = t.phases.idle;
    lines.push(`| ${t.label} | ${fmt(p?.firstNewMedianMs, ' ms')} | ${fmt(p?.allNewMedianMs, ' ms')} | ${fmt(p?.doneMedianMs, ' ms')} | ${p ? p.failed + p.non2xx : '–'} | ${t.peakRssMB} MB | ${t.peakProcesses} |`);
  }
  const sr = results.tools.find((t) => t.id === 'sr-save');
  lines.push('', 'Proxy overhead (50 keep-alive connections, our master with 1 worker vs the app alone):', '');
  lines.push('| CPU budget | app directly (req/s) | through the master (req/s) | ratio | CPU per request: app alone / master + worker | CPU ratio |');
  lines.push('|---|---|---|---:|---:|---:|');
  for (const p of results.proxy) {
    const c = p.cpuUsPerRequest;
    lines.push(`| ${p.pinned ? 'same: app side pinned to 1 CPU, load on the other' : 'unpinned (master may use the second CPU)'} | ${p.directReqPerSec.join(', ')} | ${p.masterReqPerSec.join(', ')} | **${fmt(p.ratio)}** | ${fmt(c.direct, ' µs')} / ${fmt(c.master, ' µs')} + ${fmt(c.worker, ' µs')} | ${fmt(p.cpuRatio)} |`);
  }
  const masterRss = [sr?.masterPeakRssMB, ...results.proxy.map((p) => p.masterPeakRssMB)].filter((x): x is number => typeof x === 'number');
  lines.push('', `Master process alone, peak RSS: ${masterRss.length ? `${Math.max(...masterRss)} MB` : '–'} (max over the save run with 2 workers and the proxy runs).`);
  return lines.join('\n');
}

// --- main ------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const only = arg('--tools')?.split(',');
  const phases = (arg('--phases')?.split(',') ?? ['keepalive', 'close', 'idle']) as Phase[];
  const skipProxy = argv.includes('--skip-proxy');
  const updateDocs = argv.includes('--update-docs');
  if (!fs.existsSync(CLI)) throw new Error(`${path.relative(REPO, CLI)} is missing: run "npm run build" first`);
  const started = Date.now();
  const peers = ensurePeers();
  // Short path: pm2 puts unix sockets in PM2_HOME (108-byte limit).
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'srb-'));
  const cleanup = () => {
    for (const c of spawned) c.kill('SIGKILL');
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  const canPin = os.cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  const meta = {
    date: new Date().toISOString(),
    command: `npm run bench${argv.length ? ' -- ' + argv.join(' ') : ''}`,
    node: process.version,
    nproc: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    peers: { ...PEERS, node: process.version },
    scenario: SCENARIO,
  };
  log(`bench: ${meta.nproc} CPUs, ${meta.memoryGB} GB, node ${meta.node}, load average ${meta.loadAverageAtStart.join(' ')}`);
  const tools: ToolResult[] = [];
  const proxy: ProxyResult[] = [];
  let coldRuns: number[] = [];
  try {
    coldRuns = await coldStart(root);
    log(`app cold start (spawn → first 200): ${coldRuns.join(', ')} ms`);
    for (const tool of TOOLS) if (!only || only.includes(tool.id)) tools.push(await runTool(tool, root, peers, phases));
    if (!skipProxy) {
      if (canPin) proxy.push(await proxyOverhead(root, true));
      proxy.push(await proxyOverhead(root, false));
    }
  } finally {
    cleanup();
    const leaks = await killLeftovers(root, 'the bench');
    fs.rmSync(root, { recursive: true, force: true });
    if (leaks) log(`${leaks} process(es) were left running and had to be killed`);
  }
  const results = { meta: { ...meta, durationSec: Math.round((Date.now() - started) / 1000), loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100) }, coldStartMs: coldRuns, coldStartMedianMs: median(coldRuns), tools, proxy };
  const table = tables(results);
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
  process.stdout.write('\n' + table + '\n\n');
  log(`wrote ${path.relative(REPO, path.join(RESULTS, 'latest.json'))} (${results.meta.durationSec} s)`);
  if (updateDocs) {
    updateDocsTable(table, results.meta);
    log(`updated ${path.relative(REPO, DOCS)}`);
  }
}

function updateDocsTable(table: string, meta: { date: string; command: string; node: string; nproc: number; cpu: string; memoryGB: number; loadAverageAtStart: number[]; durationSec: number }): void {
  const begin = '<!-- bench:begin -->';
  const end = '<!-- bench:end -->';
  const doc = fs.existsSync(DOCS) ? fs.readFileSync(DOCS, 'utf8') : `# Benchmarks\n\n${begin}\n${end}\n`;
  const i = doc.indexOf(begin);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error(`${DOCS} has no ${begin} … ${end} section`);
  const block = [
    begin,
    `Run on ${meta.date.slice(0, 16).replace('T', ' ')} UTC: ${meta.nproc} CPUs (${meta.cpu}), ${meta.memoryGB} GB, Node ${meta.node}, load average ${meta.loadAverageAtStart.join(' ')} at the start, ${meta.durationSec} s in all.`,
    `Command: \`${meta.command}\``,
    '',
    table,
    end,
  ].join('\n');
  fs.writeFileSync(DOCS, doc.slice(0, i) + block + doc.slice(j + end.length));
}

// Run when started as the bench, not when bench/proxy-alternatives.ts imports its helpers.
if (require.main === module) {
  main().catch((err) => {
    for (const c of spawned) c.kill('SIGKILL');
    log(`bench failed: ${(err as Error).stack ?? err}`);
    process.exitCode = 1;
  });
}
