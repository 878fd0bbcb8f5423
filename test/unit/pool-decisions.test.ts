/**
 * The pool's decisions as pure modules: rollout bookkeeping, canary share and verdict, crash
 * supervision, recycling, standby policy, readiness. Examples first, then fast-check properties.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { Rollout, switchLive } from '../../server/pool/rollout';
import { CanaryShare, canaryVerdict, countsSince } from '../../server/pool/canary';
import { pickWorker, servingWorkers } from '../../server/pool/routing';
import { CrashSupervisor } from '../../server/pool/crash-supervisor';
import { shouldRecycle } from '../../server/pool/recycle';
import { ReloadQueue } from '../../server/pool/reload-queue';
import { Readiness } from '../../server/pool/readiness';
import { standbyAction, standbyOffReason, standbysToBoot } from '../../server/runners/standby-policy';

/**
 * A model of `Pool.rollAll` driven by `Rollout`: the pool's own steps (start a batch, switch on
 * success, stop the batch and restore on failure) applied to worker names. Returns every live set
 * seen, and where each started worker ended.
 */
function simulate(oldCount: number, target: number, batchSize: number, boots: boolean[], restoreOk: boolean, canary?: boolean) {
  const old = Array.from({ length: oldCount }, (_, i) => `old${i}`);
  let live = [...old];
  const seen: string[][] = [[...live]];
  const started: string[] = [];
  const stopped = new Set<string>();
  const retired = new Set<string>();
  const rollout = new Rollout(old, target, batchSize);
  let n = 0;
  let step = 0;
  const retire = (ws: string[]) => ws.forEach((w) => retired.add(w));
  if (canary && old.length) {
    const c = `new${n++}`;
    started.push(c);
    if (!boots[step++ % boots.length]) {
      stopped.add(c);
      return { live, seen, started, stopped, retired, failed: true, old };
    }
    const leaving = rollout.promoteCanary(c);
    live = switchLive(live, leaving, [c]);
    retire(leaving);
    seen.push([...live]);
  }
  for (let count = rollout.nextBatch(); count > 0; count = rollout.nextBatch()) {
    const fresh = Array.from({ length: count }, () => `new${n++}`);
    started.push(...fresh);
    const ok = fresh.every(() => boots[step++ % boots.length]);
    if (!ok) {
      fresh.forEach((w) => stopped.add(w));
      const switched = rollout.switchedWorkers(live);
      if (switched.length && restoreOk) {
        const back = switched.map((_, i) => `back${i}`);
        started.push(...back);
        live = switchLive(live, switched, back);
        retire(switched);
      }
      seen.push([...live]);
      return { live, seen, started, stopped, retired, failed: true, old };
    }
    const leaving = rollout.switchIn(fresh);
    live = switchLive(live, leaving, fresh);
    retire(leaving);
    seen.push([...live]);
  }
  const extra = rollout.leftovers();
  live = switchLive(live, extra, []);
  retire(extra);
  seen.push([...live]);
  return { live, seen, started, stopped, retired, failed: false, old };
}

const rolloutArgs = fc.record({
  oldCount: fc.integer({ min: 0, max: 6 }),
  target: fc.integer({ min: 1, max: 6 }),
  batchSize: fc.integer({ min: 0, max: 4 }),
  boots: fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
  restoreOk: fc.boolean(),
  canary: fc.boolean(),
});

describe('pool decisions', () => {
  describe('rollout', () => {
    it('switches batch by batch, as many old workers leaving as new ones join', () => {
      const r = new Rollout(['a', 'b', 'c'], 3, 2);
      assert.equal(r.nextBatch(), 2);
      assert.deepEqual(r.switchIn(['x', 'y']), ['a', 'b']);
      assert.equal(r.nextBatch(), 1);
      assert.deepEqual(r.switchIn(['z']), ['c']);
      assert.equal(r.nextBatch(), 0);
      assert.deepEqual(r.leftovers(), []);
    });

    it('starts all workers in one batch when batchSize is 0, and retires extras at the end when workers was lowered', () => {
      const r = new Rollout(['a', 'b', 'c'], 2, 0);
      assert.equal(r.nextBatch(), 2);
      assert.deepEqual(r.switchIn(['x', 'y']), ['a', 'b']);
      assert.equal(r.nextBatch(), 0);
      assert.deepEqual(r.leftovers(), ['c']);
    });

    it('after a promoted canary, the rest follow one at a time', () => {
      const r = new Rollout(['a', 'b', 'c'], 3, 0);
      assert.deepEqual(r.promoteCanary('k'), ['a']);
      assert.equal(r.nextBatch(), 1);
    });

    it('names the switched workers still live after a later batch fails (a crashed one is not restored)', () => {
      const r = new Rollout(['a', 'b', 'c'], 3, 1);
      r.switchIn(['x']);
      r.switchIn(['y']);
      assert.deepEqual(r.switchedWorkers(['c', 'y']), ['y']);
    });

    it('property: a failed boot never leaves zero serving workers while the old generation served', () => {
      fc.assert(
        fc.property(rolloutArgs, (a) => {
          const { seen, old } = simulate(a.oldCount, a.target, a.batchSize, a.boots, a.restoreOk, a.canary);
          if (!old.length) return;
          for (const live of seen) assert.ok(live.length > 0, `live set empty: ${JSON.stringify(seen)}`);
          // And never smaller than the old generation or the target, whichever is smaller.
          for (const live of seen) assert.ok(live.length >= Math.min(old.length, a.target));
        }),
      );
    });

    it('property: every started worker ends live or stopped/retired, never both, and a success serves exactly the target', () => {
      fc.assert(
        fc.property(rolloutArgs, (a) => {
          const r = simulate(a.oldCount, a.target, a.batchSize, a.boots, a.restoreOk, a.canary);
          for (const w of r.started) {
            const inLive = r.live.includes(w);
            const gone = r.stopped.has(w) || r.retired.has(w);
            assert.ok(inLive !== gone, `${w}: live ${inLive}, stopped or retired ${gone}`);
          }
          for (const w of r.old) assert.ok(r.live.includes(w) !== r.retired.has(w));
          if (!r.failed) {
            assert.equal(r.live.length, a.target);
            assert.ok(r.live.every((w) => w.startsWith('new')));
          } else if (a.restoreOk) {
            assert.ok(r.live.every((w) => !w.startsWith('new')), `a restored failure serves only old code: ${r.live}`);
          }
        }),
      );
    });

    it('property: reloads requested mid-rollout run as exactly one more batch, covering every one of them', () => {
      fc.assert(
        fc.property(fc.array(fc.constantFrom('reload', 'restart', 'rollback' as const), { minLength: 1, maxLength: 20 }), (kinds) => {
          const q = new ReloadQueue<number>();
          assert.ok(q.push({ kind: 'reload', reason: 'save', files: [], waiter: -1 }));
          kinds.forEach((kind, i) => assert.equal(q.push({ kind, reason: kind, files: [], waiter: i }), undefined));
          const next = q.finish()!;
          assert.deepEqual(next.waiters, kinds.map((_, i) => i));
          const rank = { reload: 0, restart: 1, rollback: 2 };
          assert.equal(rank[next.kind], Math.max(...kinds.map((k) => rank[k])));
          assert.equal(q.finish(), undefined);
        }),
      );
    });
  });

  describe('routing', () => {
    const w = (name: string, inFlight: number, state = 'ready') => ({ name, inFlight, state });
    it('picks the least busy ready live worker, never one that is not ready or to be avoided', () => {
      const a = w('a', 3);
      const b = w('b', 1);
      const c = w('c', 0, 'draining');
      assert.equal(pickWorker([a, b, c], undefined), b);
      assert.equal(pickWorker([a, b, c], undefined, b), a);
      assert.equal(pickWorker([c], undefined), undefined);
      assert.deepEqual(servingWorkers([a, c], w('k', 0)).map((x) => x.name), ['a', 'k']);
    });

    it('property: the canary takes its share of picks, and only while ready', () => {
      fc.assert(
        fc.property(fc.double({ min: 0.05, max: 0.95, noNaN: true }), fc.integer({ min: 20, max: 2000 }), (share, n) => {
          const live = [w('a', 0), w('b', 0)];
          const canary = { worker: w('k', 0), share: new CanaryShare(share) };
          let toCanary = 0;
          for (let i = 0; i < n; i++) if (pickWorker(live, canary) === canary.worker) toCanary++;
          assert.ok(Math.abs(toCanary - n * share) <= 1 + 1e-6, `${toCanary} of ${n} at ${share}`);
          canary.worker.state = 'exited';
          for (let i = 0; i < 10; i++) assert.notEqual(pickWorker(live, canary), canary.worker);
        }),
      );
    });
  });

  describe('canary', () => {
    it('routes every 1/share-th request', () => {
      const s = new CanaryShare(0.25);
      assert.deepEqual(Array.from({ length: 8 }, () => s.take()), [false, false, false, true, false, false, false, true]);
    });

    it('property: its share of routed requests converges to the configured share (within one request)', () => {
      fc.assert(
        fc.property(fc.double({ min: 0.01, max: 1, noNaN: true }), fc.integer({ min: 1, max: 5000 }), (share, n) => {
          const s = new CanaryShare(share);
          let taken = 0;
          for (let i = 0; i < n; i++) if (s.take()) taken++;
          assert.ok(Math.abs(taken - n * share) <= 1 + 1e-6, `${taken} of ${n} at share ${share}`);
        }),
      );
    });

    const base = { crashed: false, minRequests: 10, maxErrorRateIncrease: 0.05, old: { requests: 100, errors: 1 } };
    it('promotes a healthy canary, rolls back a failing or crashed one, and says when it could not judge', () => {
      assert.equal(canaryVerdict({ ...base, canary: { requests: 20, errors: 1 } }).kind, 'promote');
      assert.equal(canaryVerdict({ ...base, canary: { requests: 20, errors: 5 } }).kind, 'roll-back');
      assert.equal(canaryVerdict({ ...base, crashed: true, canary: { requests: 0, errors: 0 } }).kind, 'roll-back');
      assert.equal(canaryVerdict({ ...base, canary: { requests: 3, errors: 3 } }).kind, 'unjudged');
      assert.match(canaryVerdict({ ...base, canary: { requests: 20, errors: 5 } }).stats, /^5 of 20 requests failed \(25\.0%\) vs 1 of 100 \(1\.0%\) on the old generation$/);
    });

    it('counts the old generation over the window only', () => {
      assert.deepEqual(countsSince([{ requests: 5, errors: 1 }, { requests: 0, errors: 0 }], [{ requests: 9, errors: 2 }, { requests: 4, errors: 0 }]), { requests: 8, errors: 1 });
    });

    const counts = fc.integer({ min: 0, max: 1000 }).chain((requests) => fc.record({ requests: fc.constant(requests), errors: fc.integer({ min: 0, max: requests }) }));
    it('property: a crash always rolls back; more canary errors never turn a roll-back into a promotion', () => {
      fc.assert(
        fc.property(counts, counts, fc.integer({ min: 0, max: 50 }), fc.double({ min: 0, max: 1, noNaN: true }), (canary, old, minRequests, maxErrorRateIncrease) => {
          const e = { crashed: false, canary, old, minRequests, maxErrorRateIncrease };
          assert.equal(canaryVerdict({ ...e, crashed: true }).kind, 'roll-back');
          const v = canaryVerdict(e);
          if (canary.requests < minRequests) assert.equal(v.kind, 'unjudged');
          if (v.kind === 'roll-back' && canary.errors < canary.requests) {
            assert.equal(canaryVerdict({ ...e, canary: { ...canary, errors: canary.errors + 1 } }).kind, 'roll-back');
          }
        }),
      );
    });
  });

  describe('crash supervision', () => {
    it('restarts with doubling backoff, stops at the limit, and starts over after a successful reload', () => {
      const s = new CrashSupervisor(100, 300, 4, 10_000);
      assert.deepEqual([s.crashed(0), s.crashed(1), s.crashed(2)], [{ kind: 'restart', delayMs: 100 }, { kind: 'restart', delayMs: 200 }, { kind: 'restart', delayMs: 300 }]);
      assert.deepEqual(s.crashed(3), { kind: 'crash-loop', crashes: 4 });
      assert.deepEqual(s.crashed(4), { kind: 'stopped' });
      s.reset();
      assert.deepEqual(s.crashed(5), { kind: 'restart', delayMs: 100 });
    });

    const crashTimes = fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 30 }).map((ts) => ts.sort((a, b) => a - b));
    it('property: backoff is monotone and bounded', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 30_000 }), crashTimes, (initial, max, times) => {
          const s = new CrashSupervisor(initial, max, 1000, 1);
          let last = 0;
          for (const t of times) {
            const d = s.crashed(t);
            assert.equal(d.kind, 'restart');
            if (d.kind !== 'restart') return;
            assert.ok(d.delayMs >= last && d.delayMs <= max && d.delayMs >= Math.min(initial, max));
            last = d.delayMs;
          }
        }),
      );
    });

    it('property: a crash loop stops exactly at the limit within the window', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 3000 }), crashTimes, (limit, windowMs, times) => {
          const s = new CrashSupervisor(10, 100, limit, windowMs);
          // The first crash at which `limit` crashes (itself included) fall within the window.
          const stopAt = times.findIndex((t, i) => times.slice(0, i + 1).filter((u) => t - u < windowMs).length >= limit);
          times.forEach((t, i) => {
            const d = s.crashed(t);
            const want = stopAt === -1 || i < stopAt ? 'restart' : i === stopAt ? 'crash-loop' : 'stopped';
            assert.equal(d.kind, want, `crash ${i} at ${t}`);
          });
        }),
      );
    });
  });

  describe('recycling', () => {
    it('recycles a serving worker once at its threshold, never during a reload or when maxRequests is 0', () => {
      const input = { maxRequests: 10, jitter: 0, requests: 10, serving: true, reloading: false };
      assert.equal(shouldRecycle({ threshold: undefined }, { ...input, maxRequests: 0 }), false);
      assert.equal(shouldRecycle({ threshold: undefined }, { ...input, reloading: true }), false);
      assert.equal(shouldRecycle({ threshold: undefined }, { ...input, serving: false }), false);
      const state = { threshold: undefined };
      assert.equal(shouldRecycle(state, { ...input, requests: 9 }), false);
      assert.equal(shouldRecycle(state, input), true);
      assert.equal(shouldRecycle(state, { ...input, requests: 11 }), false, 'once');
    });

    it('property: the threshold is within [max, max + jitter], drawn once, and reached exactly there', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (max, jitter, r) => {
          const state = { threshold: undefined as number | undefined };
          let at = -1;
          for (let n = 1; n <= max + jitter + 1; n++) {
            if (shouldRecycle(state, { maxRequests: max, jitter, requests: n, serving: true, reloading: false }, () => r) && at === -1) at = n;
          }
          assert.ok(at >= max && at <= max + jitter, `recycled at ${at}`);
        }),
      );
    });
  });

  describe('standby policy', () => {
    it('says why standbys are off, or nothing', () => {
      const on = { enabled: true, command: false, nodeArgs: [], nodeOptions: '' };
      assert.equal(standbyOffReason(on), undefined);
      assert.equal(standbyOffReason({ ...on, enabled: false }), 'reload.standby is false');
      assert.equal(standbyOffReason({ ...on, command: true }), 'command workers start their own program');
      assert.match(standbyOffReason({ ...on, nodeOptions: '--require ./setup.js' })!, /NODE_OPTIONS preloads \.\/setup\.js/);
    });

    it('refills after a reload or replacement unless off or closing; drops on restart, problem and close', () => {
      assert.equal(standbyAction('settling', { off: false, closing: false }), 'refill');
      assert.equal(standbyAction('settling', { off: true, closing: false }), 'none');
      assert.equal(standbyAction('settling', { off: false, closing: true }), 'none');
      for (const e of ['restart', 'problem', 'close'] as const) assert.equal(standbyAction(e, { off: false, closing: false }), 'drop');
    });

    it('property: boots up to one standby per worker, never a negative count', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 100 }), (workers, kept) => {
          const n = standbysToBoot(workers, kept);
          assert.ok(n >= 0);
          assert.equal(kept + n, Math.max(workers, kept));
        }),
      );
    });
  });

  describe('readiness', () => {
    it('listen: ready when it listens; http: probe then; explicit: listening and ready() in either order', () => {
      assert.equal(new Readiness('listen').listening(3000), 'ready');
      assert.equal(new Readiness('http').listening(3000), 'probe');
      const a = new Readiness('explicit');
      assert.equal(a.ready(), 'wait');
      assert.equal(a.listening(3000), 'ready');
      const b = new Readiness('explicit');
      assert.equal(b.listening(3000), 'wait');
      assert.equal(b.ready(), 'ready');
      assert.equal(new Readiness('listen').ready(), 'wait', 'ready() alone is not listening');
    });
  });
});
