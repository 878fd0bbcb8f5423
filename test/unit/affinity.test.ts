/** Sticky routing decisions (server/front/affinity.ts), without processes. */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { AFFINITY_COOKIE, Affinity, cookieToken, engineIoSid, handshakeSid, isEngineIoHandshake } from '../../server/front/affinity';

interface W {
  id: number;
  generation: number;
}
const req = (url: string, headers: string[] = []) => ({ method: 'GET', url, headers });

describe('affinity', () => {
  it('reads engine.io session ids from queries and handshake answers', () => {
    assert.equal(engineIoSid('/socket.io/?EIO=4&transport=polling&t=x&sid=abc_DEF-1'), 'abc_DEF-1');
    assert.equal(engineIoSid('/socket.io/?sid=abc'), undefined, 'not engine.io without EIO');
    assert.equal(engineIoSid('/x?EIO=4'), undefined);
    assert.ok(isEngineIoHandshake('/socket.io/?EIO=4&transport=polling&t=1'));
    assert.ok(!isEngineIoHandshake('/socket.io/?EIO=4&transport=polling&sid=a'));
    assert.equal(handshakeSid(Buffer.from('0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000}')), 'lv_VI97HAXpY6yYWAAAC');
    assert.equal(handshakeSid(Buffer.from('96:0{"sid":"x1","upgrades":[]}')), 'x1');
    assert.equal(handshakeSid(Buffer.from('hello')), undefined);
    assert.equal(cookieToken(['Cookie', `a=1; ${AFFINITY_COOKIE}=2.7; b=2`]), '2.7');
  });

  it('session mode: a session stays on its worker while it serves, then starts over', () => {
    const a: W = { id: 1, generation: 1 };
    const b: W = { id: 2, generation: 1 };
    let serving = [a, b];
    const affinity = new Affinity<W>('session', (w) => serving.includes(w), () => serving);
    assert.deepEqual(affinity.route(req('/socket.io/?EIO=4&transport=polling'), '1.1.1.1'), { learnSession: true });
    affinity.pin('s1', b);
    assert.equal(affinity.route(req('/socket.io/?EIO=4&transport=polling&sid=s1'), '1.1.1.1').worker, b);
    assert.equal(affinity.route(req('/socket.io/?EIO=4&transport=websocket&sid=s1'), '9.9.9.9').worker, b);
    serving = [a];
    assert.equal(affinity.route(req('/socket.io/?EIO=4&transport=polling&sid=s1'), '1.1.1.1').worker, undefined, 'its worker is gone');
    assert.equal(affinity.size, 0, 'the pin is forgotten');
    assert.equal(affinity.route(req('/plain'), '1.1.1.1').worker, undefined);
    affinity.pin('s2', a);
    affinity.pin('s3', b);
    affinity.forgetWorker(a);
    assert.equal(affinity.size, 1, 'a retired worker leaves no pin behind');
  });

  it('address and cookie modes pin on the first pick', () => {
    const a: W = { id: 1, generation: 1 };
    const b: W = { id: 2, generation: 1 };
    const serving = [a, b];
    const byAddress = new Affinity<W>('address', (w) => serving.includes(w), () => serving);
    const first = byAddress.route(req('/'), '10.0.0.1');
    assert.equal(first.worker, undefined);
    assert.equal(first.picked?.(b), undefined);
    assert.equal(byAddress.route(req('/'), '10.0.0.1').worker, b);
    assert.equal(byAddress.route(req('/'), '10.0.0.2').worker, undefined);
    const byCookie = new Affinity<W>('cookie', (w) => serving.includes(w), () => serving);
    const set = byCookie.route(req('/'), '10.0.0.1').picked?.(a);
    assert.equal(set, `${AFFINITY_COOKIE}=1.1; Path=/; HttpOnly; SameSite=Lax`);
    assert.equal(byCookie.route(req('/', ['Cookie', `${AFFINITY_COOKIE}=1.1`]), 'x').worker, a);
    assert.equal(byCookie.route(req('/', ['Cookie', `${AFFINITY_COOKIE}=9.9`]), 'x').worker, undefined, 'a stale cookie starts over');
  });

  it('never routes to a worker that does not serve, and remembers a bounded number of pins', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 3 }), fc.boolean()), { maxLength: 200 }), (ops) => {
        const workers: W[] = [0, 1, 2, 3].map((id) => ({ id, generation: 1 }));
        const alive = new Set(workers);
        const affinity = new Affinity<W>('session', (w) => alive.has(w), () => [...alive]);
        for (const [sid, index, kill] of ops) {
          if (kill) alive.delete(workers[index]);
          else affinity.pin(sid, workers[index]);
          const routed = affinity.route(req(`/socket.io/?EIO=4&sid=${encodeURIComponent(sid)}`), '').worker;
          if (routed) assert.ok(alive.has(routed));
        }
        assert.ok(affinity.size <= 10_000);
      }),
    );
  });
});
