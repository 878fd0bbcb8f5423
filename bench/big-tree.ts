/**
 * `npx tsx bench/big-tree.ts`: a big project (issue 19) next to nodemon and `node --watch`, in one
 * run: 20,000 source files in 400 folders plus a node_modules of 100,000 files (not watched).
 * For each tool: start time (spawn → the URL printed, and → the first 200), idle RSS, inotify
 * watches (counted from /proc/<pid>/fdinfo of the inotify fds of its process tree) and save → new
 * code (in place, and an atomic save: a temp file renamed over app.js).
 *
 *   npx tsx bench/big-tree.ts [--files 20000] [--folders 400] [--deps 100000] [--saves 3] [--rounds 1]
 *                             [--tools sr,nodemon,node-watch] [--cli dist/cli.js] [--json out.json]
 *                             [--baseline-cli <another build's cli.js> --baseline-label <what it is>]   (adds "sr-before")
 *                             [--no-reference]   (no row for our master on a project of app.js alone)
 *
 * The tree lives in a temp folder deleted at the end; nodemon comes from the bench's peer cache
 * (installed there the way `npm run bench` does it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { median } from './analysis';
import { freePort } from './run';
import { processTree, processesUnder, rssBytes } from './procs';
import { MASTER_NODE_FLAGS, masterEnv } from '../server/node-flags';

const REPO = path.resolve(__dirname, '..');
const APP = path.join(__dirname, 'app', 'app.js');
/** The same nodemon the main bench installs (bench/run.ts PEERS). */
const NODEMON = 'nodemon@3.1.14';

export interface TreeShape {
  files: number;
  folders: number;
  depsFiles: number;
  depsFolders: number;
}

/**
 * Source folders two levels deep (about √folders top folders with their subfolders), files spread
 * round-robin over them, and node_modules packages of `depsFiles / depsFolders` files each.
 * Returns the source folders (the root included), which a watcher of this tree should watch.
 */
export function makeTree(dir: string, shape: TreeShape): string[] {
  const top = Math.max(1, Math.round(Math.sqrt(shape.folders)));
  const folders: string[] = [];
  for (let i = 0; folders.length < shape.folders; i++) {
    const t = path.join(dir, 'src', `m${i % top}`);
    if (i < top) folders.push(t);
    else folders.push(path.join(t, `s${Math.floor(i / top) - 1}`));
  }
  for (const f of folders) fs.mkdirSync(f, { recursive: true });
  for (let i = 0; i < shape.files; i++) fs.writeFileSync(path.join(folders[i % folders.length], `f${i}.js`), `module.exports = ${i};\n`);
  const per = Math.ceil(shape.depsFiles / Math.max(1, shape.depsFolders));
  for (let p = 0, n = 0; n < shape.depsFiles; p++) {
    const pkg = path.join(dir, 'node_modules', `pkg${p}`, 'lib');
    fs.mkdirSync(pkg, { recursive: true });
    for (let i = 0; i < per && n < shape.depsFiles; i++, n++) fs.writeFileSync(path.join(pkg, `x${i}.js`), `module.exports = ${n};\n`);
  }
  return [dir, path.join(dir, 'src'), ...folders];
}

/** Inotify watches held by these processes: the `inotify wd:` lines of their inotify fds' fdinfo. */
export function inotifyWatches(pids: readonly number[]): number {
  let n = 0;
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:inotify') continue;
        n += (fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8').match(/^inotify wd:/gm) ?? []).length;
      } catch {
        // Closed meanwhile.
      }
    }
  }
  return n;
}

// ---------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const log = (s: string) => process.stderr.write(s + '\n');


function version(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 ? Number(/^v(\d+)/.exec(body)?.[1]) || undefined : undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** Poll (bounded) until the URL serves `v` or newer; the time it did, or undefined. */
async function until(url: string, v: number, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const got = await version(url);
    if (got !== undefined && got >= v) return Date.now();
    await sleep(5);
  }
  return undefined;
}

function appSource(v: number): string {
  return fs.readFileSync(APP, 'utf8').replace(/const VERSION = \d+;/, `const VERSION = ${v};`);
}

interface Started {
  child: ChildProcess;
  url: string;
  /** When the tool printed its URL (ours), else undefined. */
  urlAt?: number;
  /** The process whose watches and RSS are "the watcher's" (our master; the tool itself for peers). */
  main: number;
}

interface ToolDef {
  id: string;
  label: string;
  start(dir: string, peers: string, output: string[]): Promise<Started>;
}

function smoothReload(id: string, label: string, cli: string): ToolDef {
  return {
    id,
    label,
    async start(dir, _peers, output) {
      const args = [...MASTER_NODE_FLAGS, cli, 'serve', 'app.js', '--port', '0', '--workers', '2', '--json'];
      const child = spawn(process.execPath, args, { cwd: dir, env: masterEnv(process.env), stdio: ['ignore', 'pipe', 'pipe'] });
      child.stderr!.on('data', (d) => output.push(String(d)));
      const url = await new Promise<{ url: string; at: number }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no URL within 60 s')), 60_000);
        readline.createInterface({ input: child.stdout! }).on('line', (line) => {
          output.push(line);
          try {
            const e = JSON.parse(line);
            if (e.kind === 'listening') {
              clearTimeout(timer);
              resolve({ url: `http://127.0.0.1:${new URL(e.url).port}/`, at: Date.now() });
            }
          } catch {
            // Not an event.
          }
        });
        child.once('exit', () => reject(new Error(`the master exited:\n${output.join('\n')}`)));
      });
      return { child, url: url.url, urlAt: url.at, main: child.pid! };
    },
  };
}

/** `baselineCli`: another build of the CLI (e.g. the commit before a change), run as "sr-before". */
function tools(cli: string, baselineCli: string | undefined, baselineLabel: string): ToolDef[] {
  return [
    smoothReload('sr', 'Smooth Reload (serve, 2 workers)', cli),
    ...(baselineCli ? [smoothReload('sr-before', `Smooth Reload, ${baselineLabel}`, baselineCli)] : []),
    {
      id: 'nodemon',
      label: 'nodemon',
      async start(dir, peers, output) {
        const port = await freePort();
        const child = spawn(process.execPath, [path.join(peers, 'nodemon', 'bin', 'nodemon.js'), '-I', 'app.js'], { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout!.on('data', (d) => output.push(String(d)));
        child.stderr!.on('data', (d) => output.push(String(d)));
        return { child, url: `http://127.0.0.1:${port}/`, main: child.pid! };
      },
    },
    {
      id: 'node-watch',
      label: 'node --watch',
      async start(dir, _peers, output) {
        const port = await freePort();
        const child = spawn(process.execPath, ['--watch', 'app.js'], { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout!.on('data', (d) => output.push(String(d)));
        child.stderr!.on('data', (d) => output.push(String(d)));
        return { child, url: `http://127.0.0.1:${port}/`, main: child.pid! };
      },
    },
  ];
}

interface Result {
  id: string;
  label: string;
  urlMs: number | null;
  firstResponseMs: number | null;
  idleRssMB: number;
  idleTreeRssMB: number;
  watches: number;
  /** Spawn → the inotify watch count stopped changing. */
  watchesDoneMs: number | null;
  watchesPerFolder: number;
  /** Source folders of the project it ran on. */
  folders: number;
  saveInPlaceMs: (number | null)[];
  saveAtomicMs: (number | null)[];
  error?: string;
}

function ensureNodemon(): string {
  const cache = process.env.SMOOTH_RELOAD_BENCH_CACHE || path.join(os.homedir(), '.cache', 'smooth-reload', 'bench-peers');
  const want = NODEMON.split('@')[1];
  let have: string | undefined;
  try {
    have = JSON.parse(fs.readFileSync(path.join(cache, 'node_modules', 'nodemon', 'package.json'), 'utf8')).version;
  } catch {
    // Not installed yet.
  }
  if (have !== want) {
    fs.mkdirSync(cache, { recursive: true });
    log(`installing ${NODEMON} into ${cache}`);
    const r = spawnSync('npm', ['install', '--prefix', cache, '--no-audit', '--no-fund', '--save-exact', NODEMON], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 300_000 });
    if (r.status !== 0) throw new Error(`npm install of ${NODEMON} failed (exit ${r.status})`);
  }
  return path.join(cache, 'node_modules');
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
  await exited;
  clearTimeout(timer);
}

async function runTool(tool: ToolDef, dir: string, peers: string, folders: number, saves: number): Promise<Result> {
  const r: Result = { id: tool.id, label: tool.label, urlMs: null, firstResponseMs: null, idleRssMB: 0, idleTreeRssMB: 0, watches: 0, watchesDoneMs: null, watchesPerFolder: 0, folders, saveInPlaceMs: [], saveAtomicMs: [] };
  const output: string[] = [];
  let v = 1;
  fs.writeFileSync(path.join(dir, 'app.js'), appSource(v));
  let started: Started | undefined;
  const t0 = Date.now();
  try {
    started = await tool.start(dir, peers, output);
    const s = started;
    if (s.urlAt) r.urlMs = s.urlAt - t0;
    const first = await until(s.url, v, 60_000);
    if (first === undefined) throw new Error(`not serving within 60 s:\n${output.join('').slice(-2000)}`);
    r.firstResponseMs = first - t0;
    // Idle: a watcher may go on adding watches after the app serves (chokidar reads the tree
    // asynchronously, and under load it may pause for seconds): wait until the count held still
    // for 5 s (at most 120 s), then let start-up
    // garbage settle and take the highest of a few samples.
    let last = -1;
    let stableSince = Date.now();
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(250)) {
      const n = inotifyWatches(processTree([s.child.pid!]));
      if (n !== last) [last, stableSince] = [n, Date.now()];
      else if (Date.now() - stableSince >= 5000) break;
    }
    r.watchesDoneMs = stableSince - t0;
    await sleep(2000);
    for (let i = 0; i < 5; i++) {
      r.idleRssMB = Math.max(r.idleRssMB, mb(rssBytes(s.main)));
      r.idleTreeRssMB = Math.max(r.idleTreeRssMB, mb(processTree([s.child.pid!]).reduce((sum, pid) => sum + rssBytes(pid), 0)));
      await sleep(200);
    }
    r.watches = inotifyWatches(processTree([s.child.pid!]));
    r.watchesPerFolder = Math.round((r.watches / folders) * 100) / 100;
    for (const atomic of [false, true]) {
      for (let i = 0; i < saves; i++) {
        await sleep(1500);
        const next = ++v;
        const file = path.join(dir, 'app.js');
        const savedAt = Date.now();
        if (atomic) {
          const tmp = path.join(dir, `.app.js.${process.pid}.tmp`);
          fs.writeFileSync(tmp, appSource(next));
          fs.renameSync(tmp, file);
        } else fs.writeFileSync(file, appSource(next));
        const at = await until(s.url, next, 10_000);
        (atomic ? r.saveAtomicMs : r.saveInPlaceMs).push(at === undefined ? null : at - savedAt);
        if (at === undefined) {
          // nodemon/node --watch may miss a save made while restarting: resync before the next.
          await until(s.url, next, 5_000);
        }
      }
    }
  } catch (err) {
    r.error = String((err as Error).message ?? err);
    log(`  ${tool.id} FAILED: ${r.error}`);
  } finally {
    if (started) await stop(started.child);
    for (let i = 0; i < 40 && processesUnder(dir).length; i++) await sleep(50);
    for (const p of processesUnder(dir)) {
      log(`  leftover after ${tool.id}: pid ${p.pid} ${p.cmdline.slice(0, 100)}; killing it`);
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // Gone.
      }
    }
  }
  const fmt = (xs: (number | null)[]) => xs.map((x) => (x === null ? 'missed' : `${x}`)).join(', ');
  log(
    `  ${tool.label}: URL ${r.urlMs ?? '–'} ms, first 200 ${r.firstResponseMs} ms, watches done ${r.watchesDoneMs} ms, idle RSS ${r.idleRssMB} MB (tree ${r.idleTreeRssMB} MB), ` +
      `${r.watches} inotify watches (${r.watchesPerFolder} per source folder), save → new code ${fmt(r.saveInPlaceMs)} ms in place, ${fmt(r.saveAtomicMs)} ms atomic`,
  );
  return r;
}

/** One row per tool: medians over its rounds (the machine is shared: rounds alternate the tools). */
export function table(results: Result[]): string {
  const ms = (xs: (number | null)[]) => {
    const ok = xs.filter((x): x is number => x !== null);
    const m = median(ok);
    return m === null ? '–' : `${Math.round(m)} ms${ok.length < xs.length ? ` (${xs.length - ok.length} missed)` : ''}`;
  };
  const lines = [
    `| tool | spawn → URL printed | spawn → first 200 | spawn → all watches held | idle RSS: watcher process / whole tree | inotify watches (per source folder) | save → new code, in place | atomic save |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const id of [...new Set(results.map((r) => r.id))]) {
    const all = results.filter((r) => r.id === id);
    const rs = all.filter((r) => r.firstResponseMs !== null);
    const label = `${all[0].label}${all.length > 1 ? ` (${rs.length} of ${all.length} runs)` : ''}`;
    if (!rs.length) {
      lines.push(`| ${label} | error: ${(all[0].error ?? '').split('\n')[0]} | | | | | | |`);
      continue;
    }
    const mb1 = (xs: number[]) => Math.round((median(xs) ?? 0) * 10) / 10;
    const last = rs[rs.length - 1];
    lines.push(
      `| ${label} | ${rs[0].urlMs === null ? 'n/a' : ms(rs.map((r) => r.urlMs))} | ${ms(rs.map((r) => r.firstResponseMs))} | ${ms(rs.map((r) => r.watchesDoneMs))} | ${mb1(rs.map((r) => r.idleRssMB))} / ${mb1(rs.map((r) => r.idleTreeRssMB))} MB | ${last.watches} (${last.watchesPerFolder} × ${last.folders}) | ${ms(rs.flatMap((r) => r.saveInPlaceMs))} | ${ms(rs.flatMap((r) => r.saveAtomicMs))} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string, dflt: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : dflt;
  };
  const shape: TreeShape = { files: Number(arg('--files', '20000')), folders: Number(arg('--folders', '400')), depsFiles: Number(arg('--deps', '100000')), depsFolders: Number(arg('--dep-folders', '2000')) };
  const saves = Number(arg('--saves', '3'));
  const rounds = Number(arg('--rounds', '1'));
  const only = arg('--tools', 'sr,nodemon,node-watch').split(',');
  const cli = path.resolve(arg('--cli', path.join(REPO, 'dist', 'cli.js')));
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first`);
  const baselineCli = arg('--baseline-cli', '') ? path.resolve(arg('--baseline-cli', '')) : undefined;
  if (baselineCli && !only.includes('sr-before')) only.push('sr-before');
  const peers = only.includes('nodemon') ? ensureNodemon() : '';
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'srb-tree-'));
  const interrupted = () => {
    for (const p of [...processesUnder(root), ...processesUnder(`${root}-reference`)]) process.kill(p.pid, 'SIGKILL');
    fs.rmSync(`${root}-reference`, { recursive: true, force: true });
    fs.rmSync(root, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  const results: Result[] = [];
  try {
    const made = Date.now();
    const sourceFolders = makeTree(root, shape).length;
    log(`big tree: ${shape.files} files in ${sourceFolders} source folders, node_modules ${shape.depsFiles} files, made in ${Date.now() - made} ms; node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    // The master keeps its state in the project: one tool at a time, the same tree for all.
    const defs = tools(cli, baselineCli, arg('--baseline-label', 'baseline build'));
    const small = `${root}-reference`;
    if (!argv.includes('--no-reference')) fs.mkdirSync(small);
    try {
      for (let round = 1; round <= rounds; round++) {
        if (rounds > 1) log(`round ${round} of ${rounds}:`);
        for (const tool of defs) if (only.includes(tool.id)) results.push(await runTool(tool, root, peers, sourceFolders, saves));
        // The same master on a project of app.js alone, in the same run: what start-up costs without a tree.
        if (!argv.includes('--no-reference')) results.push(await runTool({ ...defs[0], id: 'sr-reference', label: 'Smooth Reload on app.js alone (reference)' }, small, peers, 1, saves));
      }
    } finally {
      fs.rmSync(small, { recursive: true, force: true });
    }
    const out = table(results);
    process.stdout.write('\n' + out + '\n');
    const json = arg('--json', '');
    if (json) fs.writeFileSync(json, JSON.stringify({ date: new Date().toISOString(), node: process.version, shape, sourceFolders, results }, null, 2) + '\n');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err) => {
    log(`big-tree bench failed: ${(err as Error).stack ?? err}`);
    process.exitCode = 1;
  });
}
