import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { docsLink, finding } from '../../server/finding';

/**
 * One way to build a finding (server/finding.ts): every finding carries its code's docs link. A
 * finding written as an object literal elsewhere would skip that, so none may be.
 */
const SERVER = path.join(__dirname, '..', '..', 'server');
const sources = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
/** `severity: 'error'` as an object key (not a `let severity: …` type), or a hand-written docs link. */
const LITERAL = /(^\s*|[{,]\s*)(severity:\s*['"](error|warning|info)['"]|docs:\s*[`'"]docs\/)/;

describe('findings are built in one place', () => {
  it('the builder links each code to its docs section (attach codes to docs/attach.md)', () => {
    assert.equal(finding('SR_BOOT_CRASH', 'error', 'm', 'f').docs, 'docs/troubleshooting.md#sr_boot_crash');
    assert.equal(docsLink('SR_ATTACH_NO_RELOAD'), 'docs/attach.md#sr_attach_no_reload');
    assert.deepEqual(finding('SR_X', 'warning', 'm', 'f', { line: 3 }), { code: 'SR_X', severity: 'warning', message: 'm', fix: 'f', docs: 'docs/troubleshooting.md#sr_x' }, 'no line without a file');
  });
  it('no finding literal in server/ outside finding.ts (the check sees one when there is one)', () => {
    assert.ok(LITERAL.test(`{ code: 'SR_X', severity: 'error', message }`));
    assert.ok(LITERAL.test(`    severity: 'warning',`));
    assert.ok(!LITERAL.test(`let severity: 'error' | 'warning' = 'error';`));
    const offenders = sources(SERVER)
      .filter((f) => path.relative(SERVER, f) !== 'finding.ts')
      .flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').map((line, i) => ({ where: `${path.relative(SERVER, f)}:${i + 1}`, line })))
      .filter(({ line }) => LITERAL.test(line));
    assert.deepEqual(offenders.map((o) => `${o.where}: ${o.line.trim()}`), []);
  });
});
