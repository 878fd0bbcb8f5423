/**
 * `npx tsx bench/watch-latency.ts`: the project watcher alone, in this process, on the issue-19
 * tree (bench/big-tree.ts): the folder watcher against chokidar (what the master used before),
 * one after the other on the same tree. Start (the walk until ready), RSS added, inotify watches,
 * and write → batch handed over (the watcher's part of save → new code; the debounce is 80 ms),
 * for in-place and atomic saves.
 *
 *   npx tsx bench/watch-latency.ts [--files 20000] [--folders 400] [--deps 100000] [--saves 10]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median } from './analysis';
import { inotifyWatches, makeTree } from './big-tree';
import { Logger } from '../server/logger';
import { ProjectWatcher } from '../server/watch/watcher';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(dir: string, mechanism: 'folders' | 'chokidar', saves: number): Promise<string> {
  let handed: ((at: number) => void) | undefined;
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const watches0 = inotifyWatches([process.pid]);
  const t0 = performance.now();
  const watcher = new ProjectWatcher(
    { cwd: dir, paths: ['.'], ignore: [], staticDirs: [], restartOn: [], debounceMs: 80, usePolling: false, mechanism },
    () => handed?.(performance.now()),
    () => undefined,
    new Logger('error'),
  );
  await watcher.start();
  const startMs = Math.round(performance.now() - t0);
  await sleep(500);
  global.gc?.();
  const rssMB = Math.round((process.memoryUsage().rss - rss0) / 1e5) / 10;
  const watches = inotifyWatches([process.pid]) - watches0;
  const lat: Record<'inPlace' | 'atomic', number[]> = { inPlace: [], atomic: [] };
  const file = path.join(dir, 'app.js');
  for (let i = 0; i < 2 * saves; i++) {
    await sleep(200);
    const got = new Promise<number>((resolve) => (handed = resolve));
    const t = performance.now();
    if (i % 2) {
      fs.writeFileSync(`${file}.tmp`, `v${i}`);
      fs.renameSync(`${file}.tmp`, file);
    } else fs.writeFileSync(file, `v${i}`);
    lat[i % 2 ? 'atomic' : 'inPlace'].push((await got) - t);
  }
  await watcher.close();
  const med = (xs: number[]) => `${Math.round(median(xs) ?? 0)} ms (${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))})`;
  return `| ${mechanism} | ${startMs} ms | ${rssMB} MB | ${watches} | ${med(lat.inPlace)} | ${med(lat.atomic)} |`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string, dflt: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srb-watch-'));
  try {
    makeTree(dir, { files: Number(arg('--files', '20000')), folders: Number(arg('--folders', '400')), depsFiles: Number(arg('--deps', '100000')), depsFolders: 2000 });
    fs.writeFileSync(path.join(dir, 'app.js'), 'v0');
    const rows = [];
    for (const m of ['folders', 'chokidar'] as const) rows.push(await measure(dir, m, Number(arg('--saves', '10'))));
    process.stdout.write(
      ['', `node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`, '', '| watcher | start (walk → ready) | RSS added | inotify watches | write → batch, in place (median, range) | atomic save |', '|---|---:|---:|---:|---:|---:|', ...rows, ''].join('\n'),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
