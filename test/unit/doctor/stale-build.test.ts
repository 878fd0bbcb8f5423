import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { checkStaleBuild } from '../../../server/doctor/checks/stale-build';
import { DIR, makeFacts } from './make-facts';

const map = (sources: string[]) => JSON.stringify({ version: 3, sources, mappings: '' });
const SAVED = 2_000_000;
const BUILT = 1_000_000;

describe('doctor: SR_STALE_BUILD', () => {
  it('reports a source saved after the compiled file the entry runs (source map beside it)', () => {
    const facts = makeFacts({
      config: { entry: 'dist/app.js' },
      files: {
        'src/app.ts': { text: 'export {}', mtimeMs: SAVED },
        'dist/app.js': { text: 'x\n//# sourceMappingURL=app.js.map', mtimeMs: BUILT },
        'dist/app.js.map': { text: map(['../src/app.ts']), mtimeMs: BUILT },
      },
    });
    const [f, ...rest] = checkStaleBuild(facts);
    assert.equal(rest.length, 0);
    assert.equal(f.code, 'SR_STALE_BUILD');
    assert.equal(f.file, path.join(DIR, 'src/app.ts'));
    assert.equal(f.line, 1);
    assert.match(f.message, /src\/app\.ts was saved 17 min after dist\/app\.js was built/);
    assert.equal(f.docs, 'docs/troubleshooting.md#sr_stale_build');
  });

  it('clean twin: the build is newer than its sources', () => {
    const facts = makeFacts({
      config: { entry: 'dist/app.js' },
      files: {
        'src/app.ts': { text: 'export {}', mtimeMs: BUILT },
        'dist/app.js': { text: 'x\n//# sourceMappingURL=app.js.map', mtimeMs: SAVED },
        'dist/app.js.map': { text: map(['../src/app.ts']), mtimeMs: SAVED },
      },
    });
    assert.deepEqual(checkStaleBuild(facts), []);
  });

  it('says nothing when the app runs the source, however old dist/ is', () => {
    const facts = makeFacts({
      config: { entry: 'src/app.js' },
      files: {
        'src/app.js': { text: '', mtimeMs: SAVED },
        'dist/app.js': { text: '//# sourceMappingURL=app.js.map', mtimeMs: BUILT },
        'dist/app.js.map': { text: map(['../src/app.js']), mtimeMs: BUILT },
      },
    });
    assert.deepEqual(checkStaleBuild(facts), []);
  });

  it('follows an inline source map and names the stale imported module, not only the entry', () => {
    const inline = `//# sourceMappingURL=data:application/json;base64,${Buffer.from(map(['../src/lib.ts'])).toString('base64')}`;
    const facts = makeFacts({
      config: { entry: 'build/main.js' },
      files: {
        'src/lib.ts': { text: '', mtimeMs: SAVED },
        'build/main.js': { text: 'require("./lib.js")', mtimeMs: BUILT },
        'build/lib.js': { text: `x\n${inline}`, mtimeMs: BUILT },
      },
    });
    assert.deepEqual(checkStaleBuild(facts).map((f) => f.file), [path.join(DIR, 'src/lib.ts')]);
  });

  it('without maps, mirrors tsconfig rootDir onto outDir (a custom outDir that package.json runs)', () => {
    const files = (tsMtime: number) => ({
      'tsconfig.json': { text: '{ // comment\n "compilerOptions": { "rootDir": "source", "outDir": "compiled", } }' },
      'source/server/index.ts': { text: '', mtimeMs: tsMtime },
      'compiled/server/index.js': { text: '', mtimeMs: BUILT },
    });
    const runs = [path.join(DIR, 'compiled/server/index.js')];
    assert.deepEqual(checkStaleBuild(makeFacts({ runs, files: files(SAVED) })).map((f) => f.file), [path.join(DIR, 'source/server/index.ts')]);
    assert.deepEqual(checkStaleBuild(makeFacts({ runs, files: files(BUILT) })), []);
  });

  it('ignores a save within a second of the build (coarse timestamps)', () => {
    const facts = makeFacts({
      config: { entry: 'dist/app.js' },
      files: {
        'src/app.ts': { text: '', mtimeMs: BUILT + 900 },
        'dist/app.js': { text: '', mtimeMs: BUILT },
        'dist/app.js.map': { text: map(['../src/app.ts']) },
      },
    });
    assert.deepEqual(checkStaleBuild(facts), []);
  });
});
