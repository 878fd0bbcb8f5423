/**
 * Property-based tests of the config resolver: for any overrides and any config file content, it
 * returns a frozen config or throws a ConfigError whose message names the key at fault (or the
 * file, when the file itself is not a JSON object) — never another exception.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { CONFIG_FILE_NAME, ConfigError, ConfigSchema, resolveConfig, type ResolvedConfig } from '../../server/config';

const TOP_KEYS = Object.keys(ConfigSchema.shape);
const NESTED: Record<string, string[]> = {
  readiness: ['mode', 'path', 'timeoutMs'],
  reload: ['strategy', 'batchSize', 'drainTimeoutMs', 'killTimeoutMs', 'holdTimeoutMs', 'longConnectionGraceMs', 'canary'],
  watch: ['enabled', 'paths', 'ignore', 'debounceMs', 'usePolling', 'static'],
  restart: ['maxRequests', 'maxRequestsJitter', 'backoffInitialMs', 'backoffMaxMs', 'crashLoopLimit', 'crashLoopWindowMs'],
};
const AWKWARD_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', '', ' entry', 'Entry', 'port.x'];

/** Values that are often right and often wrong for some key. */
const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(0, -1, 1, 1.5, 3000, 65535, 65536, 1e308, -0, 64, 65, 'app.js', '127.0.0.1', '0.0.0.0', '::1', 'localhost', 'listen', 'http', '/', 'rolling', true, false, null, [], {}, ['a'], { a: 'b' }),
);
const nested = (keys: string[]) => fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.constantFrom(...AWKWARD_KEYS), fc.string({ maxLength: 8 })), value, { maxKeys: 4 });
const key = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...TOP_KEYS) }, { weight: 1, arbitrary: fc.constantFrom(...AWKWARD_KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) });
const overrides = fc.dictionary(
  key,
  fc.oneof(value, ...Object.values(NESTED).map(nested)),
  { maxKeys: 6 },
);

let cwd: string;

/** Resolve and check the outcome: a frozen config, or a ConfigError that names a key or the file. */
function check(run: () => ResolvedConfig, input: unknown): void {
  let config: ResolvedConfig | undefined;
  try {
    config = run();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `not a ConfigError for ${JSON.stringify(input)}: ${(err as Error)?.stack ?? err}`);
    assert.equal(err.code, 'SR_CONFIG_INVALID');
    assert.ok(err.message.length > 0);
    const namesKey = err.key !== undefined && err.key !== '' && err.message.includes(err.key.split('.').pop()!);
    const namesQuotedKey = /"[^"]*"/.test(err.message);
    const namesFile = err.file !== undefined && err.message.includes(err.file);
    assert.ok(namesKey || namesQuotedKey || namesFile, `the message names no key or file: ${err.message}`);
    return;
  }
  assert.ok(Object.isFrozen(config), 'the resolved config is frozen');
  assert.equal(config.cwd, cwd);
  assert.ok(Boolean(config.entry) !== Boolean(config.command), 'exactly one of entry and command');
}

describe('fuzz: config resolver', () => {
  before(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'smooth-reload-fuzz-config-'));
    fs.writeFileSync(path.join(cwd, 'app.js'), '');
  });
  after(() => fs.rmSync(cwd, { recursive: true, force: true }));

  it('arbitrary overrides: a frozen config or a ConfigError naming the key', () => {
    fc.assert(
      fc.property(overrides, (o) => check(() => resolveConfig({ cwd, overrides: o as never }), o)),
      { numRuns: 1000 },
    );
  });

  it('overrides that are valid except for one key name that key', () => {
    const numberKeys = ['port', 'workers'];
    fc.assert(
      fc.property(fc.constantFrom(...numberKeys, 'host', 'logLevel', 'nodeArgs', 'env', 'liveReload'), value, (k, v) => {
        const o = { entry: 'app.js', [k]: v };
        try {
          resolveConfig({ cwd, overrides: o as never });
        } catch (err) {
          assert.ok(err instanceof ConfigError, String(err));
          assert.ok(err.message.includes(`"${k}`) || err.key === k, `${JSON.stringify(o)} → ${err.message}`);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('unknown keys are named in the message and in ConfigError.key', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !TOP_KEYS.includes(k) && k !== '__proto__'), (k) => {
        try {
          resolveConfig({ cwd, overrides: { entry: 'app.js', [k]: 1 } as never });
          assert.fail(`unknown key ${JSON.stringify(k)} was accepted`);
        } catch (err) {
          assert.ok(err instanceof ConfigError, String(err));
          assert.ok(err.message.includes(`"${k}"`), err.message);
          assert.equal(err.key, k);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('any config file content: a frozen config or a ConfigError naming the key or the file', () => {
    const content = fc.oneof(
      overrides.map((o) => JSON.stringify({ entry: 'app.js', ...o })),
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? ''),
      fc.string({ maxLength: 60 }),
      fc.constantFrom('', '{', '{"entry": "app.js",}', '// comment\n{}', '\uFEFF{"entry":"app.js"}', 'null', '[]', '"x"', '{"entry":"app.js"}{}'),
    );
    const file = () => path.join(cwd, CONFIG_FILE_NAME);
    fc.assert(
      fc.property(content, fc.boolean(), (text, explicit) => {
        fs.writeFileSync(file(), text);
        check(() => resolveConfig({ cwd, ...(explicit ? { configFile: CONFIG_FILE_NAME } : {}) }), text);
      }),
      { numRuns: 400 },
    );
    fs.rmSync(file(), { force: true });
  });

  it('a config file that cannot be read (missing, a folder) is a ConfigError naming it', () => {
    for (const configFile of ['missing.json', '.', 'app.js/x.json', '\0bad']) {
      check(() => resolveConfig({ cwd, configFile }), configFile);
    }
  });
});
