import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { checkMasterProcess } from '../../../server/doctor/checks/master-process';
import { checkPort } from '../../../server/doctor/checks/port';
import { checkReadable } from '../../../server/doctor/checks/readable';
import { checkRootOwned } from '../../../server/doctor/checks/root-owned';
import { checkStateDir } from '../../../server/doctor/checks/state-dir';
import { DIR, codes, makeFacts } from './make-facts';

describe('doctor: permissions', () => {
  describe('SR_UNREADABLE', () => {
    it('reports a source file the user cannot read, and a folder it cannot search', () => {
      const facts = makeFacts({ files: { 'app.js': { text: '', mode: 0o600, uid: 0, gid: 0 }, lib: { dir: true, mode: 0o700, uid: 0, gid: 0 } } });
      const findings = checkReadable(facts);
      assert.deepEqual(findings.map((f) => f.file), [path.join(DIR, 'app.js'), path.join(DIR, 'lib')]);
      assert.match(findings[0].message, /^user dev \(uid 1000\) cannot read app\.js \(mode 0600, owner root:0\)/);
      assert.equal(findings[0].severity, 'error');
    });

    it('clean twins: readable through owner, group or other bits; root reads all; non-source files are not ours to judge', () => {
      const files = {
        'own.js': { mode: 0o600 },
        'group.js': { mode: 0o640, uid: 0, gid: 50 },
        'other.js': { mode: 0o604, uid: 0, gid: 0 },
        'secret.key': { mode: 0o600, uid: 0, gid: 0 },
      };
      assert.deepEqual(checkReadable(makeFacts({ files, user: { groups: [1000, 50] } })), []);
      assert.deepEqual(checkReadable(makeFacts({ files: { 'a.js': { mode: 0o000 } }, user: { uid: 0, gid: 0, groups: [0] } })), []);
    });
  });

  describe('SR_STATE_UNWRITABLE', () => {
    it('reports a .smooth-reload folder the user cannot write', () => {
      const facts = makeFacts({ extra: { stateDir: { abs: `${DIR}/.smooth-reload`, rel: '.smooth-reload', isDir: true, mode: 0o700, uid: 0, gid: 0, mtimeMs: 0, size: 0 } } });
      assert.deepEqual(codes(checkStateDir(facts)), ['SR_STATE_UNWRITABLE']);
    });

    it('reports a project folder where .smooth-reload cannot be created; clean twin when it can', () => {
      assert.deepEqual(codes(checkStateDir(makeFacts({ files: { '.': { uid: 0, gid: 0, mode: 0o755 } } }))), ['SR_STATE_UNWRITABLE']);
      assert.deepEqual(checkStateDir(makeFacts()), []);
    });
  });

  describe('SR_ROOT_OWNED', () => {
    it('reports root-owned files in a project owned by someone else, naming the topmost folder once', () => {
      const facts = makeFacts({ files: { 'dist/app.js': { uid: 0, gid: 0 }, dist: { dir: true, uid: 0, gid: 0 }, 'src/app.ts': '' } });
      const [f, ...rest] = checkRootOwned(facts);
      assert.equal(rest.length, 0);
      assert.equal(f.file, path.join(DIR, 'dist'));
      assert.match(f.message, /^2 paths in this project \(owned by dev\) are owned by root.*: dist\./);
      assert.match(f.fix!, /sudo chown -R dev:1000 /);
    });

    it('clean twins: nothing owned by root; a project owned by root', () => {
      assert.deepEqual(checkRootOwned(makeFacts({ files: { 'app.js': '' } })), []);
      assert.deepEqual(checkRootOwned(makeFacts({ files: { '.': { uid: 0, gid: 0 }, 'app.js': { uid: 0 } } })), []);
    });
  });

  describe('SR_PORT_DENIED', () => {
    it('reports port 80 for a user without CAP_NET_BIND_SERVICE, at the "port" line', () => {
      const facts = makeFacts({ config: { entry: 'app.js', port: 80 }, files: { 'app.js': '' } });
      const [f] = checkPort(facts);
      assert.deepEqual([f.code, f.severity, f.file, f.line], ['SR_PORT_DENIED', 'error', path.join(DIR, 'smooth-reload.config.json'), 3]);
    });

    it('clean twins: a high port, root, the capability, a lowered ip_unprivileged_port_start', () => {
      const at = (port: number, extra: Parameters<typeof makeFacts>[0] = {}) => checkPort(makeFacts({ config: { entry: 'app.js', port }, ...extra }));
      assert.deepEqual(at(3000), []);
      assert.deepEqual(at(80, { user: { uid: 0 } }), []);
      assert.deepEqual(at(80, { user: { capEff: 1n << 10n } }), []);
      assert.deepEqual(at(80, { extra: { unprivilegedPortStart: 80 } }), []);
    });
  });

  describe('the master in state.json', () => {
    it('SR_MASTER_OTHER_USER: a live master owned by another user', () => {
      const facts = makeFacts({ extra: { master: { pid: 4242, alive: true, uid: 0, cmdline: 'node /usr/lib/smooth-reload/dist/cli.js serve' } } });
      assert.deepEqual(codes(checkMasterProcess(facts)), ['SR_MASTER_OTHER_USER']);
    });

    it('SR_MASTER_OTHER_USER: a state folder of another user that this user cannot read', () => {
      const stateDir = { abs: `${DIR}/.smooth-reload`, rel: '.smooth-reload', isDir: true, mode: 0o700, uid: 0, gid: 0, mtimeMs: 0, size: 0 };
      assert.deepEqual(codes(checkMasterProcess(makeFacts({ extra: { stateDir } }))), ['SR_MASTER_OTHER_USER']);
    });

    it('SR_PID_NOT_MASTER: the recorded pid runs another program', () => {
      const facts = makeFacts({ extra: { master: { pid: 4242, alive: true, uid: 1000, cmdline: 'postgres: checkpointer' } } });
      assert.deepEqual(codes(checkMasterProcess(facts)), ['SR_PID_NOT_MASTER']);
    });

    it('clean twins: our own live master, a dead one, none', () => {
      assert.deepEqual(checkMasterProcess(makeFacts({ extra: { master: { pid: 4242, alive: true, uid: 1000, cmdline: 'node dist/cli.js serve app.js' } } })), []);
      assert.deepEqual(checkMasterProcess(makeFacts({ extra: { master: { pid: 4242, alive: false } } })), []);
      assert.deepEqual(checkMasterProcess(makeFacts()), []);
    });
  });
});
