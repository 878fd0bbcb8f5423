import { strict as assert } from 'node:assert';
import { BurstCoalescer, type Burst, type BurstTimers } from '../../extension/burst';

/** A hand-driven clock: timers fire only when the test advances time. */
function fakeTimers() {
  let now = 0;
  let seq = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  const timers: BurstTimers = {
    set: (fn, ms) => {
      due.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clear: (h) => void due.delete(h as number),
    now: () => now,
  };
  const advance = (ms: number) => {
    now += ms;
    for (const [h, t] of [...due].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at <= now) {
        due.delete(h);
        t.fn();
      }
    }
  };
  return { timers, advance, pending: () => due.size };
}

describe('extension: save bursts', () => {
  it('turns "Save All" of 30 files into one reload request naming all 30', () => {
    const clock = fakeTimers();
    const bursts: Burst[] = [];
    const c = new BurstCoalescer((b) => bursts.push(b), () => 30, clock.timers);
    for (let i = 0; i < 30; i++) {
      c.add(`/p/src/f${i}.js`);
      clock.advance(0.2);
    }
    assert.equal(bursts.length, 0, 'nothing is sent while the burst is open');
    clock.advance(30);
    assert.equal(bursts.length, 1);
    assert.equal(bursts[0].files.length, 30);
    assert.equal(bursts[0].firstAt, 0, 'the burst remembers when its first save came');
    // The last save came at 5.8 (30 × 0.2, the last one before the final advance): quiet 30 ms after it.
    assert.ok(Math.abs(bursts[0].dueAt! - 35.8) < 1e-9, `due when the quiet window ended, not when the timer ran (${bursts[0].dueAt})`);
  });

  it('keeps a burst open while saves keep coming within the window (a slow "Save All")', () => {
    const clock = fakeTimers();
    const bursts: Burst[] = [];
    const c = new BurstCoalescer((b) => bursts.push(b), () => 30, clock.timers);
    for (let i = 0; i < 5; i++) {
      c.add(`/p/f${i}.js`);
      clock.advance(20);
    }
    assert.equal(bursts.length, 0);
    clock.advance(30);
    assert.deepEqual(bursts.map((b) => b.files.length), [5]);
  });

  it('waits for saves announced by willSave that are still being written', () => {
    const clock = fakeTimers();
    const bursts: Burst[] = [];
    const c = new BurstCoalescer((b) => bursts.push(b), () => 30, clock.timers);
    for (let i = 0; i < 3; i++) c.willSave(`/p/f${i}.js`);
    c.add('/p/f0.js');
    clock.advance(200);
    assert.equal(bursts.length, 0, 'f1 and f2 are still being written');
    c.add('/p/f1.js');
    clock.advance(200);
    c.add('/p/f2.js');
    clock.advance(30);
    assert.deepEqual(bursts.map((b) => b.files.length), [3]);
  });

  it('does not wait past maxWaitMs for an announced save that never completes', () => {
    const clock = fakeTimers();
    const bursts: Burst[] = [];
    const c = new BurstCoalescer((b) => bursts.push(b), () => 30, clock.timers, 500);
    c.willSave('/p/failed.js');
    c.add('/p/a.js');
    clock.advance(499);
    assert.equal(bursts.length, 0);
    clock.advance(31);
    assert.deepEqual(bursts.map((b) => b.files), [['/p/a.js']]);
  });

  it('flushes a never-ending stream of saves at maxWaitMs after its first save', () => {
    const clock = fakeTimers();
    const bursts: Burst[] = [];
    const c = new BurstCoalescer((b) => bursts.push(b), () => 30, clock.timers, 100);
    for (let i = 0; i < 10; i++) {
      c.add(`/p/f${i}.js`);
      clock.advance(20);
    }
    assert.equal(bursts.length, 2, 'one flush at 100 ms, one at 200 ms');
    assert.equal(bursts[0].files.length, 5);
    assert.equal(bursts[1].firstAt, 100);
  });

  it('names a file saved twice in one burst once', () => {
    const clock = fakeTimers();
    const bursts: Burst[] = [];
    const c = new BurstCoalescer((b) => bursts.push(b), () => 10, clock.timers);
    c.add('/p/a.js');
    c.add('/p/a.js');
    clock.advance(10);
    assert.deepEqual(bursts.map((b) => b.files), [['/p/a.js']]);
  });

  it('makes two requests for two bursts separated by more than the window', () => {
    const clock = fakeTimers();
    const bursts: Burst[] = [];
    const c = new BurstCoalescer((b) => bursts.push(b), () => 10, clock.timers);
    c.add('/p/a.js');
    clock.advance(50);
    c.add('/p/b.js');
    clock.advance(50);
    assert.deepEqual(bursts.map((b) => b.files), [['/p/a.js'], ['/p/b.js']]);
    assert.equal(bursts[1].firstAt, 50);
  });

  it('sends at once with a window of 0', () => {
    const clock = fakeTimers();
    const bursts: Burst[] = [];
    const c = new BurstCoalescer((b) => bursts.push(b), () => 0, clock.timers);
    c.add('/p/a.js');
    clock.advance(0);
    assert.equal(bursts.length, 1);
  });

  it('fire() sends what is pending now; cancel() and dispose() drop it', () => {
    const clock = fakeTimers();
    const bursts: Burst[] = [];
    const c = new BurstCoalescer((b) => bursts.push(b), () => 100, clock.timers);
    c.add('/p/a.js');
    c.fire();
    assert.equal(bursts.length, 1);
    assert.equal(bursts[0].dueAt, undefined, 'sent directly: no timer to be late');
    assert.equal(clock.pending(), 0, 'the window timer is cleared');
    c.add('/p/b.js');
    c.cancel();
    clock.advance(200);
    assert.equal(bursts.length, 1);
    c.dispose();
    c.add('/p/c.js');
    clock.advance(200);
    assert.equal(bursts.length, 1, 'a disposed coalescer ignores saves');
    assert.equal(c.pending, 0);
  });
});
