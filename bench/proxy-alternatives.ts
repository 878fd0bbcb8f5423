/**
 * Issue 13's question, measured: does the hand-written front still cost clearly less CPU per
 * proxied request than the ordinary way, `http.Server` + undici (bench/alt-front/undici-proxy.ts)?
 *
 *   npx tsx bench/proxy-alternatives.ts [--rounds 4] [--sec 5] [--at COMMIT|worktree]
 *
 * Configurations, the same bench app, load and pinning as `npm run bench`'s pinned proxy run (the
 * load on CPU 0; the app and whatever proxies it on CPU 1, so CPU per request is comparable):
 *   app      the app alone
 *   front    `smooth-reload serve app.js --workers 1`: our master (front) and its worker
 *   undici   the undici proxy in front of the app, with the master's Node flags and env
 *   undici-default   the same with Node's default flags (what the flags themselves cost)
 * Each round runs every configuration once, in an order rotated per round; each run has an
 * unmeasured warm-up (at least 2 s and 5000 requests, see below), then `--sec` of 50 keep-alive connections measured by /proc CPU time.
 *
 * `--baseline COMMIT` adds `front-baseline`, our front as built from that commit, to the rotation
 * (before/after a change, paired by round); `--only a,b` runs only those configurations.
 * `--at COMMIT` measures our front as built from that commit (git archive into a temp folder,
 * its own dist/), leaving this checkout's dist/ alone; without it, this checkout's dist/cli.js.
 * Prints a table; writes bench/results/proxy-alternatives.json.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { median, ratio, round } from './analysis';
import { processTree } from './procs';
import { freePort, killLeftovers, measuredLoad, runWorker, waitServing, writeVersion } from './run';
import { CLI, REPO, spawned, stopChild } from './tools';
import { MASTER_NODE_FLAGS, masterEnv } from '../server/node-flags';

const log = (s: string) => process.stderr.write(s + '\n');
const PROXY = path.join(__dirname, 'alt-front', 'undici-proxy.ts');
const CONNECTIONS = 50;
const WARMUP_REQUESTS = 5000;

type Config = 'app' | 'front' | 'front-baseline' | 'undici' | 'undici-default';
let CONFIGS: Config[] = ['app', 'front', 'undici', 'undici-default'];

interface Run {
  round: number;
  reqPerSec: number;
  /** CPU µs per request: the proxy process (master or undici proxy), and the app (or worker). */
  proxyUs: number | null;
  appUs: number | null;
}

const pinned = (argv: string[]): [string, string[]] => ['taskset', ['-c', '1', ...argv]];

function track(child: ChildProcess): ChildProcess {
  spawned.add(child);
  child.once('exit', () => spawned.delete(child));
  return child;
}

/** The first line of `child`'s stdout that `pick` maps to a value, within `timeoutMs`. */
function firstLine<T>(child: ChildProcess, pick: (line: string) => T | undefined, timeoutMs: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: child.stdout! });
    const timer = setTimeout(() => done(undefined), timeoutMs);
    const done = (v: T | undefined) => {
      clearTimeout(timer);
      rl.removeAllListeners('line');
      resolve(v);
    };
    rl.on('line', (line) => {
      const v = pick(line);
      if (v !== undefined) done(v);
    });
    child.once('exit', () => done(undefined));
  });
}

async function startApp(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const [cmd, args] = pinned([process.execPath, 'app.js']);
  const child = track(spawn(cmd, args, { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: 'ignore' }));
  return { child, url: `http://127.0.0.1:${port}/` };
}

/** One measured run of a configuration; the processes it starts are stopped before it returns. */
async function runConfig(config: Config, dir: string, cli: string, sec: number, baselineCli?: string): Promise<Omit<Run, 'round'> | undefined> {
  const children: ChildProcess[] = [];
  try {
    let url: string | undefined;
    let proxyPids: number[] = [];
    let appPids: () => number[];
    if (config === 'app') {
      const app = await startApp(dir);
      children.push(app.child);
      url = app.url;
      appPids = () => [app.child.pid!];
    } else if (config === 'front' || config === 'front-baseline') {
      const [cmd, args] = pinned([process.execPath, ...MASTER_NODE_FLAGS, config === 'front' ? cli : baselineCli!, 'serve', 'app.js', '--port', '0', '--workers', '1', '--no-watch', '--json']);
      const master = track(spawn(cmd, args, { cwd: dir, env: masterEnv(process.env), stdio: ['ignore', 'pipe', 'ignore'] }));
      children.push(master);
      url = await firstLine(
        master,
        (line) => {
          try {
            const e = JSON.parse(line);
            return e.kind === 'listening' ? `http://127.0.0.1:${new URL(e.url).port}/` : undefined;
          } catch {
            return undefined;
          }
        },
        20_000,
      );
      // taskset execs node: the pid is the master's. Its children: the worker (and an idle standby).
      proxyPids = [master.pid!];
      appPids = () => processTree([master.pid!]).filter((pid) => pid !== master.pid);
    } else {
      const app = await startApp(dir);
      children.push(app.child);
      if (!(await waitServing(app.url, 1, 10_000))) throw new Error('the app did not serve');
      const flags = config === 'undici' ? MASTER_NODE_FLAGS : [];
      const [cmd, args] = pinned([process.execPath, ...flags, '--import', 'tsx', PROXY, '--upstream', new URL(app.url).port, '--port', '0']);
      const proxy = track(spawn(cmd, args, { cwd: REPO, env: config === 'undici' ? masterEnv(process.env) : process.env, stdio: ['ignore', 'pipe', 'inherit'] }));
      children.push(proxy);
      const port = await firstLine(proxy, (line) => (/^\d+$/.test(line.trim()) ? line.trim() : undefined), 20_000);
      url = port ? `http://127.0.0.1:${port}/` : undefined;
      proxyPids = [proxy.pid!];
      appPids = () => [app.child.pid!];
    }
    if (!url || !(await waitServing(url, 1, 20_000))) throw new Error(`${config} did not serve`);
    // Warm-up, not measured: JIT (and undici's Wasm parser) take thousands of requests to settle, so
    // 2 s runs until WARMUP_REQUESTS went through (at most 5 runs). A cold process costs several
    // times more CPU per request, and on a loaded machine 2 s alone may not get past that.
    for (let i = 0, n = 0; i < 5 && n < WARMUP_REQUESTS; i++) n += (await runWorker({ mode: 'load', url, durationSec: 2, connections: CONNECTIONS, keepAlive: true }, 0)).result.requests;
    const proxyCpu: number[] = [];
    const appCpu: number[] = [];
    const groups: [number[], number[]][] = [[appPids(), appCpu]];
    if (proxyPids.length) groups.push([proxyPids, proxyCpu]);
    const reqPerSec = await measuredLoad(url, groups, sec, 0);
    return { reqPerSec: Math.round(reqPerSec), proxyUs: proxyCpu[0] ?? null, appUs: appCpu[0] ?? null };
  } catch (err) {
    log(`  ${config}: ${(err as Error).message}`);
    return undefined;
  } finally {
    for (const c of children.reverse()) await stopChild(c);
    await killLeftovers(dir, config);
  }
}

/**
 * Our front as committed at `commit` (`worktree`: this checkout's files as they are now, tracked and
 * untracked, for a commit that does not build alone): the tree copied and built in a temp folder.
 */
function buildAt(commit: string, root: string): { cli: string; commit: string } {
  const worktree = commit === 'worktree';
  const git = (...args: string[]) => spawnSync('git', args, { cwd: REPO, encoding: 'utf8' }).stdout.trim();
  const sha = git('rev-parse', worktree ? 'HEAD' : commit);
  if (!sha) throw new Error(`no commit ${commit}`);
  const tree = path.join(root, `tree-${sha.slice(0, 7)}`);
  fs.mkdirSync(tree, { recursive: true });
  const copy = worktree ? `git ls-files -z -co --exclude-standard | tar --null -T - -c | tar -x -C "${tree}"` : `git archive ${sha} | tar -x -C "${tree}"`;
  const tar = spawnSync('bash', ['-c', `cd "${REPO}" && ${copy}`], { stdio: 'inherit' });
  if (tar.status !== 0) throw new Error(`copying the tree failed`);
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(tree, 'node_modules'));
  const b = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: tree, stdio: 'inherit', timeout: 120_000 });
  if (b.status !== 0) throw new Error(`build of ${sha} failed`);
  const front = worktree ? git('status', '--porcelain', 'server/front') : '';
  const label = worktree ? `the working tree at ${sha} (server/front ${front ? 'has uncommitted changes' : `as committed in ${git('log', '-1', '--format=%h', '--', 'server/front')}`})` : sha;
  return { cli: path.join(tree, 'dist', 'cli.js'), commit: label };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const rounds = Math.min(10, Math.max(1, Number(arg('--rounds') ?? 4)));
  const sec = Math.min(30, Math.max(1, Number(arg('--sec') ?? 5)));
  if (os.cpus().length < 2 || spawnSync('taskset', ['-c', '0', 'true']).status !== 0) throw new Error('needs 2 CPUs and taskset');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'srpa-'));
  process.once('SIGINT', () => {
    for (const c of spawned) c.kill('SIGKILL');
    process.exit(130);
  });
  const at = arg('--at');
  const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).stdout.trim();
  const frontDirty = spawnSync('git', ['status', '--porcelain', 'server/front'], { cwd: REPO, encoding: 'utf8' }).stdout.trim();
  const runs: Record<Config, Run[]> = { app: [], front: [], 'front-baseline': [], undici: [], 'undici-default': [] };
  const baselineAt = arg('--baseline');
  if (baselineAt) CONFIGS.push('front-baseline');
  const only = arg('--only')?.split(',');
  if (only) CONFIGS = CONFIGS.filter((c) => only.includes(c));
  let baseline: { cli: string; commit: string } | undefined;
  const loadAverage: number[][] = [os.loadavg()];
  let built: { cli: string; commit: string };
  try {
    built = at ? buildAt(at, root) : { cli: CLI, commit: `${head} (this checkout's dist/, built ${fs.statSync(CLI).mtime.toISOString()}${frontDirty ? '; server/front has uncommitted changes' : ''})` };
    if (baselineAt) baseline = buildAt(baselineAt, root);
    log(`proxy alternatives: front from ${built.commit}${baseline ? `, front-baseline from ${baseline.commit}` : ''}; node ${process.version}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    const dir = path.join(root, 'app');
    fs.mkdirSync(dir, { recursive: true });
    writeVersion(dir, 1);
    for (let r = 0; r < rounds; r++) {
      const order = CONFIGS.map((_, i) => CONFIGS[(i + r) % CONFIGS.length]);
      for (const config of order) {
        const run = await runConfig(config, dir, built.cli, sec, baseline?.cli);
        if (run) runs[config].push({ ...run, round: r });
        log(`  round ${r + 1} ${config}: ${run ? `${run.reqPerSec} req/s, proxy ${run.proxyUs ?? '–'} µs + app ${run.appUs} µs per request` : 'failed'}`);
      }
      loadAverage.push(os.loadavg());
    }
  } finally {
    for (const c of spawned) c.kill('SIGKILL');
    await killLeftovers(root, 'the proxy-alternatives bench');
    fs.rmSync(root, { recursive: true, force: true });
  }
  const appAlone = { rps: median(runs.app.map((r) => r.reqPerSec)), us: median(runs.app.map((r) => r.appUs)) };
  const rows = CONFIGS.map((config) => {
    const rs = runs[config];
    const rps = median(rs.map((r) => r.reqPerSec));
    const proxyUs = config === 'app' ? null : median(rs.map((r) => r.proxyUs));
    const appUs = median(rs.map((r) => r.appUs));
    const total = (proxyUs ?? 0) + (appUs ?? 0);
    return {
      config,
      runs: rs.length,
      reqPerSec: rs.map((r) => r.reqPerSec),
      reqPerSecMedian: rps,
      ratio: round(ratio(rps, appAlone.rps), 3),
      proxyUsPerRequest: proxyUs,
      proxyUsRuns: rs.map((r) => r.proxyUs),
      appUsPerRequest: appUs,
      cpuRatio: round(ratio(appAlone.us, total), 3),
    };
  });
  // Paired by round (the machine's load moves every configuration of a round alike): the front's
  // proxy CPU per request ÷ the undici proxy's.
  const pairedWith = (other: Config) =>
    runs.front.flatMap((f) => {
      const u = runs[other].find((x) => x.round === f.round);
      return f.proxyUs && u?.proxyUs ? [round(f.proxyUs / u.proxyUs, 2)!] : [];
    });
  const paired = pairedWith('undici');
  const pairedBaseline = pairedWith('front-baseline');
  const la = loadAverage.map((l) => l[0].toFixed(2));
  const lines = [
    `Front from ${built!.commit}; Node ${process.version}; ${rounds} rounds × ${sec} s, ${CONNECTIONS} keep-alive connections; load on CPU 0, app side on CPU 1; 1-min load average per round: ${la.join(', ')}.`,
    '',
    '| configuration | req/s (each round) | req/s ratio to app alone | proxy CPU µs/req (median; each round) | app or worker CPU µs/req | CPU ratio (app alone ÷ proxy + app) |',
    '|---|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.config} | ${r.reqPerSec.join(', ')} | ${r.ratio ?? '–'} | ${r.proxyUsPerRequest ?? '–'}${r.config === 'app' ? '' : ` (${r.proxyUsRuns.join(', ')})`} | ${r.appUsPerRequest ?? '–'} | ${r.cpuRatio ?? '–'} |`,
    ),
    '',
    `Front ÷ undici proxy CPU per request, round by round: ${paired.join(', ') || '–'} (median ${median(paired) ?? '–'}).`,
    ...(baseline ? [`Front ÷ front-baseline (${baseline.commit}) CPU per request, round by round: ${pairedBaseline.join(', ') || '–'} (median ${median(pairedBaseline) ?? '–'}).`] : []),
  ];
  process.stdout.write('\n' + lines.join('\n') + '\n\n');
  const out = path.join(REPO, 'bench', 'results', 'proxy-alternatives.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), front: built!.commit, baseline: baseline?.commit, node: process.version, rounds, sec, loadAverage, rows, pairedFrontToUndici: paired, pairedFrontToBaseline: pairedBaseline, runs }, null, 2) + '\n');
  log(`wrote ${path.relative(REPO, out)}`);
}

main().catch((err) => {
  for (const c of spawned) c.kill('SIGKILL');
  log(`proxy-alternatives failed: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
});
