import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { PauseWatch, pauseAwareTimeout, untilDoneOrPaused } from '../../server/pool/pause-watch';
import { pickWorker } from '../../server/pool/routing';

class FakeWorker extends EventEmitter {
  paused = false;
  pause() {
    this.paused = true;
    this.emit('paused');
  }
  resume() {
    this.paused = false;
    this.emit('resumed');
  }
}
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('debug mode: paused workers (pause-watch.ts)', () => {
  it('a silent heartbeat is a pause, the next beat a resume; nothing before the first beat', async () => {
    let now = 0;
    const changes: boolean[] = [];
    const watch = new PauseWatch(1000, (p) => changes.push(p), () => now);
    now = 100_000;
    watch.check();
    assert.deepEqual(changes, [], 'no beat yet: not judged');
    watch.beat();
    now += 3000;
    watch.check();
    assert.deepEqual(changes, [], 'three beats late is a busy loop, not a pause');
    now += 1001;
    watch.check();
    watch.check();
    assert.deepEqual(changes, [true], 'paused, once');
    watch.beat();
    assert.deepEqual(changes, [true, false]);
    now += 10_000;
    watch.check();
    watch.close();
    assert.deepEqual(changes, [true, false, true, false], 'paused again, and closing ends the pause');
  });

  it('a timeout that expires while paused waits for the resume and starts over', async () => {
    const w = new FakeWorker();
    let fired = 0;
    w.pause();
    pauseAwareTimeout(w, 10, () => fired++);
    await tick(40);
    assert.equal(fired, 0, 'paused: not fired');
    w.resume();
    await tick(2);
    assert.equal(fired, 0, 'starts over after the resume');
    await tick(30);
    assert.equal(fired, 1);
    const cancel = pauseAwareTimeout(w, 10, () => fired++);
    cancel();
    await tick(30);
    assert.equal(fired, 1, 'cancelled');
  });

  it('the reload waits for a drain only until the worker pauses', async () => {
    const w = new FakeWorker();
    let done = false;
    const waited = untilDoneOrPaused(w, new Promise(() => undefined)).then(() => (done = true));
    await tick(5);
    assert.equal(done, false);
    w.pause();
    await waited;
    assert.equal(done, true);
  });

  it('property: a request goes to a paused worker only when every ready live worker is paused', () => {
    const worker = fc.record({ state: fc.constantFrom('ready', 'starting', 'draining'), inFlight: fc.nat(5), paused: fc.boolean() });
    fc.assert(
      fc.property(fc.array(worker, { maxLength: 5 }), (live) => {
        const picked = pickWorker(live, undefined);
        const ready = live.filter((w) => w.state === 'ready');
        if (!ready.length) return assert.equal(picked, undefined);
        const running = ready.filter((w) => !w.paused);
        if (running.length) {
          assert.equal(picked?.paused, false);
          assert.equal(picked!.inFlight, Math.min(...running.map((w) => w.inFlight)), 'the least busy running worker');
        } else assert.ok(picked && ready.includes(picked));
      }),
    );
  });
});
