import { strict as assert } from 'node:assert';
import { Backoff, CrashLoopGuard, recycleThreshold } from '../../server/pool/restart-policy';

describe('restart policy', () => {
  it('doubles the backoff up to its maximum and resets', () => {
    let b = new Backoff(100, 1000);
    const seen = [];
    for (let i = 0; i < 6; i++) {
      seen.push(b.delayMs);
      b = b.next();
    }
    assert.deepEqual(seen, [100, 200, 400, 800, 1000, 1000]);
    assert.equal(b.reset().delayMs, 100);
  });

  it('stops after the crash-loop limit inside the window only', () => {
    const g = new CrashLoopGuard(3, 1000);
    assert.equal(g.record(0), false);
    assert.equal(g.record(100), false);
    assert.equal(g.record(1500), false, 'the first two crashes left the window');
    assert.equal(g.record(1600), false);
    assert.equal(g.record(1700), true);
  });

  it('adds jitter to maxRequests and never recycles when it is 0', () => {
    assert.equal(recycleThreshold(0, 10), Infinity);
    assert.equal(recycleThreshold(100, 10, () => 0), 100);
    assert.equal(recycleThreshold(100, 10, () => 0.999), 110);
  });
});
