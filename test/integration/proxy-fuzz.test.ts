/**
 * Property-based test of the front: random requests (method, path and query, headers, body,
 * sized or chunked) go through the master on one keep-alive connection, and the worker must see
 * exactly what was sent (hop-by-hop headers aside) and the client must get back exactly what
 * the worker answered, whether the answer is sized, chunked, or has no body.
 */
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import fc from 'fast-check';
import { startMaster } from '../helpers/master';
import { makeProject } from '../helpers/project';

/** Answers with what it received; `x-answer` picks how: sized body, chunked body in pieces, or 204. */
const ECHO_APP = `const http = require('node:http');
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    res.setHeader('x-seen', Buffer.from(JSON.stringify({ method: req.method, url: req.url, headers: req.rawHeaders, te: req.headers['transfer-encoding'] || null })).toString('base64'));
    const answer = req.headers['x-answer'];
    if (answer === 'none') { res.statusCode = 204; return res.end(); }
    if (answer === 'chunked') {
      res.statusCode = 200;
      for (let i = 0; i < body.length; i += 1000) res.write(body.subarray(i, i + 1000));
      return res.end();
    }
    res.setHeader('Content-Length', body.length);
    res.end(body);
  });
}).listen(3000);
`;

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'upgrade', 'proxy-connection', 'trailer']);
const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/).filter((n) => !HOP_BY_HOP.has(n.toLowerCase()) && !['host', 'content-length', 'expect', 'x-answer'].includes(n.toLowerCase()) && !n.toLowerCase().startsWith('x-forwarded'));
const headerValue = fc.stringMatching(/^[!-~]([ -~]{0,40}[!-~])?$/);
const pathPart = fc.stringMatching(/^[A-Za-z0-9._~%-]{0,12}$/);

const requestArb = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
  path: fc.array(pathPart, { maxLength: 4 }).map((parts) => '/' + parts.join('/')),
  query: fc.option(fc.stringMatching(/^[A-Za-z0-9=&%._-]{0,30}$/), { nil: undefined }),
  headers: fc.array(fc.tuple(token, headerValue), { maxLength: 12 }),
  body: fc.oneof(fc.constant(Buffer.alloc(0)), fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)), fc.integer({ min: 1, max: 200_000 }).map((n) => crypto.randomBytes(n))),
  chunked: fc.boolean(),
  answer: fc.constantFrom('sized', 'chunked', 'none'),
});

type FuzzRequest = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

function send(port: number, agent: http.Agent, r: FuzzRequest) {
  return new Promise<{ status: number; body: Buffer; seen: { method: string; url: string; headers: string[]; te: string | null } }>((resolve, reject) => {
    // Headers given as a list get no Host from Node; HTTP/1.1 requires one (without it: 400, from Node's own server too).
    const headers: [string, string][] = [['Host', `127.0.0.1:${port}`], ...r.headers, ['x-answer', r.answer]];
    // Explicit either way: Node frames a GET/DELETE/OPTIONS body only when told how.
    headers.push(r.chunked ? ['Transfer-Encoding', 'chunked'] : ['Content-Length', String(r.body.length)]);
    const req = http.request({ host: '127.0.0.1', port, method: r.method, path: r.path + (r.query !== undefined ? `?${r.query}` : ''), agent, headers: headers.flat() as unknown as http.OutgoingHttpHeaders }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), seen: JSON.parse(Buffer.from(String(res.headers['x-seen']), 'base64').toString()) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (r.chunked) {
      // Several writes without a length: Node sends them chunked.
      for (let i = 0; i < r.body.length; i += 7000) req.write(r.body.subarray(i, i + 7000));
      req.end();
    } else req.end(r.body);
  });
}

describe('the front, fuzzed: what goes in comes out', function () {
  it('passes 150 random requests and answers through unchanged, on one keep-alive connection', async () => {
    const master = await startMaster(makeProject({ 'app.js': ECHO_APP }, 'proxy-fuzz'), ['app.js', '--workers', '1', '--no-watch']);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await fc.assert(
        fc.asyncProperty(requestArb, async (r) => {
          const got = await send(master.port, agent, r);
          const sentBody = r.body;
          assert.equal(got.seen.method, r.method);
          assert.equal(got.seen.url, r.path + (r.query !== undefined ? `?${r.query}` : ''));
          // Every header the client sent arrives, in order, with its case and value.
          const seenPairs: string[] = [];
          for (let i = 0; i < got.seen.headers.length; i += 2) seenPairs.push(`${got.seen.headers[i]}: ${got.seen.headers[i + 1]}`);
          const sentPairs = r.headers.map(([n, v]) => `${n}: ${v}`);
          assert.deepEqual(seenPairs.filter((p) => sentPairs.includes(p)), sentPairs.filter((p) => seenPairs.includes(p)), 'same order');
          for (const p of sentPairs) assert.ok(seenPairs.includes(p), `${p} arrived`);
          assert.equal(got.seen.te, r.chunked ? 'chunked' : null, 'the body keeps its framing');
          if (r.answer === 'none') {
            assert.equal(got.status, 204);
            assert.equal(got.body.length, 0);
          } else {
            assert.equal(got.status, 200);
            assert.ok(got.body.equals(sentBody), `body of ${sentBody.length} bytes came back (${got.body.length})`);
          }
        }),
        { numRuns: 150 },
      );
    } finally {
      agent.destroy();
    }
  });
});
