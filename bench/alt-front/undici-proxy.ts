/**
 * The alternative to the hand-written front (issue 13): a reverse proxy built the ordinary way, on
 * `http.Server` for clients and one `undici.Pool` for the upstream, to measure our front against
 * and to run the same differential suite through.
 *
 *   npx tsx bench/alt-front/undici-proxy.ts --upstream PORT [--port 0]   (prints the port)
 *
 * What it does, and why:
 * - Parsing and its defences (smuggling, bad chunks, header limits, 400/408/413/431, Host
 *   required, Expect handled) are `http.Server`'s; the upstream side is undici's llhttp client.
 * - Keep-alive both ways: the server's defaults (5 s idle), and a Pool with one request per
 *   connection (no pipelining), as many connections as requests in flight, reused while idle
 *   (undici honours the app's `Keep-Alive: timeout` hint).
 * - Streaming both ways with back-pressure: the request (IncomingMessage) is the undici body
 *   stream; response chunks go to `res.write`, and a full client socket pauses undici's parser.
 *   A body with Content-Length keeps it (undici checks the length); a chunked one is re-chunked
 *   (an empty chunked body arrives without one: undici writes no chunked framing for no chunks).
 * - Hop-by-hop headers dropped both ways (RFC 9110 §7.6.1, the same set as the front), with the
 *   ones `Connection` names, except that Connection never removes Content-Length,
 *   Transfer-Encoding or Host (they frame the message; dropping them is request smuggling).
 *   X-Forwarded-For appended, X-Forwarded-Proto and X-Forwarded-Host set (a client's are replaced).
 * - Response trailers are passed on (to chunked responses); undici cannot send request trailers,
 *   so those are dropped. Response Transfer-Encoding codings other than chunked are kept.
 * - Upgrades: http.Server's 'upgrade' event; the request goes upstream as an upgrade, and only a
 *   101 answer turns the connection into a raw tunnel. Any other answer is written back as an
 *   ordinary response and the socket is handed back to the server as a new HTTP connection.
 *   An upgrade request's Content-Length body (up to 1 MiB) is read and sent along; a chunked one
 *   gets 400, since http.Server hands over the socket right after the head.
 * - Known differences from the app served directly, all from what undici or http.Server allow:
 *   request trailers are dropped and a request's Transfer-Encoding codings besides chunked are
 *   lost, an empty chunked body arrives unframed and a POST/PUT/PATCH without a body arrives with
 *   Content-Length: 0 (undici frames request bodies itself); `OPTIONS *` gets 502 (undici wants a path);
 *   an upgrade request with a chunked body gets 400; a refused upgrade's answer is buffered whole;
 *   a 1xx other than 103 is dropped, and a spontaneous 100 from the app is a 502 (undici);
 *   an app that destroys an upgrade socket gives the client 502 instead of a closed connection;
 *   after a refused upgrade the next pipelined request is answered (Node's server stops reading).
 * - Upstream failure before the response head: 502. After it: the client connection is destroyed
 *   (the response cannot be completed honestly). A client that goes away aborts the upstream
 *   request, which closes that upstream connection.
 */
import * as http from 'node:http';
import type * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';

/** RFC 9110 §7.6.1, plus the RFC 2616 proxy-* pair: the same set as server/front/headers.ts. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
/** Framing fields a Connection header may never remove. */
const NEVER_NOMINATED = new Set(['content-length', 'transfer-encoding', 'host']);
/** Trailer fields not passed on: framing and hop-by-hop ones (Node's own client would not add them either). */
const NOT_IN_TRAILERS = new Set([...HOP_BY_HOP, 'content-length', 'host']);

/** The lower-cased names a set of Connection header values nominates, minus the framing fields. */
function nominated(values: string[] | undefined): Set<string> | undefined {
  if (!values) return undefined;
  const out = new Set<string>();
  for (const v of values)
    for (const t of v.split(',')) {
      const name = t.trim().toLowerCase();
      if (name && !NEVER_NOMINATED.has(name)) out.add(name);
    }
  return out;
}

/** Raw [name, value, …] pairs without hop-by-hop headers and the ones Connection lists. */
function endToEnd(raw: readonly string[], skip?: (lower: string) => boolean): string[] {
  let connection: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].length === 10 && raw[i].toLowerCase() === 'connection') (connection ??= []).push(raw[i + 1]);
  const listed = nominated(connection);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i].toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed?.has(lower) || skip?.(lower)) continue;
    out.push(raw[i], raw[i + 1]);
  }
  return out;
}

const latin1 = (b: Buffer | string) => (typeof b === 'string' ? b : b.toString('latin1'));

/** Request headers for the upstream: end-to-end ones (no Expect: the server answered it), X-Forwarded-*. */
function upstreamHeaders(req: http.IncomingMessage): string[] {
  const raw = req.rawHeaders;
  let forwardedFor: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].toLowerCase() === 'x-forwarded-for') forwardedFor = forwardedFor === undefined ? raw[i + 1] : `${forwardedFor}, ${raw[i + 1]}`;
  }
  const out = endToEnd(raw, (lower) => lower === 'expect' || lower === 'x-forwarded-for' || lower === 'x-forwarded-proto' || lower === 'x-forwarded-host');
  const remote = req.socket.remoteAddress ?? '';
  out.push('X-Forwarded-For', forwardedFor ? `${forwardedFor}, ${remote}` : remote, 'X-Forwarded-Proto', 'http');
  if (req.headers.host !== undefined) out.push('X-Forwarded-Host', req.headers.host);
  return out;
}

/** Response headers for the client; keeps Transfer-Encoding when it names codings besides chunked. */
function clientHeaders(rawBuf: (Buffer | string)[]): { headers: string[]; trailerOk: boolean } {
  const raw = rawBuf.map(latin1);
  const headers = endToEnd(raw);
  let trailerOk = true;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i].toLowerCase();
    if (lower === 'transfer-encoding' && !/^\s*chunked\s*$/i.test(raw[i + 1])) headers.push(raw[i], raw[i + 1]);
    else if (lower === 'trailer') headers.push(raw[i], raw[i + 1]);
    else if (lower === 'content-length') trailerOk = false;
  }
  return { headers, trailerOk };
}

function hasBody(req: http.IncomingMessage): boolean {
  const cl = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0');
}

function badGateway(res: http.ServerResponse, err: Error): void {
  if (res.headersSent) {
    res.destroy(err);
    return;
  }
  const body = `Bad Gateway: ${(err as NodeJS.ErrnoException).code ?? err.message}\n`;
  res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** One proxied request: a legacy undici dispatch handler writing straight into `res`. */
class Exchange implements Dispatcher.DispatchHandler {
  private abortUpstream: ((err?: Error) => void) | undefined;
  private resume: (() => void) | undefined;
  private done = false;
  private trailerOk = false;

  constructor(
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
  ) {
    res.on('drain', () => this.resume?.());
    // The client went away (or the server gave up on it) before the response ended.
    res.on('close', () => {
      if (!this.done) this.abortUpstream?.(new Error('client closed'));
    });
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.res.destroyed) abort(new Error('client closed'));
    else this.abortUpstream = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[] | null, resume: () => void, statusText: string): boolean {
    const res = this.res;
    if (res.destroyed) return false;
    if (statusCode < 200) {
      // 103 Early Hints can be passed on; other 1xx (102) are dropped, as http.ServerResponse has no generic writer.
      if (statusCode === 103 && rawHeaders) {
        const raw = rawHeaders.map(latin1);
        const links: string[] = [];
        for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === 'link') links.push(raw[i + 1]);
        if (links.length) res.writeEarlyHints({ link: links });
      }
      return true;
    }
    this.resume = resume;
    const { headers, trailerOk } = clientHeaders(rawHeaders ?? []);
    this.trailerOk = trailerOk;
    res.writeHead(statusCode, statusText || undefined, headers);
    return true;
  }

  onData(chunk: Buffer): boolean {
    return this.res.write(chunk);
  }

  onComplete(trailers: Buffer[] | string[] | null): void {
    this.done = true;
    const res = this.res;
    if (trailers && trailers.length && this.trailerOk) {
      const raw = trailers.map(latin1);
      const pairs: [string, string][] = [];
      for (let i = 0; i < raw.length; i += 2) if (!NOT_IN_TRAILERS.has(raw[i].toLowerCase())) pairs.push([raw[i], raw[i + 1]]);
      if (pairs.length) res.addTrailers(pairs);
    }
    res.end();
  }

  onError(err: Error): void {
    this.done = true;
    if (this.res.destroyed) return;
    // The request body failed (client aborted or sent a bad chunk): http.Server deals with the client.
    if (this.req.errored || this.req.destroyed) {
      this.res.destroy();
      return;
    }
    badGateway(this.res, err);
  }
}

/** An upgrade request (http.Server's 'upgrade' event): tunnel on 101, an ordinary response otherwise. */
class UpgradeExchange implements Dispatcher.DispatchHandler {
  private abortUpstream: ((err?: Error) => void) | undefined;
  private refusal: { chunks: Buffer[]; status: number; statusText: string; headers: string[] } | undefined;
  private finished = false;

  constructor(
    private readonly server: http.Server,
    private readonly req: http.IncomingMessage,
    private readonly socket: Duplex,
    /** Bytes after the request (and its body): tunnel data, or the next request when refused. */
    public head: Buffer,
  ) {
    socket.on('error', () => undefined);
    socket.once('close', () => {
      if (!this.finished) this.abortUpstream?.(new Error('client closed'));
    });
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
  }

  onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, upstream: Duplex): void {
    this.finished = true;
    const client = this.socket;
    if (client.destroyed) {
      upstream.destroy();
      return;
    }
    // Connection/Upgrade are hop-by-hop but make the 101: keep the upstream's.
    const raw = (rawHeaders ?? []).map(latin1);
    let lines = `HTTP/1.1 ${statusCode} Switching Protocols\r\n`;
    for (let i = 0; i < raw.length; i += 2) lines += `${raw[i]}: ${raw[i + 1]}\r\n`;
    client.write(lines + '\r\n');
    if (this.head.length) upstream.write(this.head);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.pipe(client);
    client.pipe(upstream);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[] | null, _resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true;
    // Refused: a normal response. It is buffered (an upgrade request's answer is small) and written
    // with a Content-Length, then the connection is handed back to the server, unchanged otherwise.
    const { headers } = clientHeaders(rawHeaders ?? []);
    const kept = headers.filter((_, i, a) => (i % 2 === 0 ? !/^(content-length|transfer-encoding)$/i.test(a[i]) : !/^(content-length|transfer-encoding)$/i.test(a[i - 1])));
    this.refusal = { chunks: [], status: statusCode, statusText: statusText || http.STATUS_CODES[statusCode] || '', headers: kept };
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.refusal?.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    this.finished = true;
    const r = this.refusal;
    const socket = this.socket as net.Socket;
    if (!r || socket.destroyed) {
      socket.destroy();
      return;
    }
    const body = Buffer.concat(r.chunks);
    const bodyless = this.req.method === 'HEAD' || r.status === 204 || r.status === 304;
    const keepAlive = this.req.httpVersion === '1.1' && !/\bclose\b/i.test(String(this.req.headers.connection ?? ''));
    let lines = `HTTP/1.1 ${r.status} ${r.statusText}\r\n`;
    for (let i = 0; i < r.headers.length; i += 2) lines += `${r.headers[i]}: ${r.headers[i + 1]}\r\n`;
    if (!bodyless) lines += `Content-Length: ${body.length}\r\n`;
    lines += keepAlive ? 'Connection: keep-alive\r\n\r\n' : 'Connection: close\r\n\r\n';
    socket.write(bodyless ? lines : Buffer.concat([Buffer.from(lines, 'latin1'), body]));
    if (!keepAlive) {
      socket.end();
      return;
    }
    // Back to HTTP: the bytes that followed the head go first, then the server parses as usual.
    if (this.head.length) socket.unshift(this.head);
    this.server.emit('connection', socket);
  }

  onError(err: Error): void {
    this.finished = true;
    const socket = this.socket;
    if (socket.destroyed) return;
    const body = `Bad Gateway: ${(err as NodeJS.ErrnoException).code ?? err.message}\n`;
    socket.end(`HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
}

const MAX_UPGRADE_BODY = 1024 * 1024;

/** `length` bytes from `head` then `socket`, and what came after them; undefined if the socket ends first. */
function readExactly(socket: Duplex, head: Buffer, length: number): Promise<[Buffer, Buffer] | undefined> {
  return new Promise((resolve) => {
    const chunks = [head];
    let have = head.length;
    const finish = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      // Back to "no consumer": the bytes wait for whoever reads next (the tunnel or http.Server).
      (socket as unknown as { readableFlowing: boolean | null }).readableFlowing = null;
      const all = Buffer.concat(chunks);
      resolve([all.subarray(0, length), all.subarray(length)]);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      have += chunk.length;
      if (have >= length) finish();
    };
    const onEnd = () => {
      socket.off('data', onData);
      resolve(undefined);
    };
    if (have >= length) return finish();
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
  });
}

export interface UndiciProxy {
  port: number;
  close(): Promise<void>;
}

export async function startUndiciProxy(options: { upstreamPort: number; port?: number; host?: string }): Promise<UndiciProxy> {
  const pool = new Pool(`http://127.0.0.1:${options.upstreamPort}`, {
    connections: null,
    pipelining: 1,
    // A request in flight has no deadline (long polls, SSE), like the front (requestTimeout: 0).
    headersTimeout: 0,
    bodyTimeout: 0,
    keepAliveTimeout: 4000,
  });
  // Node's timeouts for receiving a request: 60 s for the head, 300 s for head and body. Checking every
  // second (Node: 30 s) sends the head's 408 by 61 s. requestTimeout: 0 would look like "no deadline
  // for uploads" but on Node 20 it also turns the head's deadline off (a 1 byte/s head got no 408).
  const server = http.createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
    const handler = new Exchange(req, res);
    // A chunked body goes as an async iterable: undici sends it chunked. Given the stream itself,
    // undici sends a body that already arrived whole with a Content-Length instead.
    const body = req.headers['transfer-encoding'] !== undefined ? { [Symbol.asyncIterator]: () => req[Symbol.asyncIterator]() } : hasBody(req) ? req : null;
    // (undici types a body as a stream, buffer or string; it takes any async iterable too.)
    try {
      pool.dispatch({ path: req.url!, method: req.method as Dispatcher.HttpMethod, headers: upstreamHeaders(req), body: body as Dispatcher.DispatchOptions['body'] }, handler);
    } catch (err) {
      badGateway(res, err as Error);
    }
  });
  server.on('upgrade', async (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const upgrade = req.headers.upgrade;
    const handler = new UpgradeExchange(server, req, socket, head);
    // http.Server hands the socket over at the end of the head, body or not. A Content-Length body
    // (up to 1 MiB) is read here and sent with the request; a chunked one is refused.
    const length = Number(req.headers['content-length'] ?? 0);
    if (!upgrade || req.headers['transfer-encoding'] !== undefined || length > MAX_UPGRADE_BODY) {
      socket.end(`HTTP/1.1 ${length > MAX_UPGRADE_BODY ? 413 : 400} ${http.STATUS_CODES[length > MAX_UPGRADE_BODY ? 413 : 400]}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    let body: Buffer | null = null;
    if (length > 0) {
      const read = await readExactly(socket, head, length);
      if (!read) return void socket.destroy();
      [body, handler.head] = read;
    }
    try {
      pool.dispatch({ path: req.url!, method: req.method as Dispatcher.HttpMethod, headers: upstreamHeaders(req), upgrade, body }, handler);
    } catch (err) {
      handler.onError(err as Error);
    }
  });
  // No 'clientError' listener: http.Server answers malformed or slow requests itself (400/408/431).
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await pool.destroy();
    },
  };
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const upstreamPort = Number(arg('--upstream'));
  if (!Number.isInteger(upstreamPort) || upstreamPort <= 0) {
    process.stderr.write('usage: undici-proxy.ts --upstream PORT [--port 0]\n');
    process.exit(2);
  }
  startUndiciProxy({ upstreamPort, port: Number(arg('--port') ?? 0) }).then(
    (proxy) => {
      process.stdout.write(`${proxy.port}\n`);
      const stop = () => void proxy.close().then(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    },
    (err) => {
      process.stderr.write(`${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
