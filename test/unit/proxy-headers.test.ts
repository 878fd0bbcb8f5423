import { strict as assert } from 'node:assert';
import { filterTrailers, forwardedHeaders, headerValue, headerValues, responseHeaders } from '../../server/front/headers';

describe('proxy headers', () => {
  it('forwards end-to-end headers in order and case, drops hop-by-hop ones and those Connection names', () => {
    const { headers, hasBody } = forwardedHeaders(['Host', 'localhost:3000', 'Connection', 'keep-alive, X-Secret', 'X-Secret', 's', 'Keep-Alive', 'timeout=5', 'accept', '*/*', 'TE', 'trailers', 'Cookie', 'a=1', 'Cookie', 'b=2'], '127.0.0.1');
    assert.deepEqual(headers, ['Host', 'localhost:3000', 'accept', '*/*', 'Cookie', 'a=1', 'Cookie', 'b=2', 'X-Forwarded-For', '127.0.0.1', 'X-Forwarded-Proto', 'http', 'X-Forwarded-Host', 'localhost:3000']);
    assert.equal(hasBody, false);
  });

  it('appends the client to X-Forwarded-For once, and replaces a client’s X-Forwarded-Proto/Host with what the front saw', () => {
    const { headers } = forwardedHeaders(['x-forwarded-for', '10.0.0.1', 'X-Forwarded-For', '10.0.0.2', 'X-Forwarded-Proto', 'https', 'x-forwarded-host', 'example.test', 'host', 'h'], '127.0.0.9');
    assert.deepEqual(headers, ['host', 'h', 'X-Forwarded-For', '10.0.0.1, 10.0.0.2, 127.0.0.9', 'X-Forwarded-Proto', 'http', 'X-Forwarded-Host', 'h']);
  });

  it('never lets Connection nominate Content-Length or Host (the body would be read as another request)', () => {
    const { headers } = forwardedHeaders(['Host', 'x', 'Connection', 'Content-Length, host, X-Gone', 'Content-Length', '62', 'X-Gone', '1'], '127.0.0.1');
    assert.deepEqual(headers.slice(0, 4), ['Host', 'x', 'Content-Length', '62']);
    assert.ok(!headers.includes('X-Gone'));
    assert.equal(responseHeaders(['Connection', 'content-length', 'Content-Length', '3']).hasLength, true);
  });

  it('knows whether a body follows: a non-zero Content-Length or any Transfer-Encoding', () => {
    assert.equal(forwardedHeaders(['Content-Length', '0'], '127.0.0.1').hasBody, false);
    assert.equal(forwardedHeaders(['content-length', '12'], '127.0.0.1').hasBody, true);
    const chunked = forwardedHeaders(['Transfer-Encoding', 'chunked'], '127.0.0.1');
    assert.equal(chunked.hasBody, true);
    assert.equal(chunked.chunked, true);
    assert.equal(forwardedHeaders(['content-length', '12'], '127.0.0.1').chunked, false);
    // The master re-frames the body itself, keeping the codings besides chunked.
    assert.deepEqual(chunked.headers.slice(0, 2), ['Transfer-Encoding', 'chunked']);
    assert.deepEqual(forwardedHeaders(['Transfer-Encoding', 'gzip', 'transfer-encoding', 'chunked'], '127.0.0.1').headers.slice(0, 2), ['Transfer-Encoding', 'gzip, chunked']);
    assert.equal(responseHeaders(['Transfer-Encoding', 'gzip, chunked', 'Content-Length', '9']).codings, 'gzip');
    assert.equal(responseHeaders(['Transfer-Encoding', 'gzip, chunked', 'Content-Length', '9']).hasLength, false, 'chunked wins over a length');
  });

  it('adds a Host when the client sent none (HTTP/1.0), and only then', () => {
    assert.deepEqual(forwardedHeaders(['Accept', '*/*'], '127.0.0.1', { fallbackHost: () => '127.0.0.1:8080' }).headers.slice(0, 4), ['Host', '127.0.0.1:8080', 'Accept', '*/*']);
    assert.deepEqual(forwardedHeaders(['host', 'a.test'], '127.0.0.1', { fallbackHost: () => 'unused' }).headers.slice(0, 2), ['host', 'a.test']);
  });

  it('keeps Connection and Upgrade for a WebSocket handshake', () => {
    const { headers } = forwardedHeaders(['Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k'], '127.0.0.1', { keepUpgrade: true });
    assert.deepEqual(headers.slice(0, 6), ['Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k']);
  });

  it('passes response headers on without hop-by-hop ones, and reads the Content-Type', () => {
    const out = responseHeaders(['Content-Type', 'text/html; charset=utf-8', 'Connection', 'close, X-Internal', 'X-Internal', '1', 'Transfer-Encoding', 'chunked', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
    assert.deepEqual(out.headers, ['Content-Type', 'text/html; charset=utf-8', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
    assert.equal(out.contentType, 'text/html; charset=utf-8');
    assert.equal(out.hasLength, false);
    assert.equal(responseHeaders(['content-length', '3']).hasLength, true);
    assert.equal(responseHeaders([]).contentType, '');
  });

  it('passes trailers on except framing, routing and hop-by-hop fields', () => {
    assert.deepEqual(filterTrailers(['X-Checksum', 'abc', 'Connection', 'content-length', 'Content-Length', '9', 'Host', 'h', 'Transfer-Encoding', 'chunked', 'Server-Timing', 'db;dur=5']), ['X-Checksum', 'abc', 'Server-Timing', 'db;dur=5']);
  });

  it('finds a header value whatever its case, the first of several', () => {
    assert.equal(headerValue(['X-A', '1', 'content-encoding', 'gzip', 'Content-Encoding', 'br'], 'content-encoding'), 'gzip');
    assert.equal(headerValue(['X-A', '1'], 'x-b'), undefined);
    assert.deepEqual(headerValues(['CSP', 'a', 'x', '1', 'csp', 'b'], 'csp'), ['a', 'b']);
  });
});
