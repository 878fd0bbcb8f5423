/**
 * The two process readers (/proc and ps + lsof) on the same real processes: each answers every
 * question right, and they agree. A missing tool is an error that names it.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { portableBackend, procfsBackend, processReader } from '../../server/procs';
import { makeProject } from '../helpers/project';
import { waitFor } from '../helpers/processes';

const REPO = path.resolve(__dirname, '..', '..');
const hasProcfs = fs.existsSync('/proc/self/stat');
const readers = [...(hasProcfs ? [processReader(procfsBackend)] : []), processReader(portableBackend)];

/**
 * A tree like a command worker's: `sh` exec'd into node (listening on 127.0.0.1), with a
 * `sleep 600` child and a child that becomes a zombie (`sleep 0.3`, which the exec'd node never
 * reaps; the shell would reap a shorter one before its exec).
 */
async function startTree(dir: string): Promise<{ child: ChildProcess; port: number; sleeper: number }> {
  const script = `require('net').createServer().listen(0, '127.0.0.1', function () { console.log(this.address().port); }); setInterval(() => {}, 1000);`;
  const child = spawn('/bin/sh', ['-c', `sleep 0.3 & sleep 600 & echo $!; exec "${process.execPath}" -e "${script}"`], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const lines = await new Promise<string[]>((resolve) =>
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.split('\n').length > 2) resolve(out.split('\n'));
    }),
  );
  return { child, sleeper: Number(lines[0]), port: Number(lines[1]) };
}

function stopTree(t: { child: ChildProcess; sleeper: number }): Promise<void> {
  process.kill(t.sleeper, 'SIGKILL');
  const exited = new Promise<void>((r) => t.child.once('exit', () => r()));
  t.child.kill('SIGKILL');
  return exited;
}

describe('process readers (/proc and ps + lsof) on real processes', function () {
  this.timeout(30_000);

  for (const reader of readers) {
    it(`${reader.name}: info, children without the zombie, descendants, memory, ports, port holder, cwd, fds`, async () => {
      const dir = makeProject({}, `procs-${reader.name}`);
      const tree = await startTree(dir);
      const pid = tree.child.pid!;
      try {
        const info = reader.processInfo(pid)!;
        assert.equal(info.ppid, process.pid);
        assert.equal(info.uid, process.getuid!());
        assert.match(info.cmdline, /-e require\('net'\)/);
        assert.equal(info.comm, 'node');
        // The zombie is a child too, but runs nothing.
        await waitFor('the short sleep to exit', () => reader.childrenOf(pid).length === 1);
        assert.deepEqual(reader.childrenOf(pid), [tree.sleeper]);
        assert.equal(reader.descendants(pid).pids.length, 2, 'the zombie is still there');
        assert.deepEqual(reader.descendants(pid).groups, [], 'the tree is in our process group');
        const rss = reader.rssBytes(pid)!;
        assert.ok(rss > 4 * 1024 * 1024, `rss ${rss}`);
        assert.ok(reader.treeRssBytes(pid)! > rss, 'the tree holds the sleeper too');
        assert.deepEqual(reader.listeningPorts(pid), [{ address: '127.0.0.1', port: tree.port }]);
        assert.deepEqual(reader.portHolder(tree.port), { pid, command: info.cmdline });
        assert.deepEqual(
          reader.processesWithCwd().filter((p) => p.cwd === dir).map((p) => p.pid).sort(),
          [pid, tree.sleeper].sort(),
        );
        assert.ok(reader.openFdCount(pid)! >= 4, `fds ${reader.openFdCount(pid)}`);
        assert.equal(typeof reader.cpuMs(pid), 'number');
      } finally {
        await stopTree(tree);
      }
      assert.equal(reader.processInfo(pid), undefined);
      assert.equal(reader.rssBytes(pid), undefined);
      assert.deepEqual(reader.childrenOf(pid), []);
      assert.deepEqual(reader.listeningPorts(pid), []);
    });
  }

  it('a missing lsof or ps is an error naming the tool', function () {
    const bin = makeProject({}, 'procs-path');
    const ps = execFileSync('sh', ['-c', 'command -v ps'], { encoding: 'utf8' }).trim();
    fs.symlinkSync(ps, path.join(bin, 'ps'));
    const ask = (PATH: string) => {
      try {
        execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', `require('./server/procs').listeningPorts(process.pid)`], {
          cwd: REPO,
          env: { ...process.env, PATH, SMOOTH_RELOAD_PROCFS: 'off' },
          stdio: 'pipe',
        });
        return '';
      } catch (err) {
        return String((err as { stderr: Buffer }).stderr);
      }
    };
    assert.match(ask(bin), /ProcToolMissingError: lsof is not installed \(or not on PATH\): Smooth Reload runs it to find the ports a process listens on and the process that holds a port, since SMOOTH_RELOAD_PROCFS=off turns the \/proc reader off\. Install lsof \(Debian\/Ubuntu: apt-get install lsof;/);
    assert.match(ask(path.join(bin, 'none')), /ProcToolMissingError: ps is not installed \(or not on PATH\)/);
  });
});
