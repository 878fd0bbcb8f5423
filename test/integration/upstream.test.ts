/** Connections from the front to a worker: reused while fresh, replaced when idle too long, closed with their owner. */
import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import { IdleUpstreams } from '../../server/front/upstream';
import { waitFor } from '../helpers/processes';

describe('idle connections to a worker', () => {
  let server: net.Server;
  let port: number;
  const accepted: net.Socket[] = [];

  beforeEach(async () => {
    accepted.length = 0;
    server = net.createServer((s) => accepted.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as net.AddressInfo).port;
  });
  afterEach(async () => {
    for (const s of accepted) s.destroy();
    await new Promise((r) => server.close(r));
  });

  it('reuses the newest idle connection, opens a new one when it has idled 4 s, and closes all on destroy()', async () => {
    const pool = new IdleUpstreams();
    const a = pool.take(port);
    const b = pool.take(port);
    await waitFor('two connections', () => accepted.length === 2);
    a.release(true);
    b.release(true);
    assert.equal(pool.idleCount, 2);
    assert.equal(pool.take(port), b, 'newest first');
    b.release(true);
    // Idle long enough that a Node worker may be closing it (its keepAliveTimeout is 5 s).
    a.idleSince -= 4_500;
    b.idleSince -= 4_000;
    const fresh = pool.take(port);
    assert.notEqual(fresh, a);
    assert.notEqual(fresh, b);
    assert.equal(pool.idleCount, 0, 'the stale ones were closed, not kept');
    assert.ok(a.socket.destroyed && b.socket.destroyed);
    await waitFor('a third connection', () => accepted.length === 3);
    fresh.release(true);
    pool.destroy();
    assert.ok(fresh.socket.destroyed);
    // A connection released after destroy() is closed at once.
    const late = new IdleUpstreams();
    const c = late.take(port);
    late.destroy();
    c.release(true);
    assert.ok(c.socket.destroyed);
    assert.equal(late.idleCount, 0);
  });

  it('drops an idle connection the worker closed', async () => {
    const pool = new IdleUpstreams();
    const a = pool.take(port);
    await waitFor('the connection', () => accepted.length === 1);
    a.release(true);
    accepted[0].end();
    await waitFor('the pool to drop it', () => pool.idleCount === 0);
    assert.notEqual(pool.take(port), a);
    pool.destroy();
  });
});
