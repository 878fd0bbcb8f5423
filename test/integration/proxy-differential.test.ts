/**
 * The front, tested differentially: the same bytes to the app served directly by Node's
 * http.Server and to the same app behind the master; what the app receives and what the client
 * gets back must be the same (test/helpers/differential.ts says what is normalized and why).
 * Hand-picked cases (each a defect once found through the front) and generated ones (fast-check
 * over framing: Content-Length / Transfer-Encoding, chunk sizes and extensions, trailers,
 * pipelining, Connection tokens, upgrade requests, and malformed variants).
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { connectTo, run, startPair, type DifferentialPair, type Outcome, type Step } from '../helpers/differential';

const CRLF = '\r\n';
const req = (lines: string[], body = '') => lines.join(CRLF) + CRLF + CRLF + body;

/** Runs the conversations against both and returns both outcomes. */
async function both(pair: DifferentialPair, conversations: Step[][], options: Parameters<typeof run>[2] = {}): Promise<{ direct: Outcome; front: Outcome }> {
  const direct = await run(pair.direct, conversations, options);
  const front = await run(pair.front, conversations, options);
  return { direct, front };
}

function assertSame(o: { direct: Outcome; front: Outcome }, what: string): void {
  assert.deepEqual(o.front.received, o.direct.received, `${what}: the app received the same requests`);
  assert.deepEqual(
    o.front.conversations.map((c) => c.responses),
    o.direct.conversations.map((c) => c.responses),
    `${what}: the client got the same responses`,
  );
}

describe('the front, differentially against Node’s own server', function () {
  this.timeout(180_000);
  let pair: DifferentialPair;
  // A pair per test: the root hooks require every process of a test gone after it.
  beforeEach(async () => {
    pair = await startPair();
  });
  afterEach(async () => {
    await pair?.close();
  });

  it('Connection cannot nominate Content-Length: a body is never read as a second request', async () => {
    const smuggled = req(['GET /smuggled HTTP/1.1', 'Host: x', 'X-Forwarded-For: 10.0.0.1']);
    assert.equal(Buffer.byteLength(smuggled), 62);
    const o = await both(pair, [[{ write: req(['POST /outer HTTP/1.1', 'Host: x', 'Connection: Content-Length', 'Content-Length: 62'], smuggled) }, { waitResponses: 1 }]]);
    assertSame(o, 'Connection: Content-Length');
    assert.deepEqual(
      o.front.received.map((r) => `${r.method} ${r.url}`),
      ['POST /outer'],
    );
    // The same through a trailer named Connection.
    const trailer = await both(pair, [[{ write: req(['POST /t HTTP/1.1', 'Host: x', 'Transfer-Encoding: chunked'], `5${CRLF}hello${CRLF}0${CRLF}Connection: content-length${CRLF}${CRLF}`) + req(['GET /after HTTP/1.1', 'Host: x']) }, { waitResponses: 2 }]]);
    assertSame(trailer, 'a Connection trailer');
  });

  it('trailers end with their message: never in another client’s response, never in the next request', async () => {
    const o = await both(pair, [
      [{ write: req(['GET /chunked HTTP/1.1', 'Host: x']) }, { waitResponses: 1 }],
      [{ write: req(['GET /plain HTTP/1.1', 'Host: x']) }, { waitResponses: 1 }],
      [{ write: req(['POST /first HTTP/1.1', 'Host: x', 'Transfer-Encoding: chunked'], `5${CRLF}hello${CRLF}0${CRLF}X-Leak: secret${CRLF}${CRLF}`) + req(['GET /second HTTP/1.1', 'Host: x']) }, { waitResponses: 2 }],
    ]);
    assertSame(o, 'trailers');
    assert.deepEqual(o.front.conversations[0].responses[0].trailers, ['x-trailer: end of /chunked']);
    assert.ok(!o.front.conversations[1].responses[0].headers.some((h) => h.startsWith('x-trailer')));
    assert.deepEqual(
      o.front.received.map((r) => `${r.method} ${r.url}`),
      ['GET /chunked', 'GET /plain', 'POST /first', 'GET /second'],
    );
    assert.deepEqual(o.front.received[2].trailers, ['x-leak: secret']);
  });

  it('a refused upgrade leaves an ordinary HTTP connection through the front', async () => {
    const upgrade = req(['GET /a HTTP/1.1', 'Host: x', 'Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA']);
    const o = await both(pair, [[{ write: upgrade }, { waitResponses: 1 }, { write: req(['GET /b HTTP/1.1', 'Host: x']) }, { waitResponses: 2 }]]);
    assertSame(o, 'h2c upgrade refused');
    assert.deepEqual(
      o.front.received.map((r) => r.url),
      ['/a', '/b'],
    );
    // The second request still went through the front (a tunnel would not add X-Forwarded-For or serve the master's paths).
    const front = await run(pair.front, [[{ write: upgrade }, { waitResponses: 1 }, { write: req(['GET /__smooth_reload/client.js HTTP/1.1', `Host: localhost:${pair.front.port}`]) }, { waitResponses: 2 }]]);
    assert.equal(front.conversations[0].responses[1].status, 200);
    assert.ok(front.conversations[0].responses[1].headers.includes('content-type: text/javascript; charset=utf-8'));
    assert.deepEqual(
      front.received.map((r) => r.url),
      ['/a'],
    );
  });

  it('aborted and malformed bodies end at once, as with Node', async () => {
    const o = await both(
      pair,
      [
        [{ write: req(['POST /upload HTTP/1.1', 'Host: x', 'Content-Length: 10485760'], 'a'.repeat(64 * 1024)) }, { pauseMs: 50 }, { end: true }],
        [{ write: req(['POST /m HTTP/1.1', 'Host: x', 'Transfer-Encoding: chunked'], `5${CRLF}hello${CRLF}ZZ${CRLF}${CRLF}`) }],
        [{ write: req(['POST /m HTTP/1.1', 'Host: x', 'Transfer-Encoding: chunked'], `5${CRLF}hello${CRLF}`) }, { pauseMs: 50 }, { write: `ZZ${CRLF}${CRLF}` }],
        [{ write: req(['POST /x HTTP/1.1', 'Host: x', 'Transfer-Encoding: xchunked'], 'hello') }],
        [{ write: req(['POST /x HTTP/1.1', 'Host: x', 'Content-Length: 5', 'Transfer-Encoding: chunked'], `5${CRLF}hello${CRLF}0${CRLF}${CRLF}`) }],
        [{ write: req(['GET /no-host HTTP/1.1']) }],
      ],
      { limitMs: 10_000, untilClosed: true },
    );
    assertSame(o, 'aborted and malformed');
    for (const [i, c] of o.front.conversations.entries()) {
      assert.equal(c.closed, true, `conversation ${i} closed`);
      assert.equal(c.responses.at(-1)?.status, 400, `conversation ${i} answered 400`);
    }
    assert.deepEqual(o.front.received, []);
  });

  it('other deviations: forwarded headers, transfer codings, an early answer', async () => {
    const o = await both(pair, [[{ write: req(['POST /gz HTTP/1.1', 'Host: x', 'Transfer-Encoding: gzip, chunked'], `3${CRLF}abc${CRLF}0${CRLF}${CRLF}`) }, { waitResponses: 1 }]]);
    assertSame(o, 'gzip, chunked');
    assert.ok(o.front.received[0].headers.includes('transfer-encoding: gzip,chunked'));

    // The client's X-Forwarded-Proto/Host are replaced by what the front saw.
    // The scheme the client really used (DIFFERENTIAL_TLS=1: https), and the other one as the lie.
    const scheme = process.env.DIFFERENTIAL_TLS === '1' ? 'https' : 'http';
    const spoof = await run(pair.front, [[{ write: req(['GET /p HTTP/1.1', 'Host: app.test', `X-Forwarded-Proto: ${scheme === 'https' ? 'http' : 'https'}`, 'X-Forwarded-Host: evil.test']) }, { waitResponses: 1 }]]);
    const raw = await import('node:fs').then((fs) => fs.readFileSync(pair.front.records, 'utf8').trim().split('\n').at(-1)!);
    const headers = (JSON.parse(raw) as { headers: string[] }).headers;
    assert.equal(spoof.conversations[0].responses[0].status, 200);
    assert.deepEqual(
      headers.filter((_, i) => i % 2 === 0 && /^x-forwarded-(proto|host)$/i.test(headers[i])).map((n) => `${n}: ${headers[headers.indexOf(n) + 1]}`),
      [`X-Forwarded-Proto: ${scheme}`, 'X-Forwarded-Host: app.test'],
    );

    // An answer before the body arrived closes the connection, and says so.
    const early = await run(pair.front, [[{ write: req(['POST /early HTTP/1.1', 'Host: x', 'Content-Length: 100000'], 'x'.repeat(1000)) }, { waitResponses: 1 }]], { limitMs: 10_000, untilClosed: true });
    assert.equal(early.conversations[0].responses[0].status, 413);
    assert.equal(early.conversations[0].closed, true);
    const head = await rawHead(pair.front.port, req(['POST /early HTTP/1.1', 'Host: x', 'Content-Length: 100000'], 'x'.repeat(1000)));
    assert.match(head, /\r\nConnection: close\r\n/i);
  });

  it('generated conversations: the app and the client see the same through the front', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(conversationArb, async (conv) => {
        runs++;
        const steps = splitSteps(conv.bytes, conv.cuts, conv.end);
        const options = conv.malformed ? { untilClosed: true, limitMs: 10_000 } : { expectResponses: conv.count, limitMs: 10_000 };
        const o = await both(pair, [steps], options);
        assert.deepEqual(o.front.received, o.direct.received, 'the app received the same requests');
        const [d, f] = [o.direct.conversations[0], o.front.conversations[0]];
        if (!conv.malformed) {
          assert.deepEqual(f.responses, d.responses, 'the client got the same responses');
          return;
        }
        // Node answers a parse error with 400 only if it wrote nothing yet; the front serves the
        // requests before the error first, then answers it. Both close.
        assert.equal(f.closed, true, 'the front closed the connection');
        assert.equal(d.closed, true, 'Node closed the connection');
        const errors = (c: typeof f) => c.responses.filter((r) => r.status >= 400).map((r) => r.status);
        if (errors(d).length) assert.deepEqual(errors(f), errors(d));
        assert.deepEqual(f.responses.slice(0, d.responses.length - errors(d).length), d.responses.slice(0, d.responses.length - errors(d).length));
      }),
      { numRuns: Number(process.env.DIFFERENTIAL_RUNS ?? 120) },
    );
    assert.ok(runs > 0);
  });
});

/** The head of the first response on a fresh connection. */
function rawHead(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connectTo(port);
    let text = '';
    s.on('data', (d) => {
      text += d.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end >= 0) {
        s.destroy();
        resolve(text.slice(0, end + 2));
      }
    });
    s.on('error', reject);
    s.write(bytes);
  });
}

// ---- generated conversations --------------------------------------------------------------

const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,10}$/).filter((n) => !/^(host|content-length|transfer-encoding|connection|upgrade|te|trailer|expect|keep-alive|proxy-connection|x-forwarded-.*|content-type|content-encoding|content-range|authorization|cookie|set-cookie|range)$/i.test(n));
const value = fc.stringMatching(/^[!-~]([ -~]{0,20}[!-~])?$/);
const segment = fc.stringMatching(/^[A-Za-z0-9._~-]{1,8}$/);
const bodyText = fc.stringMatching(/^[ -~]{0,300}$/);

interface GenRequest {
  method: string;
  path: string;
  route: '' | 'chunked';
  headers: [string, string][];
  framing: 'none' | 'length' | 'chunked';
  body: string;
  chunkSizes: number[];
  extensions: boolean;
  trailers: [string, string][];
  gzip: boolean;
  connection: string[];
}

const requestArb: fc.Arbitrary<GenRequest> = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
  path: fc.array(segment, { maxLength: 3 }).map((s) => '/' + s.join('/')),
  route: fc.constantFrom('' as const, 'chunked' as const),
  headers: fc.array(fc.tuple(token, value), { maxLength: 5 }),
  framing: fc.constantFrom('none' as const, 'length' as const, 'chunked' as const),
  body: bodyText,
  chunkSizes: fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 5 }),
  extensions: fc.boolean(),
  trailers: fc.array(fc.tuple(token, value), { maxLength: 2 }),
  gzip: fc.boolean(),
  connection: fc.subarray(['keep-alive', 'content-length', 'x-nominated']),
});

type Malformation = 'bad-chunk' | 'xchunked' | 'length-and-chunked' | 'two-lengths' | 'no-host' | 'cut-body' | 'space-before-colon' | 'bad-header-char';

function encode(r: GenRequest, options: { last: boolean; upgrade: boolean; malformed?: Malformation }): string {
  const lines = [`${r.method} ${r.route ? `/${r.route}` : ''}${r.path} HTTP/1.1`];
  if (options.malformed !== 'no-host') lines.push(options.malformed === 'space-before-colon' ? 'Host : x' : 'Host: x');
  for (const [n, v] of r.headers) lines.push(`${n}: ${v}`);
  if (options.malformed === 'bad-header-char') lines.push('X-Bad: a\x01b');
  const connection = [...r.connection];
  if (connection.includes('x-nominated')) lines.push('X-Nominated: yes');
  if (options.upgrade) {
    connection.push('upgrade');
    lines.push('Upgrade: h2c');
  }
  if (connection.length) lines.push(`Connection: ${connection.join(', ')}`);
  let body = '';
  const m = options.malformed;
  const framing = m === 'two-lengths' || m === 'cut-body' ? 'length' : m === 'bad-chunk' || m === 'xchunked' || m === 'length-and-chunked' ? 'chunked' : r.framing;
  if (framing === 'length') {
    lines.push(`Content-Length: ${Buffer.byteLength(r.body) + (options.malformed === 'cut-body' ? 50 : 0)}`);
    if (options.malformed === 'two-lengths') lines.push(`Content-Length: ${Buffer.byteLength(r.body) + 1}`);
    body = r.body;
  } else if (framing === 'chunked') {
    if (options.malformed === 'length-and-chunked') lines.push(`Content-Length: ${r.body.length}`);
    lines.push(`Transfer-Encoding: ${options.malformed === 'xchunked' ? 'xchunked' : r.gzip ? 'gzip, chunked' : 'chunked'}`);
    let rest = r.body;
    let i = 0;
    while (rest.length) {
      const size = Math.min(rest.length, r.chunkSizes[i++ % r.chunkSizes.length]);
      body += `${size.toString(16)}${r.extensions ? ';ext=1' : ''}${CRLF}${rest.slice(0, size)}${CRLF}`;
      rest = rest.slice(size);
    }
    if (options.malformed === 'bad-chunk') body += `ZZ${CRLF}${CRLF}`;
    else body += `0${CRLF}${r.trailers.map(([n, v]) => `${n}: ${v}${CRLF}`).join('')}${CRLF}`;
  }
  return lines.join(CRLF) + CRLF + CRLF + body;
}

const conversationArb = fc
  .record({
    requests: fc.array(requestArb, { minLength: 1, maxLength: 3 }),
    // An upgrade request only last: Node's own server drops bytes pipelined after one.
    upgradeLast: fc.boolean(),
    malformed: fc.option(fc.constantFrom<Malformation>('bad-chunk', 'xchunked', 'length-and-chunked', 'two-lengths', 'no-host', 'cut-body', 'space-before-colon', 'bad-header-char'), { freq: 4, nil: undefined }),
    cuts: fc.array(fc.nat(), { maxLength: 3 }),
  })
  .map(({ requests, upgradeLast, malformed, cuts }) => {
    const bytes = requests.map((r, i) => encode(r, { last: i === requests.length - 1, upgrade: upgradeLast && i === requests.length - 1 && !malformed, malformed: i === requests.length - 1 ? malformed : undefined })).join('');
    return { bytes, cuts, count: requests.length, malformed, end: malformed === 'cut-body' };
  });

/** The bytes written in pieces (cut at the given points, a moment apart), as a slow client or network would. */
function splitSteps(bytes: string, cuts: number[], end: boolean): Step[] {
  const buf = Buffer.from(bytes, 'latin1');
  const points = [...new Set(cuts.map((c) => c % buf.length))].filter((c) => c > 0).sort((a, b) => a - b);
  const steps: Step[] = [];
  let from = 0;
  for (const p of [...points, buf.length]) {
    steps.push({ write: buf.subarray(from, p) });
    if (p < buf.length) steps.push({ pauseMs: 5 });
    from = p;
  }
  if (end) steps.push({ pauseMs: 20 }, { end: true });
  return steps;
}
