/**
 * Every code the server can report has its section in docs/troubleshooting.md, and every docs link
 * a finding carries points at a heading that exists (GitHub anchors: the lowercased code).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    return e.isDirectory() ? sources(rel) : /\.ts$/.test(e.name) ? [rel] : [];
  });
}

describe('docs/troubleshooting.md', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'troubleshooting.md'), 'utf8');
  const anchors = new Set([...doc.matchAll(/^#{2,3} (SR_[A-Z0-9_]+)$/gm)].map((m) => m[1].toLowerCase()));
  const code = sources('server').map((f) => fs.readFileSync(path.join(ROOT, f), 'utf8')).join('\n');

  it('has a section for every SR_ code in server/ (attach codes live in docs/attach.md)', () => {
    const codes = new Set([...code.matchAll(/'(SR_[A-Z0-9_]+)'/g)].map((m) => m[1]).filter((c) => !c.startsWith('SR_ATTACH_')));
    const missing = [...codes].filter((c) => !anchors.has(c.toLowerCase())).sort();
    assert.deepEqual(missing, []);
  });

  it('resolves every troubleshooting.md#anchor a finding links to', () => {
    const links = new Set([...code.matchAll(/troubleshooting\.md#([a-z0-9_]+)/g)].map((m) => m[1]));
    assert.deepEqual([...links].filter((a) => !anchors.has(a)), []);
  });

  it('gives each doctor section a symptom, a cause and a fix', () => {
    const sections = doc.split(/^## /m).filter((s) => /^SR_(STALE_BUILD|STALE_CODE|PRELOADED|OPCACHE|SIGTERM|SWOOLE|UNREADABLE|ROOT_OWNED|WATCH|PORT_DENIED|MASTER_OTHER)/.test(s));
    assert.ok(sections.length >= 15, `${sections.length} doctor sections`);
    for (const s of sections) assert.match(s, /\*\*Symptom\.\*\*[\s\S]*\*\*Cause\.\*\*[\s\S]*\*\*Fix\.\*\*/, s.split('\n')[0]);
  });
});
