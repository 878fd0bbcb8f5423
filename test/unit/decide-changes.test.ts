import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import fc from 'fast-check';
import { classifyFiles, createClassifier, type ChangeBatch } from '../../server/watch/classify';
import { decideChanges } from '../../server/watch/decide';

const cwd = path.resolve('/p');
const classify = createClassifier({ cwd, paths: ['src', 'public'], ignore: ['src/notes/**'], staticDirs: ['public'], restartOn: ['src/.env'], configFile: path.join(cwd, 'smooth-reload.config.json') });

describe('classify: one classifier for the watcher, the editor and the CLI', () => {
  it('ignores what is outside "watch.paths", ignored by the user or the built-ins', () => {
    assert.equal(classify('/p/other/app.js'), 'ignored', 'outside watch.paths');
    assert.equal(classify('/elsewhere/app.js'), 'ignored', 'outside the project');
    assert.equal(classify('/p/srcs/app.js'), 'ignored', 'a sibling whose name starts like a root');
    assert.equal(classify('/p/src/notes/a.js'), 'ignored');
    assert.equal(classify('/p/src/node_modules/x.js'), 'ignored');
    assert.equal(classify('/p/src/app.js'), 'code');
    assert.equal(classify('/p/src/.env'), 'restart');
    assert.equal(classify('/p/public/a.css'), 'css');
    assert.equal(classify('/p/public/a.png'), 'asset');
  });
  it('sorts a list into a batch, ignored files beside it, each file once', () => {
    const { batch, ignored } = classifyFiles(['/p/src/a.js', '/p/src/a.js', '/p/public/a.css', '/p/x.md'], classify);
    assert.deepEqual(batch.code, ['/p/src/a.js']);
    assert.deepEqual(batch.css, ['/p/public/a.css']);
    assert.deepEqual(ignored, ['/p/x.md']);
  });
});

describe('decideChanges: what a batch does', () => {
  const batch = (b: Partial<ChangeBatch>): ChangeBatch => ({ code: [], css: [], asset: [], restart: [], config: [], ...b });
  it('restart over reload over a browser update; the config file is a note', () => {
    assert.deepEqual(decideChanges(batch({ restart: ['e'], code: ['a'], css: ['c'] })).workers, { kind: 'restart', files: ['e'] });
    assert.deepEqual(decideChanges(batch({ code: ['a'], css: ['c'] })).workers, { kind: 'reload', files: ['a'] });
    assert.deepEqual(decideChanges(batch({ css: ['c'] })).browser, { reason: 'css', files: ['c'] });
    assert.deepEqual(decideChanges(batch({ css: ['c'], asset: ['i'] })).browser, { reason: 'asset', files: ['c', 'i'] });
    const config = decideChanges(batch({ config: ['/p/smooth-reload.config.json'] }));
    assert.equal(config.config, '/p/smooth-reload.config.json');
    assert.equal(config.workers, undefined);
    assert.equal(config.browser, undefined);
  });

  const files = fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 3 });
  const batches = fc.record({ code: files, css: files, asset: files, restart: files, config: files });
  it('property: at most one action; workers act whenever code or a restartOn file changed; covered is every acted-on file', () => {
    fc.assert(
      fc.property(batches, (b) => {
        const d = decideChanges(b);
        assert.ok(!(d.workers && d.browser), 'never both a worker action and a browser-only update');
        assert.equal(!!d.workers, b.code.length + b.restart.length > 0);
        assert.equal(d.workers?.kind === 'restart', b.restart.length > 0);
        assert.equal(!!d.browser, !d.workers && b.css.length + b.asset.length > 0);
        const acted = d.workers || d.browser ? [...b.restart, ...b.code, ...b.css, ...b.asset] : [];
        assert.deepEqual(d.covered, acted);
        assert.equal(d.config, b.config[0]);
      }),
    );
  });
  it('property: the decision does not depend on how the editor and the watcher split the same files', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('/p/src/a.js', '/p/src/.env', '/p/public/a.css', '/p/public/i.png', '/p/src/notes/n.js', '/q/x.js'), { maxLength: 6 }), (list) => {
        const whole = decideChanges(classifyFiles(list, classify).batch);
        const byOne = decideChanges(classifyFiles([...list].reverse(), classify).batch);
        assert.equal(whole.workers?.kind, byOne.workers?.kind);
        assert.equal(whole.browser?.reason, byOne.browser?.reason);
      }),
    );
  });
});
