import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import { checkLoadedFiles } from '../../../server/doctor';

const sha1 = (s: string) => crypto.createHash('sha1').update(s).digest('hex');

describe('doctor: checkLoadedFiles (SR_STALE_CODE)', () => {
  const disk = new Map<string, string>([
    ['/app/app.js', 'console.log(2)'],
    ['/app/bom.js', '\uFEFFmodule.exports = 1'],
    ['/app/view.ts', 'export const a: number = 1'],
  ]);
  const read = (f: string) => disk.get(f);

  it('reports a file whose compiled content differs from the disk', () => {
    const findings = checkLoadedFiles([{ file: '/app/app.js', sha1: sha1('console.log(1)') }], read, { worker: 'worker 3 (pid 42)' });
    assert.equal(findings.length, 1);
    assert.equal(findings[0].code, 'SR_STALE_CODE');
    assert.equal(findings[0].file, '/app/app.js');
    assert.match(findings[0].message, /^worker 3 \(pid 42\) runs a different version of app\.js than the one on disk/);
  });

  it('clean twin: same content, a BOM Node stripped, transformed TypeScript, a deleted file', () => {
    const findings = checkLoadedFiles(
      [
        { file: '/app/app.js', sha1: sha1('console.log(2)') },
        { file: '/app/bom.js', sha1: sha1('module.exports = 1') },
        { file: '/app/view.ts', sha1: sha1('"use strict"; const a = 1') },
        { file: '/app/gone.js', sha1: sha1('x') },
      ],
      read,
    );
    assert.deepEqual(findings, []);
  });

  it('compares transformed files too when told they are comparable', () => {
    const findings = checkLoadedFiles([{ file: '/app/view.ts', sha1: sha1('other') }], read, { comparable: () => true });
    assert.equal(findings.length, 1);
  });
});
