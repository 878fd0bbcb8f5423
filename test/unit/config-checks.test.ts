import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, resolveConfig } from '../../server/config';

describe('config: checks after the schema', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smooth-reload-host-'));
  fs.writeFileSync(path.join(dir, 'app.js'), '');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('takes an IPv6 loopback in URL form ("[::1]") and listens on it bare', () => {
    assert.equal(resolveConfig({ cwd: dir, overrides: { entry: 'app.js', host: '[::1]' } }).host, '::1');
  });

  it('refuses a non-loopback host without allowRemote, naming the key and the flag', () => {
    assert.throws(() => resolveConfig({ cwd: dir, overrides: { entry: 'app.js', host: '0.0.0.0' } }), (err: ConfigError) => /allowRemote.*--allow-remote/.test(err.message));
    assert.equal(resolveConfig({ cwd: dir, overrides: { entry: 'app.js', host: '0.0.0.0', allowRemote: true } }).host, '0.0.0.0');
  });

  it('refuses "explicit" readiness for a command worker, naming the key and the modes that work', () => {
    assert.throws(
      () => resolveConfig({ cwd: dir, overrides: { command: 'python3 app.py', readiness: { mode: 'explicit' } } as never }),
      (err: ConfigError) => /readiness.mode.*"listen".*"http"/.test(err.message),
    );
  });

  it('names a command-line flag, not the config file, when the bad value came from the flag', () => {
    const withFile = fs.mkdtempSync(path.join(os.tmpdir(), 'smooth-reload-flags-'));
    try {
      fs.writeFileSync(path.join(withFile, 'app.js'), '');
      fs.writeFileSync(path.join(withFile, 'smooth-reload.config.json'), JSON.stringify({ entry: 'app.js', workers: 2 }));
      assert.throws(
        () => resolveConfig({ cwd: withFile, overrides: { port: -5 } as never }),
        (err: ConfigError) => /^invalid configuration in command-line options:\n  - "port" \(from a command-line flag\)/.test(err.message) && err.file === undefined,
      );
      fs.writeFileSync(path.join(withFile, 'smooth-reload.config.json'), JSON.stringify({ entry: 'app.js', workers: 0 }));
      assert.throws(
        () => resolveConfig({ cwd: withFile, overrides: { port: 3000 } as never }),
        (err: ConfigError) => err.message.includes('smooth-reload.config.json:\n  - "workers"') && err.file === path.join(withFile, 'smooth-reload.config.json'),
      );
    } finally {
      fs.rmSync(withFile, { recursive: true, force: true });
    }
  });
});
