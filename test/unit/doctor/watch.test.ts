import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { checkWatchIgnore } from '../../../server/doctor/checks/watch-ignore';
import { checkWatchLimit } from '../../../server/doctor/checks/watch-limit';
import { checkWatchMount } from '../../../server/doctor/checks/watch-mount';
import { checkWatchPaths } from '../../../server/doctor/checks/watch-paths';
import { parseMounts } from '../../../server/doctor/facts/system';
import { DIR, codes, makeFacts } from './make-facts';

const CONFIG_FILE = path.join(DIR, 'smooth-reload.config.json');

describe('doctor: watcher', () => {
  describe('SR_WATCH_LIMIT', () => {
    const tree = { 'a/1.js': '', 'a/2.js': '', 'b/3.js': '', 'node_modules/x/index.js': '' };

    it('reports when watched folders plus watches in use exceed max_user_watches', () => {
      const [f, ...rest] = checkWatchLimit(makeFacts({ files: tree, extra: { inotify: { maxUserWatches: 4, inUse: 2 } } }));
      assert.equal(rest.length, 0);
      assert.equal(f.code, 'SR_WATCH_LIMIT');
      // ., a and b: one watch per folder, none per file; node_modules is ignored by default.
      assert.match(f.message, /needs about 3 inotify watches and this user's processes already hold 2, but fs\.inotify\.max_user_watches is 4/);
      assert.match(f.fix!, /sudo sysctl fs\.inotify\.max_user_watches=524288/);
    });

    it('counts folders, not files: 40 files in one folder, and a watched file, which costs its folder', () => {
      const files = Object.fromEntries([...Array.from({ length: 40 }, (_, i) => [`a/${i}.js`, '']), ['app.js', '']]);
      const facts = makeFacts({ config: { entry: 'app.js', watch: { paths: ['a', 'app.js'] } }, files, extra: { inotify: { maxUserWatches: 1, inUse: 0 } } });
      assert.match(checkWatchLimit(facts)[0].message, /needs about 2 inotify watches/);
    });

    it('clean twins: enough room, polling, or watching turned off', () => {
      assert.deepEqual(checkWatchLimit(makeFacts({ files: tree, extra: { inotify: { maxUserWatches: 5, inUse: 2 } } })), []);
      const polling = makeFacts({ config: { entry: 'a/1.js', watch: { usePolling: true } }, files: tree, extra: { inotify: { maxUserWatches: 1, inUse: 0 } } });
      assert.deepEqual(checkWatchLimit(polling), []);
      const off = makeFacts({ config: { entry: 'a/1.js', watch: { enabled: false } }, files: tree, extra: { inotify: { maxUserWatches: 1, inUse: 0 } } });
      assert.deepEqual(checkWatchLimit(off), []);
    });
  });

  describe('SR_WATCH_MOUNT', () => {
    const mounts = parseMounts('/dev/vda / ext4 rw 0 0\nsrv:/export /home/dev nfs4 rw 0 0\nC:\\134 /mnt/c 9p rw 0 0\n/dev/vdb /home/dev/my\\040disk ext4 rw 0 0\n');

    it('parses /proc/mounts with escaped spaces', () => {
      assert.deepEqual(mounts.at(-1), { mountPoint: '/home/dev/my disk', type: 'ext4' });
    });

    it('reports a project on an NFS mount and suggests polling', () => {
      const [f] = checkWatchMount(makeFacts({ extra: { mounts } }));
      assert.equal(f.code, 'SR_WATCH_MOUNT');
      assert.match(f.message, /is on a nfs4 mount \(\/home\/dev\)/);
      assert.match(f.fix!, /"watch\.usePolling": true/);
    });

    it('reports a WSL Windows drive', () => {
      const facts = makeFacts({ extra: { mounts, wsl: true } });
      const wsl = { ...facts, dir: '/mnt/c/Users/dev/app', files: [{ ...facts.files[0], abs: '/mnt/c/Users/dev/app' }] };
      assert.match(checkWatchMount(wsl)[0].message, /Windows drive mounted into WSL \(9p\)/);
    });

    it('clean twins: a local disk (even under an NFS parent), or polling on', () => {
      const local = makeFacts({ extra: { mounts: parseMounts('/dev/vda / ext4 rw 0 0\nsrv:/x /home/dev/app/../elsewhere nfs rw 0 0\n') } });
      assert.deepEqual(checkWatchMount(local), []);
      assert.deepEqual(checkWatchMount(makeFacts({ config: { entry: 'a.js', watch: { usePolling: true } }, extra: { mounts } })), []);
      const disk = makeFacts({ extra: { mounts } });
      assert.deepEqual(checkWatchMount({ ...disk, dir: '/home/dev/my disk/app', files: [{ ...disk.files[0], abs: '/home/dev/my disk/app' }] }), []);
    });
  });

  describe('SR_WATCH_NO_MATCH', () => {
    it('reports a glob, a missing folder and a folder whose files are all ignored, at their lines', () => {
      const config = { entry: 'src/app.js', watch: { paths: ['src/**/*.js', 'lib', 'gen'], ignore: ['gen/**'] } };
      const facts = makeFacts({ config, files: { 'src/app.js': '', 'gen/out.js': '' } });
      const findings = checkWatchPaths(facts);
      assert.deepEqual(findings.map((f) => [f.code, f.severity, f.file, f.line]), [
        ['SR_WATCH_NO_MATCH', 'error', CONFIG_FILE, 5],
        ['SR_WATCH_NO_MATCH', 'error', CONFIG_FILE, 6],
        ['SR_WATCH_NO_MATCH', 'warning', CONFIG_FILE, 7],
      ]);
      assert.match(findings[0].message, /is a glob/);
      assert.match(findings[0].fix!, /watch the folder instead \(e\.g\. "src"\)/);
      assert.match(findings[1].message, /"lib" does not exist/);
    });

    it('clean twin: folders and files that exist and hold watched files', () => {
      const facts = makeFacts({ config: { entry: 'src/app.js', watch: { paths: ['src', 'config.json'] } }, files: { 'src/app.js': '', 'config.json': '{}' } });
      assert.deepEqual(checkWatchPaths(facts), []);
    });
  });

  describe('SR_WATCH_IGNORES_LOADED', () => {
    const files = {
      'app.js': "const routes = require('./routes');\nimport('./lazy.mjs');\n",
      'routes/index.js': "module.exports = require('../generated/schema.js');\n",
      'generated/schema.js': 'module.exports = {};',
      'lazy.mjs': "export * from './lib/util.js';",
      'lib/util.ts': 'export const x = 1;',
    };

    it('reports an ignore glob that hides a file the app loads (followed through requires), at the pattern', () => {
      const facts = makeFacts({ config: { entry: 'app.js', watch: { ignore: ['generated/**', '*.log'] } }, files });
      const [f, ...rest] = checkWatchIgnore(facts);
      assert.equal(rest.length, 0);
      assert.equal(f.code, 'SR_WATCH_IGNORES_LOADED');
      assert.match(f.message, /"watch\.ignore" pattern "generated\/\*\*" hides generated\/schema\.js, which the app loads/);
      assert.deepEqual([f.file, f.line], [CONFIG_FILE, 5]);
    });

    it('reports a loaded file outside "watch.paths" (a TypeScript source imported as .js)', () => {
      const facts = makeFacts({ config: { entry: 'app.js', watch: { paths: ['app.js', 'routes', 'generated', 'lazy.mjs'] } }, files });
      const [f] = checkWatchIgnore(facts);
      assert.match(f.message, /loads lib\/util\.ts, outside "watch\.paths"/);
    });

    it('reports a project file preloaded with --require that an ignore hides', () => {
      const facts = makeFacts({ config: { entry: 'app.js', nodeArgs: ['--require', './setup/env.js'], watch: { ignore: ['setup/**'] } }, files: { 'app.js': '', 'setup/env.js': '' } });
      assert.deepEqual(codes(checkWatchIgnore(facts)), ['SR_WATCH_IGNORES_LOADED']);
    });

    it('clean twin: ignores that hide only what the app does not load', () => {
      const facts = makeFacts({ config: { entry: 'app.js', nodeArgs: ['--import', 'tsx'], watch: { ignore: ['tmp/**', '**/*.test.js'] } }, files: { ...files, 'tmp/x.js': '', 'app.test.js': "require('./app')" } });
      assert.deepEqual(checkWatchIgnore(facts), []);
    });
  });
});
