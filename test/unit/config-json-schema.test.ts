/**
 * The JSON schema VS Code checks smooth-reload.config.json with (scripts/config-schema.ts, written
 * to dist/ by the build): generated from the master's zod schemas, strict at every level like the
 * master, described from docs/configuration.md, with no build-machine defaults.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configJsonSchema } from '../../scripts/config-schema';

type Node = { type?: string; properties?: Record<string, Node>; additionalProperties?: unknown; markdownDescription?: string; default?: unknown };
const doc = fs.readFileSync(path.resolve(__dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');

function objects(node: Node, at = ''): [string, Node][] {
  if (!node.properties) return [];
  return [[at || '(root)', node], ...Object.entries(node.properties).flatMap(([k, v]) => objects(v, at ? `${at}.${k}` : k))];
}

describe('the config file JSON schema', () => {
  const schema = configJsonSchema(doc) as Node;

  it('flags unknown keys at every level, as the master does', () => {
    const open = objects(schema).filter(([, n]) => n.additionalProperties !== false).map(([k]) => k);
    assert.deepEqual(open, []);
    assert.ok(objects(schema).length >= 7, 'root, readiness, reload, reload.canary, watch, restart, attach');
  });

  it('describes every top-level and nested key from docs/configuration.md', () => {
    const missing = objects(schema).flatMap(([at, n]) => Object.entries(n.properties!).filter(([k, v]) => k !== '$schema' && !v.markdownDescription).map(([k]) => (at === '(root)' ? k : `${at}.${k}`)));
    assert.deepEqual(missing, []);
    assert.match(schema.properties!.envFile.markdownDescription!, /dotenv/);
  });

  it('has the defaults of the schema, but not the build machine\'s Node path', () => {
    assert.equal(schema.properties!.port.default, 3000);
    assert.equal(schema.properties!.nodePath.default, undefined);
  });
});
