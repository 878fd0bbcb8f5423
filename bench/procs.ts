/**
 * Process look-ups for the bench (through server/procs, so they run wherever the master does),
 * and, run directly, what each look-up costs on each back end:
 *   npx tsx bench/procs.ts [--calls 200]
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { cpuMs as procCpuMs, descendants, portableBackend, procfsBackend, processReader, processesWithCwd, rssBytes as procRssBytes } from '../server/procs';

/** The roots and all their descendants that are alive now. */
export function processTree(roots: readonly number[]): number[] {
  const all = new Set<number>();
  for (const root of roots) {
    if (procRssBytes(root) === undefined) continue;
    all.add(root);
    for (const pid of descendants(root).pids) all.add(pid);
  }
  return [...all];
}

/** CPU time a process has used so far, user + system, in ms (0 when gone). */
export function cpuMs(pid: number): number {
  return procCpuMs(pid) ?? 0;
}

/** Resident set size of one process in bytes (0 when gone or a zombie). */
export function rssBytes(pid: number): number {
  return procRssBytes(pid) ?? 0;
}

/**
 * Samples every `everyMs` the RSS sum of the process trees under `roots()` (roots may change, e.g.
 * pm2's daemon appears after the first command) and, separately, of `focus()` alone (our master).
 */
export class RssSampler {
  peakTreeBytes = 0;
  peakFocusBytes = 0;
  peakProcesses = 0;
  samples = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly roots: () => number[],
    private readonly focus: () => number | undefined = () => undefined,
    private readonly everyMs = 100,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  sample(): void {
    const tree = processTree(this.roots());
    let sum = 0;
    for (const pid of tree) sum += rssBytes(pid);
    this.samples++;
    this.peakTreeBytes = Math.max(this.peakTreeBytes, sum);
    this.peakProcesses = Math.max(this.peakProcesses, tree.length);
    const f = this.focus();
    if (f !== undefined) this.peakFocusBytes = Math.max(this.peakFocusBytes, rssBytes(f));
  }
}

/** Processes (not zombies) whose command line or working directory is inside `root`. */
export function processesUnder(root: string): { pid: number; cmdline: string }[] {
  return processesWithCwd()
    .filter((p) => p.cwd.startsWith(root) || p.cmdline.includes(root))
    .map(({ pid, cmdline }) => ({ pid, cmdline }));
}

/** A shell with two children, one of them listening on a TCP port: a small command worker. */
async function sampleTree(): Promise<{ pid: number; port: number; stop: () => void }> {
  const script = `require('net').createServer().listen(0, '127.0.0.1', function () { console.log(this.address().port); }); setInterval(() => {}, 1000);`;
  const child = spawn('/bin/sh', ['-c', `sleep 600 & exec node -e "${script}"`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
  return { pid: child.pid!, port, stop: () => [child.pid!, ...descendants(child.pid!).pids].forEach((p) => process.kill(p, 'SIGKILL')) };
}

async function main(): Promise<void> {
  const calls = Number(process.argv[process.argv.indexOf('--calls') + 1]) || 200;
  const tree = await sampleTree();
  // Without /proc (macOS) only the portable back end has anything to measure.
  const backends = fs.existsSync('/proc/self/stat') ? [procfsBackend, portableBackend] : [portableBackend];
  const rows: string[][] = [];
  const questions: [string, (r: ReturnType<typeof processReader>) => unknown][] = [
    ['processInfo(pid)', (r) => r.processInfo(tree.pid)],
    ['childrenOf(pid)', (r) => r.childrenOf(tree.pid)],
    ['descendants(pid)', (r) => r.descendants(tree.pid)],
    ['rssBytes(pid)', (r) => r.rssBytes(tree.pid)],
    ['treeRssBytes(pid)', (r) => r.treeRssBytes(tree.pid)],
    ['listeningPorts(pid)', (r) => r.listeningPorts(tree.pid)],
    ['portHolder(port)', (r) => r.portHolder(tree.port)],
    ['processesWithCwd()', (r) => r.processesWithCwd()],
  ];
  for (const [name, ask] of questions) {
    const row = [name];
    for (const backend of backends) {
      const reader = processReader(backend);
      const n = name === 'processesWithCwd()' ? Math.ceil(calls / 10) : calls;
      const t0 = process.hrtime.bigint();
      // One call per macrotask, so the portable back end's per-run ps table is not reused.
      for (let i = 0; i < n; i++) {
        ask(reader);
        await new Promise((r) => setImmediate(r));
      }
      row.push(`${(Number(process.hrtime.bigint() - t0) / 1e6 / n).toFixed(2)} ms`);
    }
    rows.push(row);
  }
  tree.stop();
  process.stdout.write(`cost per call, ${calls} calls each (${portableBackend.table().length} processes on this machine):\n`);
  const head = ['question', ...backends.map((b) => (b.name === 'procfs' ? '/proc' : 'ps + lsof'))];
  process.stdout.write([head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n') + '\n');
}

if (require.main === module) void main();
