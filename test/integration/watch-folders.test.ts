/**
 * The project watcher on a generated tree of 2,000 files in 100 folders plus a node_modules of
 * 2,000 files: it costs a watch per folder, not per file (counted from this process's inotify
 * fdinfo), and still sees what matters: a file in a folder created after the start, an editor's
 * atomic save (temp file renamed over the file) exactly once, removals, and, in polling mode,
 * saves with no inotify watch at all.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inotifyWatches, makeTree } from '../../bench/big-tree';
import { Logger } from '../../server/logger';
import type { ChangeBatch } from '../../server/watch/classify';
import { ProjectWatcher, watchMechanism } from '../../server/watch/watcher';
import { waitFor } from '../helpers/processes';
import { TEST_ROOT } from '../helpers/project';

const all = (b: ChangeBatch) => [...b.code, ...b.css, ...b.asset, ...b.restart, ...b.config];

function start(dir: string, usePolling = false) {
  const batches: ChangeBatch[] = [];
  const findings: unknown[] = [];
  const watcher = new ProjectWatcher(
    { cwd: dir, paths: ['.'], ignore: [], staticDirs: [], restartOn: [], debounceMs: 50, usePolling },
    (b) => batches.push(b),
    (f) => findings.push(f),
    new Logger('error'),
  );
  return { watcher, batches, findings, ready: watcher.start() };
}

const firstFile = (folder: string) => path.join(folder, fs.readdirSync(folder).find((n) => n.endsWith('.js'))!);

/** Write a sentinel file and wait for its batch: every event before it has been handed over. */
async function barrier(dir: string, batches: ChangeBatch[], n: number): Promise<void> {
  const file = path.join(dir, `sentinel-${n}.js`);
  fs.writeFileSync(file, String(n));
  await waitFor(`the sentinel ${n}`, () => batches.some((b) => all(b).includes(file)), 10_000);
}

describe('watching a big tree costs per folder', function () {
  this.timeout(120_000);
  if (process.platform !== 'linux') return;

  let dir: string;
  let folders: string[];
  let w: ReturnType<typeof start>;
  let baseline: number;

  before(async () => {
    dir = path.join(TEST_ROOT, 'big-tree');
    folders = makeTree(dir, { files: 2000, folders: 100, depsFiles: 2000, depsFolders: 40 });
    baseline = inotifyWatches([process.pid]);
    w = start(dir);
    await w.ready;
  });

  after(async () => {
    await w?.watcher.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('uses the folder watcher on Linux, chokidar for polling', () => {
    assert.equal(watchMechanism({ usePolling: false }, 'linux'), 'folders');
    assert.equal(watchMechanism({ usePolling: true }, 'linux'), 'chokidar');
    assert.equal(watchMechanism({ usePolling: false }, 'darwin'), 'chokidar');
  });

  it('holds at most 2 inotify watches per watched folder, none for files or node_modules', () => {
    const used = inotifyWatches([process.pid]) - baseline;
    assert.equal(folders.length, 102);
    assert.ok(used >= folders.length, `${used} watches for ${folders.length} folders: some folder is not watched`);
    assert.ok(used <= 2 * folders.length, `${used} watches for ${folders.length} folders and 2,000 files`);
    assert.equal(w.watcher.watchCount, used);
  });

  it('sees a change deep in the tree, not one in node_modules', async () => {
    const file = path.join(folders.at(-1)!, 'f1999.js');
    fs.appendFileSync(file, '// edited\n');
    fs.appendFileSync(path.join(dir, 'node_modules', 'pkg3', 'lib', 'x1.js'), '// edited\n');
    await barrier(dir, w.batches, 1);
    const seen = w.batches.flatMap(all);
    assert.equal(seen.filter((f) => f === file).length, 1);
    assert.deepEqual(seen.filter((f) => f.includes('node_modules')), []);
  });

  it('sees files in a folder created after the start, nested ones too, and watches the new folders', async () => {
    const count = inotifyWatches([process.pid]);
    const a = path.join(dir, 'src', 'fresh', 'a.js');
    const b = path.join(dir, 'src', 'fresh', 'deeper', 'more', 'b.js');
    // Written right after the mkdir, before the watcher could have added the folder's watch.
    fs.mkdirSync(path.dirname(a));
    fs.writeFileSync(a, 'a');
    fs.mkdirSync(path.dirname(b), { recursive: true });
    fs.writeFileSync(b, 'b');
    await barrier(dir, w.batches, 2);
    const seen = w.batches.flatMap(all);
    assert.ok(seen.includes(a), 'a.js in the new folder');
    assert.ok(seen.includes(b), 'b.js two new folders down');
    assert.equal(inotifyWatches([process.pid]), count + 3, 'fresh, deeper and more are watched');
    // A later save in the new folder is seen through its own watch.
    const since = w.batches.length;
    fs.writeFileSync(b, 'b2');
    await waitFor('the save in the new folder', () => w.batches.slice(since).some((x) => all(x).includes(b)), 10_000);
  });

  it('sees an atomic save (temp file renamed over the file) exactly once, and not the temp file', async () => {
    const file = firstFile(folders[5]);
    const tmp = path.join(folders[5], `.${path.basename(file)}.tmp-1234`);
    const since = w.batches.length;
    fs.writeFileSync(tmp, 'module.exports = "saved";\n');
    fs.renameSync(tmp, file);
    await waitFor('the atomic save', () => w.batches.slice(since).some((b) => all(b).includes(file)), 10_000);
    await barrier(dir, w.batches, 3);
    const after = w.batches.slice(since);
    assert.equal(after.filter((b) => all(b).includes(file)).length, 1, 'one batch holds the save');
    assert.equal(after.flatMap(all).filter((f) => f === file).length, 1);
    assert.deepEqual(after.flatMap(all).filter((f) => f.includes('.tmp-')), [], 'the temp file came and went: not a change');
    // The rename replaced the file: its next save is seen too.
    const next = w.batches.length;
    fs.appendFileSync(file, '// again\n');
    await waitFor('the save after the rename', () => w.batches.slice(next).some((b) => all(b).includes(file)), 10_000);
  });

  it('sees a removed file, and the files of a removed folder; stops watching that folder', async () => {
    const count = inotifyWatches([process.pid]);
    const gone = firstFile(folders[7]);
    const removed = folders[20];
    const inside = fs.readdirSync(removed).map((n) => path.join(removed, n));
    assert.ok(inside.length > 0);
    const since = w.batches.length;
    fs.rmSync(gone);
    fs.rmSync(removed, { recursive: true });
    await barrier(dir, w.batches, 4);
    const seen = w.batches.slice(since).flatMap(all);
    assert.ok(seen.includes(gone));
    assert.deepEqual(inside.filter((f) => !seen.includes(f)), [], 'every file of the removed folder');
    assert.equal(inotifyWatches([process.pid]), count - 1);
  });

  it('a folder renamed inside the tree: its files are seen removed and added, and saves in it are seen', async () => {
    const from = folders[30];
    const to = path.join(path.dirname(from), 'renamed');
    const names = fs.readdirSync(from);
    const since = w.batches.length;
    fs.renameSync(from, to);
    await barrier(dir, w.batches, 5);
    const seen = new Set(w.batches.slice(since).flatMap(all));
    assert.deepEqual(names.filter((n) => !seen.has(path.join(from, n)) || !seen.has(path.join(to, n))), []);
    const next = w.batches.length;
    fs.appendFileSync(path.join(to, names[0]), '// moved\n');
    await waitFor('a save in the renamed folder', () => w.batches.slice(next).some((b) => all(b).includes(path.join(to, names[0]))), 10_000);
  });
});

describe('watching with polling (chokidar)', function () {
  this.timeout(60_000);

  it('sees a save and a file in a new folder, with no inotify watch', async () => {
    const dir = path.join(TEST_ROOT, 'polling');
    makeTree(dir, { files: 40, folders: 4, depsFiles: 10, depsFolders: 2 });
    const before = inotifyWatches([process.pid]);
    const w = start(dir, true);
    try {
      await w.ready;
      assert.equal(w.watcher.watchCount, undefined, 'chokidar, not the folder watcher');
      assert.equal(inotifyWatches([process.pid]), before);
      const file = path.join(dir, 'src', 'm0', 'f0.js');
      fs.appendFileSync(file, '// polled\n');
      await waitFor('the polled save', () => w.batches.some((b) => all(b).includes(file)), 10_000);
      const fresh = path.join(dir, 'src', 'new', 'n.js');
      fs.mkdirSync(path.dirname(fresh));
      fs.writeFileSync(fresh, 'n');
      await waitFor('the polled new file', () => w.batches.some((b) => all(b).includes(fresh)), 10_000);
    } finally {
      await w.watcher.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
