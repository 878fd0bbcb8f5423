/** The front's exchange phases: the paths real exchanges take, and what no order of events can break. */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { INITIAL, forwardsBody, holdsBody, isFinal, takesResponseBody, transition, type ExchangeEvent, type ExchangeState, type Phase } from '../../server/front/exchange-phase';

/** Apply events, skipping the ones the phase refuses; returns the phases passed and the effects taken. */
function run(events: ExchangeEvent[], from: ExchangeState = INITIAL) {
  let state = from;
  const phases: Phase[] = [state.phase];
  const effects: string[] = [];
  const refused: ExchangeEvent[] = [];
  for (const event of events) {
    const t = transition(state, event);
    if (!t) {
      refused.push(event);
      continue;
    }
    state = t.state;
    const e = t.effects;
    if (e.upstream) effects.push(`upstream:${e.upstream}`);
    if (e.connect) effects.push('connect');
    if (e.count) effects.push('count');
    if (e.release) effects.push(`release:${e.release.failed ? 'failed' : 'ok'}`);
    if (e.finish) effects.push('finish');
    phases.push(state.phase);
  }
  return { state, phases, effects, refused };
}

const ev = {
  start: { type: 'start' },
  attach: { type: 'attach' },
  retry: { type: 'retry' },
  interim: { type: 'interim' },
  stream: { type: 'head', as: 'stream' },
  buffer: { type: 'head', as: 'buffer' },
  sse: { type: 'head', as: 'event-stream' },
  overflow: { type: 'overflow' },
  body: { type: 'body' },
  switch: { type: 'switch' },
  upgraded: { type: 'upgraded' },
  complete: { type: 'complete', keepAlive: true, failed: false },
  completeClose: { type: 'complete', keepAlive: false, failed: true },
  endStream: { type: 'end-stream' },
  answer: { type: 'answer', failed: false },
  answer502: { type: 'answer', failed: true },
  cut: { type: 'cut', failed: true },
  read: { type: 'request-read' },
  finish: { type: 'finish', closing: false },
  finishClosing: { type: 'finish', closing: true },
  gone: { type: 'gone' },
} satisfies Record<string, ExchangeEvent>;

const anyEvent: fc.Arbitrary<ExchangeEvent> = fc.oneof(
  fc.constantFrom<ExchangeEvent>(...Object.values(ev)),
  fc.record({ type: fc.constant('complete' as const), keepAlive: fc.boolean(), failed: fc.boolean() }),
  fc.record({ type: fc.constant('finish' as const), closing: fc.boolean() }),
);
/** Event orders that reach the phases deep in the machine more often than uniformly random ones do. */
const events = fc.oneof(
  fc.array(anyEvent, { maxLength: 40 }),
  fc.tuple(fc.constantFrom<ExchangeEvent[]>([ev.start, ev.attach], [ev.start, ev.attach, ev.read], [ev.start]), fc.array(anyEvent, { maxLength: 30 })).map(([a, b]) => [...a, ...b]),
);

describe('exchange phases', () => {
  it('a request without a body: worker, response streamed, connection kept for the next request', () => {
    const r = run([ev.start, ev.read, ev.attach, ev.stream, ev.body, ev.complete, ev.finish]);
    assert.deepEqual(r.phases, ['queued', 'waiting', 'waiting', 'awaiting', 'streaming', 'streaming', 'responded', 'done']);
    assert.deepEqual(r.effects, ['connect', 'count', 'upstream:keep', 'release:ok', 'finish']);
    assert.deepEqual(r.refused, []);
  });

  it('an answer before the body (413, 100-continue refused) closes the worker connection and ends only with the client connection closing', () => {
    const r = run([ev.start, ev.attach, ev.stream, ev.complete, ev.finish]);
    assert.equal(r.state.phase, 'responded', 'not done while the body may still come');
    assert.deepEqual(r.refused, [ev.finish]);
    assert.ok(r.effects.includes('upstream:close'), 'a connection whose request was not all sent is not reused');
    assert.equal(run([ev.finishClosing], r.state).state.phase, 'done');
  });

  it('100 Continue passes, then the real response', () => {
    const r = run([ev.start, ev.attach, ev.interim, ev.complete, ev.read, ev.stream, ev.complete, ev.finish]);
    assert.deepEqual(r.phases, ['queued', 'waiting', 'awaiting', 'interim', 'awaiting', 'awaiting', 'streaming', 'responded', 'done']);
    assert.deepEqual(r.effects, ['connect', 'count', 'upstream:keep', 'release:ok', 'finish']);
  });

  it('a local response, a 400 or a 503 never takes a worker', () => {
    const r = run([ev.start, ev.answer, ev.attach, ev.read, ev.finish]);
    assert.deepEqual(r.phases, ['queued', 'waiting', 'responded', 'responded', 'done']);
    assert.deepEqual(r.effects, ['finish']);
    assert.deepEqual(r.refused, [ev.attach], 'a worker found after the 503 is not used');
  });

  it('a transformed body is collected, or passes through when too big', () => {
    assert.deepEqual(run([ev.start, ev.read, ev.attach, ev.buffer, ev.body, ev.complete]).phases.slice(3), ['awaiting', 'buffering', 'buffering', 'responded']);
    assert.deepEqual(run([ev.start, ev.read, ev.attach, ev.buffer, ev.overflow, ev.body]).phases.slice(5), ['streaming', 'streaming']);
  });

  it('an upgrade answered 101 becomes a tunnel: the worker connection is handed over, not kept or closed', () => {
    const r = run([ev.start, ev.read, ev.attach, ev.switch, ev.complete, ev.upgraded]);
    assert.equal(r.state.phase, 'tunnel');
    assert.deepEqual(r.effects, ['connect', 'count', 'upstream:hand-off', 'release:ok']);
    assert.equal(transition(run([ev.start, ev.attach]).state, ev.switch), undefined, 'no 101 before the request was read');
  });

  it('an event stream stops counting as a request at its head and ends cleanly when its worker goes', () => {
    const r = run([ev.start, ev.read, ev.attach, ev.sse, ev.body, ev.endStream, ev.finish]);
    assert.deepEqual(r.phases.slice(3), ['awaiting', 'event-stream', 'event-stream', 'responded', 'done']);
    assert.deepEqual(r.effects, ['connect', 'count', 'release:ok', 'upstream:close', 'finish']);
  });

  it('retries once, on a new connection, and only before the response began', () => {
    const r = run([ev.start, ev.read, ev.attach, ev.retry, ev.retry]);
    assert.deepEqual(r.effects, ['connect', 'count', 'upstream:close', 'connect']);
    assert.deepEqual(r.refused, [ev.retry]);
    assert.equal(transition(run([ev.start, ev.read, ev.attach, ev.sse]).state, ev.retry), undefined);
    assert.equal(transition(run([ev.start, ev.answer]).state, ev.retry), undefined);
  });

  it('a response cut mid-way aborts, failed; a client that goes away aborts, not failed', () => {
    assert.deepEqual(run([ev.start, ev.read, ev.attach, ev.stream, ev.body, ev.cut]).effects.slice(2), ['upstream:close', 'release:failed']);
    assert.deepEqual(run([ev.start, ev.read, ev.attach, ev.gone]).effects.slice(2), ['upstream:close', 'release:ok']);
    assert.deepEqual(run([ev.gone]).effects, [], 'a queued exchange had nothing to give back');
  });

  it('holds the body until a worker is picked, forwards it while one has the request, drops it after', () => {
    const held: Phase[] = ['queued', 'waiting'];
    const forwarded: Phase[] = ['awaiting', 'interim', 'switching', 'buffering', 'streaming', 'event-stream'];
    for (const p of ['queued', 'waiting', 'awaiting', 'interim', 'switching', 'buffering', 'streaming', 'event-stream', 'responded', 'done', 'tunnel', 'aborted'] as Phase[]) {
      assert.equal(holdsBody(p), held.includes(p), p);
      assert.equal(forwardsBody(p), forwarded.includes(p), p);
      // The exchange asks this per response chunk instead of taking the 'body' transition: the same answer.
      assert.equal(takesResponseBody(p), transition({ ...INITIAL, phase: p }, ev.body) !== undefined, p);
    }
  });

  // ---- properties over any order of events ------------------------------------

  it('no event changes anything once done, aborted or a tunnel', () => {
    fc.assert(
      fc.property(events, anyEvent, (before, after) => {
        const { state } = run(before);
        if (!isFinal(state.phase)) return;
        assert.equal(transition(state, after), undefined);
      }),
      { numRuns: 2000 },
    );
  });

  it('the worker is counted at most once and released exactly once by the time the exchange ends', () => {
    fc.assert(
      fc.property(events, (list) => {
        const { state, effects } = run([...list, ev.gone]);
        const counted = effects.filter((e) => e === 'count').length;
        const released = effects.filter((e) => e.startsWith('release')).length;
        assert.ok(counted <= 1);
        assert.equal(released, counted, effects.join(' '));
        assert.ok(isFinal(state.phase));
        assert.equal(state.inFlight, counted ? 'released' : 'none');
      }),
      { numRuns: 2000 },
    );
  });

  it('no response event is taken after an abort (so nothing is written to the client)', () => {
    const writes = new Set(['head', 'interim', 'body', 'overflow', 'complete', 'answer', 'end-stream', 'upgraded', 'switch', 'cut']);
    fc.assert(
      fc.property(events, (list) => {
        let state = INITIAL;
        let aborted = false;
        for (const event of list) {
          const t = transition(state, event);
          if (!t) continue;
          assert.ok(!(aborted && writes.has(event.type)), `${event.type} after the abort`);
          state = t.state;
          if (state.phase === 'aborted') aborted = true;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('each connection to a worker is kept, closed or handed over: exactly one, and none left attached at the end', () => {
    fc.assert(
      fc.property(events, (list) => {
        const { state, effects } = run([...list, ev.gone]);
        let open = 0;
        for (const e of effects) {
          if (e === 'connect') {
            assert.equal(open, 0, 'a second connection while one is attached');
            open = 1;
          } else if (e.startsWith('upstream:')) {
            assert.equal(open, 1, `${e} with no connection attached`);
            open = 0;
          }
        }
        assert.equal(open, 0);
        assert.notEqual(state.upstream, 'attached');
      }),
      { numRuns: 2000 },
    );
  });

  it('a connection is kept only after a complete response to a fully read request', () => {
    fc.assert(
      fc.property(events, (list) => {
        let state = INITIAL;
        for (const event of list) {
          const t = transition(state, event);
          if (!t) continue;
          if (t.effects.upstream === 'keep') {
            assert.equal(event.type, 'complete');
            assert.ok(event.type === 'complete' && event.keepAlive && state.requestRead);
          }
          state = t.state;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('finishes once, and only with the response written and the request read or the connection closing', () => {
    fc.assert(
      fc.property(events, (list) => {
        let state = INITIAL;
        let finished = 0;
        for (const event of list) {
          const t = transition(state, event);
          if (!t) continue;
          if (t.effects.finish) {
            finished++;
            assert.equal(state.phase, 'responded');
            assert.ok(state.requestRead || (event.type === 'finish' && event.closing));
          }
          state = t.state;
        }
        assert.ok(finished <= 1);
        assert.equal(finished === 1, state.phase === 'done');
      }),
      { numRuns: 2000 },
    );
  });
});
