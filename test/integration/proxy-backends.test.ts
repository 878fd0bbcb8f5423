/** The front's connections to its workers: one idle list per worker, closed when the worker retires. */
import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import { BackendConnections, type Backend } from '../../server/front/backend';
import { waitFor } from '../helpers/processes';

function backend(id: number, port: number): Backend {
  return { id, generation: 1, port, requestStarted: () => undefined, requestFinished: () => undefined, recordFailure: () => undefined };
}

describe('the front’s connections to its workers', () => {
  const servers: net.Server[] = [];
  const accepted: net.Socket[][] = [];

  async function listen(): Promise<number> {
    const mine: net.Socket[] = [];
    const server = net.createServer((s) => mine.push(s));
    servers.push(server);
    accepted.push(mine);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return (server.address() as net.AddressInfo).port;
  }

  afterEach(async () => {
    for (const list of accepted.splice(0)) for (const s of list) s.destroy();
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  it('keeps idle connections per worker, and closes a retired worker’s: idle ones at once, busy ones when released', async () => {
    const [portA, portB] = [await listen(), await listen()];
    const a = backend(1, portA);
    const b = backend(2, portB);
    const connections = new BackendConnections();
    const a1 = connections.take(a, portA);
    const b1 = connections.take(b, portB);
    await waitFor('both connections', () => accepted[0].length === 1 && accepted[1].length === 1);
    a1.release(true);
    b1.release(true);
    assert.equal(connections.take(a, portA), a1, 'reused for its own worker');
    assert.equal(connections.take(b, portB), b1);
    const a2 = connections.take(a, portA);
    a1.release(true);
    // a2 is busy (a request on it) when its worker retires.
    connections.retire(a);
    assert.ok(a1.socket.destroyed, 'the idle one closed at once');
    assert.ok(!a2.socket.destroyed, 'the busy one finishes its response');
    a2.release(true);
    assert.ok(a2.socket.destroyed, 'and is closed, not kept, when released');
    // A request still on its way to the retired worker gets a connection that is not kept.
    const late = connections.take(a, portA);
    assert.notEqual(late, a1);
    late.release(true);
    assert.ok(late.socket.destroyed);
    // The other worker's connections are untouched.
    b1.release(true);
    assert.ok(!b1.socket.destroyed);
    assert.equal(connections.take(b, portB), b1);
    b1.destroy();
  });
});
