/**
 * docs/configuration.md documents every key of smooth-reload.config.json: each key of the config
 * schema (nested ones as dotted paths, the `attach` section from its own schema) appears in the
 * doc as `key.path`, no key row names a key the schema lacks, and a default the doc states as a
 * JSON literal is the schema's default.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { AttachConfig } from '../../server/attach/config';
import { ConfigSchema } from '../../server/config';

const ROOT = path.resolve(__dirname, '..', '..');

/** The schema under default/optional/nullable wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.def.innerType as z.ZodType;
  return s;
}

/** Every key of an object schema and of the object schemas below it, as dotted paths. */
function keyPaths(schema: z.ZodType, prefix = ''): string[] {
  const s = unwrap(schema);
  if (!(s instanceof z.ZodObject)) return [];
  return Object.entries(s.shape as Record<string, z.ZodType>).flatMap(([key, value]) => [`${prefix}${key}`, ...keyPaths(value, `${prefix}${key}.`)]);
}

function at(value: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), value);
}

/** Rows of the doc's tables whose first cell is one backticked lower-case key: [key, default cell]. */
function keyRows(doc: string): [string, string][] {
  const rows: [string, string][] = [];
  for (const line of doc.split('\n')) {
    const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
    const m = /^`([a-z$][A-Za-z0-9$.]*)`$/.exec(cells[1] ?? '');
    if (m && !m[1].startsWith('smooth-reload')) rows.push([m[1], cells[3] ?? '']);
  }
  return rows;
}

describe('docs/configuration.md', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'configuration.md'), 'utf8');
  const configKeys = keyPaths(ConfigSchema);
  const attachKeys = keyPaths(AttachConfig, 'attach.');
  const all = [...configKeys, ...attachKeys];

  it('finds the keys it checks (the schema walk works)', () => {
    for (const k of ['port', 'reload', 'reload.canary', 'reload.canary.maxErrorRateIncrease', 'watch.static', 'restart.crashLoopWindowMs', 'attach.preset', 'attach.usePolling']) {
      assert.ok(all.includes(k), k);
    }
  });

  it('mentions every key of the config schema, nested ones as dotted paths', () => {
    const missing = all.filter((k) => !doc.includes(`\`${k}\``));
    assert.deepEqual(missing, [], `keys not in docs/configuration.md: ${missing.join(', ')}`);
  });

  it('has no key row for a key the schema does not have', () => {
    const unknown = keyRows(doc).map(([k]) => k).filter((k) => !all.includes(k));
    assert.deepEqual(unknown, []);
  });

  it('states the schema default wherever it gives a JSON default', () => {
    const defaults = { ...ConfigSchema.parse({}), attach: AttachConfig.parse({ preset: 'gunicorn' }) };
    const wrong: string[] = [];
    for (const [key, cell] of keyRows(doc)) {
      const m = /^`(.+)`$/.exec(cell);
      if (!m) continue;
      let stated: unknown;
      try {
        stated = JSON.parse(m[1]);
      } catch {
        continue;
      }
      const actual = at(defaults, key);
      if (JSON.stringify(stated) !== JSON.stringify(actual)) wrong.push(`${key}: doc ${m[1]}, schema ${JSON.stringify(actual)}`);
    }
    assert.deepEqual(wrong, []);
  });
});
