import { strict as assert } from 'node:assert';
import { latencyDuringReloads, median, percentile, ratio, reloadTiming, reloadTimings, type Sample } from '../../bench/analysis';

/** [t, version, latency, status] with latency 1 and status 200 unless given. */
const ok = (t: number, version: number, latency = 1): Sample => [t, version, latency, 200];

describe('bench analysis', () => {
  describe('reloadTiming', () => {
    it('measures save → first new and → all new, and counts old code after "done"', () => {
      const samples: Sample[] = [ok(90, 1), ok(100, 1), ok(105, 2), ok(110, 1), ok(120, 2), ok(130, 1), ok(140, 2), ok(150, 2)];
      const t = reloadTiming(samples, { version: 2, savedAt: 100, doneAt: 125 }, 1000);
      assert.equal(t.firstNewMs, 5);
      // The last old response came at 130; the first new one after it at 140.
      assert.equal(t.allNewMs, 40);
      assert.equal(t.staleAfterDone, 1);
      assert.equal(t.doneMs, 25);
      // Responses before the save do not count; the one at exactly the save does.
      assert.equal(t.oldAfterSave, 3);
    });

    it('is all new at the first new response when no old code answers after the save', () => {
      const t = reloadTiming([ok(50, 1), ok(130, 2), ok(131, 2)], { version: 2, savedAt: 100, doneAt: 120 }, 1000);
      assert.equal(t.firstNewMs, 30);
      assert.equal(t.allNewMs, 30);
      assert.equal(t.staleAfterDone, 0);
    });

    it('gives null for "done" counts when the tool has no done signal', () => {
      const t = reloadTiming([ok(130, 2)], { version: 2, savedAt: 100 }, 1000);
      assert.equal(t.staleAfterDone, null);
      assert.equal(t.doneMs, null);
    });

    it('gives null when the new code never answered in the window, or old code still answers at its end', () => {
      assert.equal(reloadTiming([ok(110, 1), ok(120, 1)], { version: 2, savedAt: 100 }, 1000).firstNewMs, null);
      const t = reloadTiming([ok(110, 2), ok(120, 1)], { version: 2, savedAt: 100 }, 1000);
      assert.equal(t.firstNewMs, 10);
      assert.equal(t.allNewMs, null);
    });

    it('ignores error responses and responses after the window', () => {
      const samples: Sample[] = [[105, -1, 1, 502], [106, 1, 1, 503], ok(110, 2), ok(2000, 1)];
      const t = reloadTiming(samples, { version: 2, savedAt: 100, doneAt: 108 }, 1000);
      assert.equal(t.firstNewMs, 10);
      assert.equal(t.allNewMs, 10);
      assert.equal(t.staleAfterDone, 0);
    });

    it('counts a later version as new (a reload that overtook the one measured)', () => {
      assert.equal(reloadTiming([ok(110, 3)], { version: 2, savedAt: 100 }, 1000).firstNewMs, 10);
    });
  });

  it('reloadTimings ends each window at the next save', () => {
    const samples: Sample[] = [ok(110, 2), ok(150, 1), ok(210, 3), ok(260, 2)];
    const [a, b] = reloadTimings(samples, [{ version: 2, savedAt: 100 }, { version: 3, savedAt: 200 }], 300);
    // The stale v1 at 150 lies in the first window; the v2 at 260 is stale for the second.
    assert.equal(a.allNewMs, null);
    assert.equal(b.firstNewMs, 10);
    assert.equal(b.allNewMs, null);
    assert.equal(b.oldAfterSave, 1);
  });

  describe('percentile and median', () => {
    it('uses the nearest rank', () => {
      const values = Array.from({ length: 100 }, (_, i) => i + 1);
      assert.equal(percentile(values, 99), 99);
      assert.equal(percentile(values, 50), 50);
      assert.equal(percentile(values, 100), 100);
      assert.equal(percentile([7], 99), 7);
      assert.equal(percentile([3, 1, 2], 0), 1);
      assert.equal(percentile([], 99), null);
    });

    it('takes the median of the numbers and skips nulls', () => {
      assert.equal(median([3, null, 1, 2]), 2);
      assert.equal(median([4, 1, 3, 2]), 2.5);
      assert.equal(median([null, undefined]), null);
    });
  });

  it('splits latency into inside and outside the reload windows, after the warm-up', () => {
    const samples: Sample[] = [ok(10, 1, 999), ok(100, 1, 5), ok(150, 1, 50), ok(250, 1, 6), [260, -1, 500, 502]];
    const r = latencyDuringReloads(samples, [140], 100, 50, 1000);
    assert.deepEqual(r, { during: 50, outside: 6, duringCount: 1, outsideCount: 2 });
  });

  it('ratio is null without a denominator', () => {
    assert.equal(ratio(1, 0), null);
    assert.equal(ratio(null, 2), null);
    assert.equal(ratio(3, 4), 0.75);
  });
});
