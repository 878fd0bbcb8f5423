import { strict as assert } from 'node:assert';
import { ReloadQueue } from '../../server/pool/reload-queue';

describe('ReloadQueue', () => {
  it('starts the first request at once', () => {
    const q = new ReloadQueue<string>();
    const batch = q.push({ kind: 'reload', reason: 'a', files: ['x.js'], waiter: 'w1' });
    assert.deepEqual(batch, { kind: 'reload', reasons: ['a'], files: ['x.js'], waiters: ['w1'] });
    assert.equal(q.busy, true);
  });

  it('coalesces any number of requests during a reload into exactly one more', () => {
    const q = new ReloadQueue<string>();
    q.push({ kind: 'reload', reason: 'a', files: [], waiter: 'w1' });
    for (let i = 0; i < 30; i++) assert.equal(q.push({ kind: 'reload', reason: 'save', files: [`f${i % 3}.js`], waiter: `w${i + 2}` }), undefined);
    const next = q.finish()!;
    assert.equal(next.waiters.length, 30);
    assert.deepEqual(next.files, ['f0.js', 'f1.js', 'f2.js']);
    assert.deepEqual(next.reasons, ['save']);
    assert.equal(q.finish(), undefined);
    assert.equal(q.busy, false);
  });

  it('lets a restart win over a reload in the same batch', () => {
    const q = new ReloadQueue<string>();
    q.push({ kind: 'reload', reason: 'a', files: [] });
    q.push({ kind: 'reload', reason: 'b', files: [] });
    q.push({ kind: 'restart', reason: 'c', files: [] });
    assert.equal(q.finish()!.kind, 'restart');
  });
});
