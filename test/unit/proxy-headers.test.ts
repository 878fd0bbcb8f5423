import { strict as assert } from 'node:assert';
import type * as http from 'node:http';
import { forwardedHeaders, responseHeaders } from '../../server/front/headers';

/** What forwardedHeaders reads of a request: its raw headers and the client address. */
function request(rawHeaders: string[], remoteAddress = '127.0.0.1'): http.IncomingMessage {
  return { rawHeaders, socket: { remoteAddress } } as unknown as http.IncomingMessage;
}

describe('proxy headers', () => {
  it('forwards end-to-end headers in order and case, drops hop-by-hop ones and those Connection names', () => {
    const { headers, hasBody } = forwardedHeaders(request(['Host', 'localhost:3000', 'Connection', 'keep-alive, X-Secret', 'X-Secret', 's', 'Keep-Alive', 'timeout=5', 'accept', '*/*', 'TE', 'trailers', 'Cookie', 'a=1', 'Cookie', 'b=2']));
    assert.deepEqual(headers, ['Host', 'localhost:3000', 'accept', '*/*', 'Cookie', 'a=1', 'Cookie', 'b=2', 'X-Forwarded-For', '127.0.0.1', 'X-Forwarded-Proto', 'http', 'X-Forwarded-Host', 'localhost:3000']);
    assert.equal(hasBody, false);
  });

  it('appends the client to X-Forwarded-For once, whatever the case and number of the incoming ones', () => {
    const { headers } = forwardedHeaders(request(['x-forwarded-for', '10.0.0.1', 'X-Forwarded-For', '10.0.0.2', 'X-Forwarded-Proto', 'https', 'x-forwarded-host', 'example.test', 'host', 'h'], '127.0.0.9'));
    assert.deepEqual(headers, ['X-Forwarded-Proto', 'https', 'x-forwarded-host', 'example.test', 'host', 'h', 'X-Forwarded-For', '10.0.0.1, 10.0.0.2, 127.0.0.9']);
  });

  it('knows whether a body follows: a non-zero Content-Length or any Transfer-Encoding', () => {
    assert.equal(forwardedHeaders(request(['Content-Length', '0'])).hasBody, false);
    assert.equal(forwardedHeaders(request(['content-length', '12'])).hasBody, true);
    const chunked = forwardedHeaders(request(['Transfer-Encoding', 'chunked']));
    assert.equal(chunked.hasBody, true);
    assert.ok(!chunked.headers.includes('Transfer-Encoding'), 'the master re-frames the body itself');
  });

  it('keeps Connection and Upgrade for a WebSocket handshake', () => {
    const { headers } = forwardedHeaders(request(['Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k']), { keepUpgrade: true });
    assert.deepEqual(headers.slice(0, 6), ['Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k']);
  });

  it('passes response headers on without hop-by-hop ones, and reads the Content-Type', () => {
    const out = responseHeaders(['Content-Type', 'text/html; charset=utf-8', 'Connection', 'close, X-Internal', 'X-Internal', '1', 'Transfer-Encoding', 'chunked', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
    assert.deepEqual(out.headers, ['Content-Type', 'text/html; charset=utf-8', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
    assert.equal(out.contentType, 'text/html; charset=utf-8');
    assert.equal(responseHeaders([]).contentType, '');
  });
});
