import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveAttach } from '../../server/attach/config';
import { ConfigError, resolveConfig } from '../../server/config';

describe('attach: options', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sr-attach-config-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const writeConfig = (attach: unknown) => fs.writeFileSync(path.join(dir, 'smooth-reload.config.json'), JSON.stringify({ attach }));

  it("takes the preset's signal and watch globs by default, paths resolved against cwd", () => {
    const c = resolveAttach({ cwd: dir, overrides: { preset: 'gunicorn', pidFile: 'g.pid' } });
    assert.equal(c.signal, 'HUP');
    assert.deepEqual(c.watch, ['**/*.py']);
    assert.equal(c.pidFile, path.join(dir, 'g.pid'));
    assert.equal(c.partial, false);
    assert.ok(Object.isFrozen(c));
  });

  it('merges the attach section of the config file under the flags', () => {
    writeConfig({ preset: 'swoole', signal: 'SIGUSR2', timeoutMs: 5000, health: 'http://127.0.0.1:9501/health' });
    const c = resolveAttach({ cwd: dir, overrides: { timeoutMs: 7000 } });
    assert.equal(c.preset.name, 'swoole');
    assert.equal(c.signal, 'USR2');
    assert.equal(c.partial, true, 'USR2 reloads only task workers');
    assert.equal(c.timeoutMs, 7000);
    assert.equal(c.health, 'http://127.0.0.1:9501/health');
  });

  it('names the key at fault', () => {
    writeConfig({ preset: 'gunicorn', signal: 'KILL' });
    assert.throws(() => resolveAttach({ cwd: dir }), (e: ConfigError) => e instanceof ConfigError && /"attach\.signal"/.test(e.message) && e.key === 'attach.signal');
    writeConfig({ preset: 'gunicorn', pidfile: 'x' });
    assert.throws(() => resolveAttach({ cwd: dir }), /pidfile/);
    assert.throws(() => resolveAttach({ cwd: dir, overrides: { preset: 'gunicorn', health: 'localhost:8000' } }), /--health: must be an http/);
  });

  it('asks for a preset, and refuses options that cannot apply', () => {
    assert.throws(() => resolveAttach({ cwd: dir }), /no preset: pass --preset/);
    assert.throws(() => resolveAttach({ cwd: dir, overrides: { preset: 'nginx', fifo: 'x.fifo' } }), /uWSGI/);
    assert.throws(() => resolveAttach({ cwd: dir, overrides: { preset: 'nginx', expect: 'v2' } }), /needs "attach\.health"/);
  });

  it('leaves the serve configuration valid when the file has an attach section', () => {
    fs.writeFileSync(path.join(dir, 'app.js'), '');
    fs.writeFileSync(path.join(dir, 'smooth-reload.config.json'), JSON.stringify({ entry: 'app.js', attach: { preset: 'nginx' } }));
    assert.equal(resolveConfig({ cwd: dir }).entry, 'app.js');
  });
});
