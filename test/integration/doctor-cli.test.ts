/**
 * The doctor on real projects through the real CLI: each fixture has the problem, and its clean
 * twin must produce no finding at all (every check runs on the twin, with this machine's real
 * mounts, inotify limit and user).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeProject } from '../helpers/project';
import { doctor, summary } from './doctor-helpers';

const config = (c: object) => JSON.stringify(c, null, 2) + '\n';
const SERVER = `const http = require('node:http');\nconst server = http.createServer((req, res) => res.end('ok')).listen(3000);\n`;

/** Set a file's mtime to `secondsAgo` in the past. */
function age(dir: string, file: string, secondsAgo: number): void {
  const t = new Date(Date.now() - secondsAgo * 1000);
  fs.utimesSync(path.join(dir, file), t, t);
}

function tsProject(): string {
  return makeProject({
    'smooth-reload.config.json': config({ entry: 'dist/app.js' }),
    'package.json': JSON.stringify({ name: 'app', scripts: { build: 'tsc' } }),
    'src/app.ts': SERVER,
    'dist/app.js': `${SERVER}//# sourceMappingURL=app.js.map\n`,
    'dist/app.js.map': JSON.stringify({ version: 3, file: 'app.js', sources: ['../src/app.ts'], mappings: '' }),
  }, 'doctor-build');
}

describe('doctor CLI on real projects', function () {
  this.timeout(60_000);

  it('SR_STALE_BUILD: dist/app.js built before src/app.ts was saved', () => {
    const dir = tsProject();
    age(dir, 'dist/app.js', 600);
    age(dir, 'dist/app.js.map', 600);
    const run = doctor(dir);
    assert.deepEqual(summary(run.findings), [`SR_STALE_BUILD ${path.join(dir, 'src/app.ts')}:1`]);
    assert.match(run.findings[0].fix!, /"npm run build"/);
    assert.equal(run.status, 0, 'a warning alone does not fail');
  });

  it('clean twin: a build newer than its source', () => {
    const dir = tsProject();
    age(dir, 'src/app.ts', 600);
    assert.deepEqual(doctor(dir), { status: 0, findings: [], stdout: '{"findings":[]}\n', stderr: '' });
  });

  it('SR_PRELOADED_CODE: gunicorn.conf.py with preload_app = True; twin with False', () => {
    const conf = (v: string) => `bind = "127.0.0.1:8000"\nworkers = 2\npreload_app = ${v}\n`;
    const bad = makeProject({ 'app.py': 'def app(e, s): pass\n', 'gunicorn.conf.py': conf('True') }, 'doctor-gunicorn');
    assert.deepEqual(summary(doctor(bad).findings), [`SR_PRELOADED_CODE ${path.join(bad, 'gunicorn.conf.py')}:3`]);
    const good = makeProject({ 'app.py': 'def app(e, s): pass\n', 'gunicorn.conf.py': conf('False') }, 'doctor-gunicorn');
    assert.deepEqual(doctor(good).findings, []);
  });

  it('Swoole: require before start, SWOOLE_BASE and no reload path; twin loads in WorkerStart with a pid_file', () => {
    const bad = makeProject({
      'server.php': `<?php
require __DIR__ . '/vendor/autoload.php';
require_once __DIR__ . '/src/App.php';
$server = new Swoole\\Http\\Server('127.0.0.1', 9501, SWOOLE_BASE);
$server->on('request', function ($req, $res) { $res->end(App::handle($req)); });
$server->start();
`,
      'src/App.php': '<?php class App { static function handle($r) { return "ok"; } }\n',
    }, 'doctor-swoole');
    const run = doctor(bad, { env: { PHP_INI_SCAN_DIR: '', PHPRC: '/nonexistent' } });
    assert.deepEqual(summary(run.findings).sort(), [
      `SR_PRELOADED_CODE ${path.join(bad, 'server.php')}:3`,
      `SR_SWOOLE_BASE_MODE ${path.join(bad, 'server.php')}:4`,
      `SR_SWOOLE_NO_RELOAD ${path.join(bad, 'server.php')}:4`,
    ]);
    const good = makeProject({
      'server.php': `<?php
require __DIR__ . '/vendor/autoload.php';
$server = new Swoole\\Http\\Server('127.0.0.1', 9501, SWOOLE_PROCESS);
$server->set(['pid_file' => __DIR__ . '/swoole.pid', 'worker_num' => 2]);
$server->on('WorkerStart', function () { require_once __DIR__ . '/src/App.php'; });
$server->on('request', function ($req, $res) { $res->end(App::handle($req)); });
$server->start();
`,
      'src/App.php': '<?php class App { static function handle($r) { return "ok"; } }\n',
    }, 'doctor-swoole');
    assert.deepEqual(doctor(good, { env: { PHP_INI_SCAN_DIR: '', PHPRC: '/nonexistent' } }).findings, []);
  });

  it('SR_SIGTERM_NO_EXIT: a SIGTERM handler that only logs; twin closes the server', () => {
    const bad = makeProject({ 'smooth-reload.config.json': config({ entry: 'app.js' }), 'app.js': `${SERVER}process.on('SIGTERM', () => {\n  console.log('shutting down');\n});\n` }, 'doctor-sigterm');
    assert.deepEqual(summary(doctor(bad).findings), [`SR_SIGTERM_NO_EXIT ${path.join(bad, 'app.js')}:3`]);
    const good = makeProject({ 'smooth-reload.config.json': config({ entry: 'app.js' }), 'app.js': `${SERVER}process.on('SIGTERM', () => {\n  server.close();\n});\n` }, 'doctor-sigterm');
    assert.deepEqual(doctor(good).findings, []);
  });

  it('watch config: a glob in watch.paths and an ignore that hides a loaded file; exit 1 for the error', () => {
    const files = (watch: object) => ({
      'smooth-reload.config.json': config({ entry: 'src/app.js', watch }),
      'src/app.js': `require('./routes/index.js');\n${SERVER}`,
      'src/routes/index.js': 'module.exports = {};\n',
    });
    const bad = makeProject(files({ paths: ['src/**/*.js'], ignore: ['**/routes/**'] }), 'doctor-watch');
    const run = doctor(bad);
    const cfg = path.join(bad, 'smooth-reload.config.json');
    assert.deepEqual(summary(run.findings), [`SR_WATCH_NO_MATCH ${cfg}:5`, `SR_WATCH_IGNORES_LOADED ${cfg}:8`]);
    assert.equal(run.status, 1);
    const good = makeProject(files({ paths: ['src'], ignore: ['**/*.test.js'] }), 'doctor-watch');
    assert.deepEqual(doctor(good), { status: 0, findings: [], stdout: '{"findings":[]}\n', stderr: '' });
  });

  it('SR_CONFIG_INVALID: a config the master would refuse, pointed at the key', () => {
    const dir = makeProject({ 'smooth-reload.config.json': config({ entry: 'app.js', workers: 0 }), 'app.js': SERVER }, 'doctor-config');
    const run = doctor(dir);
    assert.deepEqual(summary(run.findings), [`SR_CONFIG_INVALID ${path.join(dir, 'smooth-reload.config.json')}:3`]);
    assert.equal(run.status, 1);
  });

  it('human output groups findings by severity with file:line, fix and docs', () => {
    const dir = makeProject({
      'smooth-reload.config.json': config({ entry: 'app.js', watch: { paths: ['lib'] } }),
      'app.js': `${SERVER}process.on('SIGINT', () => {});\n`,
    }, 'doctor-human');
    const run = doctor(dir, { json: false });
    assert.equal(run.status, 1);
    const out = run.stdout;
    assert.match(out, /^errors \(\d\):\n {2}error SR_WATCH_NO_MATCH smooth-reload\.config\.json:5:\d+: "watch\.paths" entry "lib" does not exist/m);
    assert.match(out, /^warnings \(\d\):\n {2}warning SR_SIGTERM_NO_EXIT app\.js:3:1: app\.js handles SIGINT/m);
    assert.match(out, /^ {4}fix: in the handler, close the server/m);
    assert.match(out, /^ {4}see: docs\/troubleshooting\.md#sr_sigterm_no_exit$/m);
    assert.match(out, /^doctor: \d findings, 1 error$/m);
    const clean = makeProject({ 'smooth-reload.config.json': config({ entry: 'app.js' }), 'app.js': SERVER }, 'doctor-human');
    assert.equal(doctor(clean, { json: false }).stdout, `doctor: no problems found in ${clean}\n`);
  });
});
