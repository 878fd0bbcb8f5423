/**
 * The control client against a stand-in master (a real ws server on 127.0.0.1): a reply larger
 * than the 64 KiB request limit is still read, and a reply it cannot read ends its request with
 * an error instead of leaving the caller waiting.
 */
import { strict as assert } from 'node:assert';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { ControlClient, ControlError } from '../../server/control/client';
import { PROTOCOL_VERSION } from '../../server/protocol';

describe('control client', function () {
  let wss: WebSocketServer;
  let client: ControlClient | undefined;
  const TOKEN = 'x'.repeat(40);
  /** The protocol the stand-in announces in its hello (undefined: no hello). */
  let helloProtocol: number | undefined;

  beforeEach(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    helloProtocol = undefined;
    wss.on('connection', (ws) => {
      if (helloProtocol !== undefined) ws.send(JSON.stringify({ type: 'event', event: { kind: 'hello', protocol: helloProtocol, status: { shape: 'of another version' } } }));
      ws.on('message', (data) => {
        const { id, type } = JSON.parse(String(data)) as { id: number; type: string };
        if (type === 'status') ws.send(JSON.stringify({ type: 'reply', id, ok: true, result: { big: 'y'.repeat(200 * 1024) } }));
        else ws.send(JSON.stringify({ type: 'reply', id, ok: 'not a boolean' }));
      });
    });
  });

  afterEach(async () => {
    await client?.close();
    client = undefined;
    for (const ws of wss.clients) ws.terminate();
    await new Promise((r) => wss.close(r));
  });

  const connect = () => ControlClient.connect({ control: { host: '127.0.0.1', port: (wss.address() as AddressInfo).port }, token: TOKEN });

  it('reads a reply of 200 KiB (a status with many findings)', async () => {
    client = await connect();
    const result = await client.request<{ big: string }>({ type: 'status' });
    assert.equal(result.big.length, 200 * 1024);
  });

  it('rejects a request whose reply does not decode, naming the problem', async () => {
    client = await connect();
    await assert.rejects(client.request({ type: 'reload', reason: 'test' }), (err: ControlError) => {
      assert.equal(err.code, 'SR_BAD_MESSAGE');
      assert.match(err.message, /cannot read the master's reply: .*ok/);
      return true;
    });
  });

  it('refuses to talk to a master of another protocol version, saying what to do', async () => {
    helloProtocol = 999;
    client = await connect();
    await assert.rejects(client.request({ type: 'status' }), (err: ControlError) => {
      assert.equal(err.code, 'SR_PROTOCOL_MISMATCH');
      assert.match(err.message, new RegExp(`protocol 999 .* speaks ${PROTOCOL_VERSION}: .*start it again with this one`));
      return true;
    });
    await assert.rejects(client.request({ type: 'status' }), /protocol 999/);
  });
});
