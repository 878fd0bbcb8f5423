/**
 * The JSON schema of smooth-reload.config.json, generated at build time (scripts/build.mjs writes
 * dist/smooth-reload.config.schema.json) from the zod schemas the master and `attach` validate
 * with, so VS Code's completion, hovers and unknown-key warnings (contributes.jsonValidation) say
 * what the master says. Descriptions come from docs/configuration.md's key tables.
 */
import { z } from 'zod';
import { AttachConfig } from '../server/attach/config';
import { ConfigSchema } from '../server/config';

type Json = { [key: string]: unknown; properties?: Record<string, Json> };

/** `| \`key.path\` | type | default | description |` rows of the doc: dotted key → description. */
export function descriptionsFromDoc(doc: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of doc.split('\n')) {
    const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
    const m = /^`([a-z$][A-Za-z0-9$.]*)`$/.exec(cells[1] ?? '');
    if (m && !m[1].startsWith('smooth-reload') && cells.length >= 6 && !out.has(m[1])) out.set(m[1], cells[4].replace(/\\\|/g, '|'));
  }
  return out;
}

function at(schema: Json, dotted: string): Json | undefined {
  let s: Json | undefined = schema;
  for (const key of dotted.split('.')) s = s?.properties?.[key];
  return s;
}

export function configJsonSchema(doc: string): Json {
  const schema = z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }) as Json;
  // The default is the Node that runs the master, not the build machine's path.
  delete schema.properties!.nodePath.default;
  schema.properties!.attach = z.toJSONSchema(AttachConfig, { io: 'input', unrepresentable: 'any' }) as Json;
  delete schema.properties!.attach.$schema;
  for (const [key, text] of descriptionsFromDoc(doc)) {
    const node = at(schema, key);
    // Links between the docs do not resolve in a hover: keep their text.
    if (node) node.markdownDescription = text.replace(/\[([^\]]*)\]\((?!https?:)[^)]*\)/g, '$1');
  }
  return { ...schema, title: 'smooth-reload.config.json', description: 'Options of the Smooth Reload master (docs/configuration.md).' };
}
