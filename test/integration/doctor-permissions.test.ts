/**
 * Permission checks with real file modes and owners, run as the unprivileged user `nobody`
 * (root reads and writes everything, so as root these problems do not show). The fixtures live
 * in a temp folder that nobody can traverse to; the CLI runs under setpriv with nobody's uid/gid.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startMaster } from '../helpers/master';
import { doctor, summary } from './doctor-helpers';

const NOBODY = 65534;
const AS_NOBODY = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];
const APP = `require('node:http').createServer((req, res) => res.end('ok')).listen(3000);\n`;

interface Entry {
  text?: string;
  mode?: number;
  uid?: number;
}

describe('doctor: permissions, as an unprivileged user', function () {
  this.timeout(60_000);
  let root = '';
  let counter = 0;

  before(function () {
    if (process.getuid?.() !== 0 || spawnSync('setpriv', ['--version']).error) this.skip();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'smooth-reload-doctor-perms-'));
    fs.chmodSync(root, 0o755);
  });
  after(() => {
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  /** A project owned by `owner`, each entry with its own mode and owner (folders end with /). */
  function project(owner: number, entries: Record<string, Entry>): string {
    const dir = path.join(root, `p${++counter}`);
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.chownSync(dir, owner, owner);
    for (const [rel, e] of Object.entries(entries)) {
      const abs = path.join(dir, rel);
      if (rel.endsWith('/')) fs.mkdirSync(abs, { recursive: true });
      else {
        const made = fs.mkdirSync(path.dirname(abs), { recursive: true });
        // Folders made on the way belong to the project's owner too.
        for (let d = path.dirname(abs); made && d.length >= made.length; d = path.dirname(d)) fs.chownSync(d, owner, owner);
        fs.writeFileSync(abs, e.text ?? '');
      }
      fs.chownSync(abs, e.uid ?? owner, e.uid ?? owner);
      fs.chmodSync(abs, e.mode ?? (rel.endsWith('/') ? 0o755 : 0o644));
    }
    return dir;
  }
  const config = (c: object) => ({ text: JSON.stringify(c, null, 2) });
  const asNobody = (dir: string) => doctor(dir, { prefix: AS_NOBODY });

  it('SR_UNREADABLE: a source file and a folder nobody cannot read; exit 1', () => {
    const dir = project(NOBODY, {
      'smooth-reload.config.json': config({ entry: 'app.js' }),
      'app.js': { text: APP },
      'lib/db.js': { text: 'module.exports = {};', mode: 0o200 },
      'views/': { mode: 0o300 },
    });
    const run = asNobody(dir);
    assert.deepEqual(summary(run.findings), [`SR_UNREADABLE ${path.join(dir, 'views')}`, `SR_UNREADABLE ${path.join(dir, 'lib/db.js')}`]);
    assert.match(run.findings[1].message, /^user nobody \(uid 65534\) cannot read lib\/db\.js \(mode 0200, owner nobody:65534\)/);
    assert.equal(run.status, 1);
    // The reason these tests run as nobody: root reads anything, so it sees no problem here.
    assert.deepEqual(doctor(dir).findings, []);
  });

  it('clean twin: the same project with readable modes', () => {
    const dir = project(NOBODY, {
      'smooth-reload.config.json': config({ entry: 'app.js' }),
      'app.js': { text: APP },
      'lib/db.js': { text: 'module.exports = {};', mode: 0o640 },
      'views/': { mode: 0o750 },
    });
    assert.deepEqual(asNobody(dir), { status: 0, findings: [], stdout: '{"findings":[]}\n', stderr: '' });
  });

  it('SR_STATE_UNWRITABLE: a project folder nobody cannot write .smooth-reload into; twin owned by nobody', () => {
    const files = { 'smooth-reload.config.json': config({ entry: 'app.js' }), 'app.js': { text: APP } };
    const dir = project(0, files);
    const run = asNobody(dir);
    assert.deepEqual(summary(run.findings), [`SR_STATE_UNWRITABLE ${dir}`]);
    assert.match(run.findings[0].message, /cannot write the project folder .* \(mode 0755, owner root:0\)/);
    assert.deepEqual(asNobody(project(NOBODY, files)).findings, []);
  });

  it('SR_ROOT_OWNED: dist/ left behind by "sudo npm run build" in nobody\'s project', () => {
    const dir = project(NOBODY, {
      'smooth-reload.config.json': config({ entry: 'app.js' }),
      'app.js': { text: APP },
      'dist/': { uid: 0 },
      'dist/bundle.js': { text: APP, uid: 0 },
    });
    const run = asNobody(dir);
    assert.deepEqual(summary(run.findings), [`SR_ROOT_OWNED ${path.join(dir, 'dist')}`]);
    assert.match(run.findings[0].fix!, /sudo chown -R nobody:65534 /);
  });

  it('SR_PORT_DENIED: port 80 as nobody (no CAP_NET_BIND_SERVICE); clean twin as root', () => {
    const dir = project(NOBODY, { 'smooth-reload.config.json': config({ entry: 'app.js', port: 80 }), 'app.js': { text: APP } });
    const run = asNobody(dir);
    assert.deepEqual(summary(run.findings), [`SR_PORT_DENIED ${path.join(dir, 'smooth-reload.config.json')}:3`]);
    assert.deepEqual(doctor(dir).findings, []);
  });

  it('SR_MASTER_OTHER_USER: a master started by root in nobody\'s project', async () => {
    const dir = project(NOBODY, { 'smooth-reload.config.json': config({ entry: 'app.js' }), 'app.js': { text: APP } });
    const master = await startMaster(dir, ['--no-watch']);
    try {
      await master.waitEvent('reload-done');
      const codes = asNobody(dir).findings.map((f) => f.code).sort();
      // The root-owned 0700 state folder: nobody can neither signal that master nor use the folder.
      assert.deepEqual(codes, ['SR_MASTER_OTHER_USER', 'SR_ROOT_OWNED', 'SR_STATE_UNWRITABLE']);
    } finally {
      await master.stop();
    }
    // Stopped, the master leaves its root-owned state folder behind: root is told too.
    assert.deepEqual(summary(doctor(dir).findings), [`SR_ROOT_OWNED ${path.join(dir, '.smooth-reload')}`]);
  });
});
