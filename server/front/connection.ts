/**
 * One client connection to the front, and the exchanges (request → response) it carries, one at
 * a time. Bytes are parsed with Node's HTTP parser and written back out as they are, with
 * hop-by-hop headers replaced; nothing builds IncomingMessage or ServerResponse objects.
 *
 * Each request picks the worker that is live when its head arrives, so a keep-alive client
 * moves to new workers after a reload without its connection ever being closed.
 */
import { STATUS_CODES } from 'node:http';
import type * as net from 'node:net';
import { handshakeSid, type Route } from './affinity';
import type { Backend } from './backend';
import { filterTrailers, forwardedHeaders, hasHeader, responseHeaders, type Forwarded } from './headers';
import { AfterHead, Http1Parser, LAST_CHUNK, lastChunk, serializeHead, writeBody, type MessageHead, type ParseError } from './http1';
import { tunnel, type LongConnection } from './upgrade';
import type { ResponseSink, Upstream } from './upstream';

/** A request as extensions see it. */
export interface RequestInfo {
  method: string;
  url: string;
  /** Raw [name, value, …] pairs. */
  headers: readonly string[];
}
/** A worker's response head as extensions see it (hop-by-hop headers already dropped). */
export interface ResponseInfo {
  status: number;
  headers: readonly string[];
  contentType: string;
}
/** A response the master gives itself. */
export interface LocalResponse {
  status: number;
  headers: string[];
  body: string | Buffer;
}
export type BodyTransform = (body: Buffer, headers: string[]) => { body: Buffer; headers: string[] };

/** What a connection needs from the front. */
export interface FrontContext {
  closing(): boolean;
  respond(req: RequestInfo): LocalResponse | undefined;
  /** An upgrade the master answers itself (the live-reload socket): handed over, never proxied. */
  claimsUpgrade(url: string): boolean;
  transform(req: RequestInfo, res: ResponseInfo): BodyTransform | undefined;
  pick(except?: Backend): Backend | undefined;
  /** Where a request of a pinned session must go (affinity.ts). */
  route(req: RequestInfo, remoteAddress: string): Route<Backend>;
  /** An engine.io handshake answered by `worker` opened session `sid`. */
  learnSession(sid: string, worker: Backend): void;
  waitForWorker(): Promise<Backend | undefined>;
  unavailableReason(): string;
  /** A connection to `worker` for one request: an idle one, or a new one. */
  connect(worker: Backend, port: number): Upstream;
  requestDone(worker: Backend): void;
  trackStream(worker: Backend, connection: LongConnection): void;
  /** Give the socket, with `head` to be read first, to the HTTP server that handles the master's own upgrades. */
  handOver(socket: net.Socket, head: Buffer): void;
  forget(connection: ClientConnection): void;
}

/** Idle keep-alive connections close after this (Node's `keepAliveTimeout` default). */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** The most a connection buffers of a request body while no worker is ready; then it stops reading. */
const MAX_HELD_BODY_BYTES = 1024 * 1024;
/** The most an extension's transform buffers; a larger response passes through untouched. */
export const MAX_TRANSFORM_BYTES = 16 * 1024 * 1024;
const RETRYABLE = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED']);

/** Node's http.Server answers for the parse errors it names (anything else: 400). */
const ERROR_STATUS: Record<string, number> = { HPE_HEADER_OVERFLOW: 431, HPE_CHUNK_EXTENSIONS_OVERFLOW: 413, HEAD_TIMEOUT: 408 };

function statusLine(status: number, message?: string): string {
  return `HTTP/1.1 ${status} ${message || STATUS_CODES[status] || 'Unknown'}`;
}

export class ClientConnection {
  private readonly parser: Http1Parser;
  /** The first is being served; the rest were pipelined behind it. Started one at a time, in order. */
  private readonly exchanges: Exchange[] = [];
  /** An upgrade the master answers itself: the socket is handed over once the exchanges before it are done. */
  private upgradeHead: MessageHead | undefined;
  private upgradeRest: Buffer | undefined;
  /**
   * Bytes after a proxied upgrade request, not parsed: the new protocol if the worker switches,
   * more HTTP requests if it refuses (then parsed as such).
   */
  private afterUpgrade: Buffer | undefined;
  /** When the first byte of a request head arrived (0: not inside a head), for the head deadline. */
  private headStartedAt = 0;
  /** After a parse error nothing more is read; this status answers once the exchanges before it are done. */
  private failedStatus = 0;
  private clientEnded = false;
  /** We half-closed: whatever the client still sends is not read as requests. */
  private ending = false;
  private gone = false;
  private closeTimer: NodeJS.Timeout | undefined;
  private readonly pauses = new Set<string>();

  constructor(
    readonly socket: net.Socket,
    readonly ctx: FrontContext,
  ) {
    this.parser = new Http1Parser('request', {
      begin: () => (this.headStartedAt = Date.now()),
      head: (head) => this.onHead(head),
      body: (chunk) => this.exchanges[this.exchanges.length - 1]?.requestBody(chunk),
      complete: (trailers) => this.exchanges[this.exchanges.length - 1]?.requestComplete(trailers),
    });
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', noop);
    socket.on('close', this.onClose);
    socket.setTimeout(KEEP_ALIVE_TIMEOUT_MS, this.onTimeout);
  }

  get idle(): boolean {
    return this.exchanges.length === 0 && !this.upgradeHead;
  }

  /** For a stopping front: close now if nothing is in flight (else after the current response). */
  closeIfIdle(): void {
    if (this.idle && !this.gone && !this.ending) this.end();
  }

  /** A head still incomplete `limitMs` after its first byte gets 408 (Node's `headersTimeout`). */
  checkHeadDeadline(now: number, limitMs: number): void {
    if (this.headStartedAt && now - this.headStartedAt >= limitMs && !this.failedStatus && !this.ending && !this.gone) {
      this.badRequest(Object.assign(new Error('the request head did not arrive in time'), { code: 'HEAD_TIMEOUT' }));
    }
  }

  pause(reason: string): void {
    this.pauses.add(reason);
    this.socket.pause();
  }

  resume(reason: string): void {
    if (!this.pauses.delete(reason) || this.pauses.size || this.upgradeHead || this.failedStatus) return;
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** An exchange wrote its whole response and read its whole request. */
  exchangeDone(exchange: Exchange): void {
    this.exchanges.shift();
    if (exchange.closeConnection) {
      for (const queued of this.exchanges.splice(0)) queued.clientGone();
      return this.end();
    }
    if (exchange.upgrade && this.afterUpgrade) {
      // The worker refused the upgrade: what followed the request is HTTP again.
      const rest = this.afterUpgrade;
      this.afterUpgrade = undefined;
      if (rest.length) this.feed(rest);
      if (this.gone || this.ending) return;
      this.resume('upgrade');
    }
    const next = this.exchanges[0];
    if (next) {
      if (this.exchanges.length === 1) this.resume('pipelined');
      if (!next.started) next.start();
      return;
    }
    if (this.failedStatus) return this.answerAndClose(this.failedStatus);
    if (this.upgradeHead) return this.handOver();
    if (this.clientEnded || this.ctx.closing()) return this.end();
    this.socket.setTimeout(KEEP_ALIVE_TIMEOUT_MS);
  }

  /** The worker switched protocols: the socket leaves HTTP and becomes a tunnel to it. */
  becomeTunnel(upstream: net.Socket, fromWorker: Buffer): LongConnection {
    const fromClient = this.afterUpgrade ?? Buffer.alloc(0);
    this.afterUpgrade = undefined;
    this.release();
    return tunnel(this.socket, upstream, fromWorker, fromClient);
  }

  /** Half-close (our responses are all written); the client closes its side on reading the end. */
  private end(): void {
    this.ending = true;
    this.headStartedAt = 0;
    this.socket.setTimeout(0);
    this.socket.end();
    // A client that never closes its side is not waited for.
    this.closeTimer ??= setTimeout(() => this.socket.destroy(), KEEP_ALIVE_TIMEOUT_MS).unref();
  }

  private readonly onData = (data: Buffer): void => {
    if (this.ending || this.failedStatus) return;
    this.feed(data);
  };

  /** Parse client bytes; an exchange starts only once the bytes of its head parsed without error. */
  private feed(data: Buffer): void {
    const parsed = this.parser.execute(data);
    if (typeof parsed !== 'number') return this.badRequest(parsed);
    if (this.upgradeHead) {
      // The parser stopped after the upgrade's head; what follows belongs to the upgrade.
      this.upgradeRest = data.subarray(parsed);
      this.socket.pause();
      if (this.exchanges.length === 0) this.handOver();
      return;
    }
    const last = this.exchanges[this.exchanges.length - 1];
    if (last?.upgrade && last.requestDone && !this.afterUpgrade) {
      // The parser stops after an upgrade request: nothing more is read until the worker answers it.
      this.afterUpgrade = data.subarray(parsed);
      this.pause('upgrade');
    }
    const first = this.exchanges[0];
    if (first && !first.started) {
      this.socket.setTimeout(0);
      first.start();
    }
  }

  private onHead(head: MessageHead): AfterHead {
    this.headStartedAt = 0;
    // Pipelined behind a request after which the connection closes: not served.
    if (this.ending) return AfterHead.Body;
    if (head.upgrade && (head.method === 'CONNECT' || this.ctx.claimsUpgrade(head.url))) {
      this.upgradeHead = head;
      return AfterHead.Upgrade;
    }
    // A proxied upgrade is an ordinary exchange until the worker answers 101.
    this.exchanges.push(new Exchange(this, head));
    if (this.exchanges.length > 1) this.pause('pipelined');
    return AfterHead.Body;
  }

  /** Stop handling the socket (it is handed over or tunnelled). */
  private release(): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onClose);
    this.socket.off('error', noop);
    this.socket.setTimeout(0);
    this.ctx.forget(this);
    setImmediate(() => this.parser.close());
  }

  private handOver(): void {
    const head = this.upgradeHead!;
    this.release();
    const startLine = `${head.method} ${head.url} HTTP/${head.versionMajor}.${head.versionMinor}`;
    const bytes = Buffer.from(serializeHead(startLine, head.headers), 'latin1');
    this.ctx.handOver(this.socket, this.upgradeRest?.length ? Buffer.concat([bytes, this.upgradeRest]) : bytes);
  }

  /**
   * Malformed bytes, a cut message or a head past its deadline: nothing more is read. Requests
   * whole before the error are served; the request it cut short never reaches a worker (not
   * started yet) or is aborted there; then the client gets the error status and the connection closes.
   */
  private badRequest(err: ParseError): void {
    this.failedStatus = ERROR_STATUS[err.code ?? ''] ?? 400;
    this.headStartedAt = 0;
    this.afterUpgrade = undefined;
    this.socket.pause();
    const last = this.exchanges[this.exchanges.length - 1];
    if (last && !last.requestDone) {
      if (last.started) return last.abort(this.failedStatus);
      this.exchanges.pop();
    }
    const first = this.exchanges[0];
    if (!first) return this.answerAndClose(this.failedStatus);
    if (!first.started) first.start();
  }

  private answerAndClose(status: number): void {
    if (this.socket.writable) this.socket.write(serializeHead(statusLine(status), ['Connection', 'close', 'Content-Length', '0']));
    this.end();
  }

  private readonly onTimeout = (): void => {
    if (this.exchanges.length) return;
    // Like Node's headersTimeout/keepAliveTimeout: a stalled head gets 408, an idle connection just closes.
    if (this.headStartedAt) this.badRequest(Object.assign(new Error('the request head stalled'), { code: 'HEAD_TIMEOUT' }));
    else this.end();
  };

  private readonly onEnd = (): void => {
    this.clientEnded = true;
    if (this.ending || this.failedStatus) return;
    // A message cut off by the end (a partial head, a body shorter than announced) is an error, as in http.Server.
    const cut = this.parser.finish();
    if (cut) return this.badRequest(cut);
    if (this.exchanges.length === 0 && !this.upgradeHead) this.end();
  };

  private readonly onClose = (): void => {
    this.gone = true;
    // The timer would keep the socket and everything it references alive for its 5 s.
    clearTimeout(this.closeTimer);
    for (const exchange of this.exchanges.splice(0)) exchange.clientGone();
    setImmediate(() => this.parser.close());
    this.ctx.forget(this);
  };
}

class Exchange implements ResponseSink {
  private readonly ctx: FrontContext;
  private readonly request: RequestInfo;
  private readonly forwarded: Forwarded;
  private readonly http10: boolean;
  private readonly clientKeepAlive: boolean;
  /** HTTP/1.1 requires Host; http.Server answers 400 without one. */
  private readonly missingHost: boolean;
  /** Asks to switch protocols (WebSocket…): proxied, and tunnelled if the worker answers 101. */
  readonly upgrade: boolean;
  /** Close the client connection after this response. */
  closeConnection = false;
  started = false;
  requestDone = false;

  private worker: Backend | undefined;
  private route: Route<Backend> | undefined;
  /** Set-Cookie for cookie affinity, added to the worker's response head. */
  private affinityCookie: string | undefined;
  private upstream: Upstream | undefined;
  private isRetry = false;
  private startedAt = 0;
  private settled = false;
  private finished = false;
  private gone = false;

  /** Body bytes that arrived before a worker was picked. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private requestTrailers: string[] = [];
  /** The request body is no longer wanted (answered locally, or the worker is gone). */
  private discardBody = false;
  private upstreamFull = false;
  /** The connection to the worker had carried a response before this request. */
  private upstreamReused = false;

  private status = 0;
  private upstreamKeepAlive = false;
  private interim = false;
  private headSent = false;
  /** A head built but not yet written: it goes out with the first body bytes, in one write. */
  private pendingHead: string | undefined;
  private chunked = false;
  private responseDone = false;
  private isStream = false;
  private resolveStreamClosed: (() => void) | undefined;
  private statusMessage = '';
  /** The worker's 101 head, while its upstream connection is being turned into a tunnel. */
  private switching: MessageHead | undefined;
  /** Transfer codings of the worker's body other than chunked (e.g. gzip), kept when it is re-chunked. */
  private codings = '';
  private buffering: { transform: BodyTransform; headers: string[]; hasLength: boolean; chunks: Buffer[]; size: number } | undefined;
  private clientFull = false;

  constructor(
    private readonly conn: ClientConnection,
    head: MessageHead,
  ) {
    this.ctx = conn.ctx;
    this.request = { method: head.method, url: head.url, headers: head.headers };
    this.upgrade = head.upgrade;
    this.forwarded = forwardedHeaders(head.headers, conn.socket.remoteAddress ?? '', { keepUpgrade: head.upgrade, fallbackHost: () => `${conn.socket.localAddress}:${conn.socket.localPort}` });
    this.http10 = head.versionMajor === 1 && head.versionMinor === 0;
    this.missingHost = !this.http10 && !hasHeader(head.headers, 'host');
    this.clientKeepAlive = head.keepAlive;
  }

  private get client(): net.Socket {
    return this.conn.socket;
  }

  // ---- the request ------------------------------------------------------------

  start(): void {
    this.started = true;
    if (this.missingHost) {
      this.discardBody = true;
      return this.writeSimple(400, [], '', true);
    }
    const local = this.ctx.respond(this.request);
    if (local) {
      this.discardBody = true;
      this.writeSimple(local.status, local.headers, local.body);
      return;
    }
    this.route = this.ctx.route(this.request, this.client.remoteAddress ?? '');
    const worker = this.route.worker ?? this.ctx.pick();
    if (worker) return this.attach(worker);
    void this.ctx.waitForWorker().then((w) => {
      if (this.gone || this.responseDone) return;
      if (w) return this.attach(w);
      this.discardBody = true;
      this.dropHeld();
      const body = `Smooth Reload: no worker is ready to serve this request.\n${this.ctx.unavailableReason()}\n`;
      this.writeSimple(503, ['Content-Type', 'text/plain; charset=utf-8', 'Retry-After', '1'], body);
    });
  }

  private attach(worker: Backend): void {
    if (!this.isRetry) {
      worker.requestStarted();
      this.startedAt = Date.now();
    }
    this.worker = worker;
    if (this.route && worker !== this.route.worker) this.affinityCookie = this.route.picked?.(worker);
    const port = worker.port;
    if (port === undefined) return this.onUpstreamFailure(Object.assign(new Error('the worker has no port'), { code: 'ECONNREFUSED' }));
    const upstream = this.ctx.connect(worker, port);
    this.upstream = upstream;
    this.upstreamReused = upstream.reused;
    upstream.sink = this;
    const socket = upstream.socket;
    socket.cork();
    socket.write(serializeHead(`${this.request.method} ${this.request.url} HTTP/1.1`, this.forwarded.headers), 'latin1');
    for (const chunk of this.held) this.writeUp(chunk);
    if (this.requestDone && this.forwarded.chunked) socket.write(lastChunk(this.requestTrailers));
    socket.uncork();
    this.dropHeld();
  }

  private dropHeld(): void {
    this.held = [];
    this.heldBytes = 0;
    this.conn.resume('held body');
  }

  requestBody(chunk: Buffer): void {
    if (this.discardBody) return;
    if (!this.upstream) {
      this.held.push(chunk);
      this.heldBytes += chunk.length;
      if (this.heldBytes > MAX_HELD_BODY_BYTES) this.conn.pause('held body');
      return;
    }
    this.writeUp(chunk);
  }

  requestComplete(trailers: string[]): void {
    this.requestDone = true;
    if (trailers.length) this.requestTrailers = filterTrailers(trailers);
    if (this.upstream && !this.discardBody && this.forwarded.chunked) this.upstream.socket.write(lastChunk(this.requestTrailers));
    this.maybeFinished();
  }

  private writeUp(chunk: Buffer): void {
    const socket = this.upstream!.socket;
    const ok = writeBody(socket, chunk, this.forwarded.chunked);
    if (ok || this.upstreamFull) return;
    // The worker reads slower than the client sends: stop reading the client until it catches up.
    this.upstreamFull = true;
    this.conn.pause('worker busy');
    socket.once('drain', this.onUpstreamDrain);
  }

  private readonly onUpstreamDrain = (): void => {
    this.upstreamFull = false;
    this.conn.resume('worker busy');
  };

  private readonly onClientDrain = (): void => {
    this.clientFull = false;
    this.upstream?.socket.resume();
  };

  /** Stop using the connection to the worker: undo any back-pressure pauses on either side. */
  private detachUpstream(): Upstream | undefined {
    const upstream = this.upstream;
    this.upstream = undefined;
    if (this.upstreamFull) {
      upstream?.socket.off('drain', this.onUpstreamDrain);
      this.onUpstreamDrain();
    }
    if (this.clientFull) {
      this.client.off('drain', this.onClientDrain);
      this.clientFull = false;
      upstream?.socket.resume();
    }
    return upstream;
  }

  // ---- the response (ResponseSink) -------------------------------------------

  onResponseHead(head: MessageHead): AfterHead {
    if (head.status < 200) {
      if (head.status === 101) {
        if (this.upgrade && this.requestDone) {
          // The upstream connection hands its socket over right after this head (onUpstreamUpgraded).
          this.switching = head;
          return AfterHead.Upgrade;
        }
        this.onUpstreamFailure(Object.assign(new Error('the worker switched protocols on a request that did not ask to'), { code: 'EPROTO' }));
        return AfterHead.SkipBody;
      }
      // 100 Continue, 103 Early Hints: passed on to HTTP/1.1 clients; the real response follows.
      this.interim = true;
      if (!this.http10) this.client.write(serializeHead(statusLine(head.status, head.statusMessage), responseHeaders(head.headers).headers), 'latin1');
      return AfterHead.SkipBody;
    }
    this.status = head.status;
    this.statusMessage = head.statusMessage;
    this.upstreamKeepAlive = head.keepAlive;
    const { headers, contentType, hasLength, codings } = responseHeaders(head.headers);
    if (this.affinityCookie) headers.push('Set-Cookie', this.affinityCookie);
    this.codings = codings;
    const method = this.request.method;
    const noBody = method === 'HEAD' || head.status === 204 || head.status === 304;
    this.isStream = /^text\/event-stream/i.test(contentType);
    const transform = this.isStream || noBody ? undefined : this.ctx.transform(this.request, { status: head.status, headers, contentType });
    if (transform) {
      this.buffering = { transform, headers, hasLength, chunks: [], size: 0 };
    } else {
      this.buildHead(headers, hasLength, noBody);
    }
    if (this.isStream) this.becomeStream();
    return method === 'HEAD' ? AfterHead.SkipBody : AfterHead.Body;
  }

  onResponseBody(chunk: Buffer): void {
    if (this.route?.learnSession && this.status === 200) {
      // An engine.io handshake's answer names the session in its first bytes.
      this.route.learnSession = false;
      const sid = handshakeSid(chunk);
      if (sid) this.ctx.learnSession(sid, this.worker!);
    }
    const b = this.buffering;
    if (b) {
      b.chunks.push(chunk);
      b.size += chunk.length;
      if (b.size <= MAX_TRANSFORM_BYTES) return;
      // Too big to rewrite: passed on as it is.
      this.buffering = undefined;
      this.buildHead(b.headers, b.hasLength, false);
      for (const c of b.chunks) this.writeDown(c);
      return;
    }
    this.writeDown(chunk);
  }

  onResponseComplete(trailers: string[]): void {
    if (this.interim) {
      this.interim = false;
      return;
    }
    if (this.switching) return;
    // Set first: the last writes need no back-pressure on a connection about to be released.
    this.responseDone = true;
    const b = this.buffering;
    if (b) {
      this.buffering = undefined;
      const out = b.transform(Buffer.concat(b.chunks), b.headers);
      const headers: string[] = [];
      for (let i = 0; i < out.headers.length; i += 2) if (out.headers[i].toLowerCase() !== 'content-length') headers.push(out.headers[i], out.headers[i + 1]);
      headers.push('Content-Length', String(out.body.length));
      this.buildHead(headers, true, false);
      this.writeDown(out.body);
    } else {
      // Trailers go on only where the client gets the body chunked, as the worker sent it.
      const end = this.chunked ? lastChunk(trailers.length ? filterTrailers(trailers) : trailers) : '';
      if (this.pendingHead !== undefined) this.flushHead(end);
      else if (end) this.client.write(end);
    }
    this.releaseUpstream(this.upstreamKeepAlive);
    this.settle(this.status >= 500);
    this.resolveStreamClosed?.();
    // The worker answered before the whole body arrived: the rest is not waited for.
    if (!this.requestDone) this.closeConnection = true;
    this.discardBody = true;
    this.maybeFinished();
  }

  /** The worker answered 101: its connection and the client's become one tunnel. */
  onUpstreamUpgraded(socket: net.Socket, fromWorker: Buffer): void {
    const head = this.switching!;
    this.switching = undefined;
    this.detachUpstream();
    this.status = 101;
    // The 101 head goes out as the worker sent it: Connection and Upgrade are the handshake.
    this.client.write(serializeHead(statusLine(101, head.statusMessage), head.headers), 'latin1');
    this.headSent = true;
    this.responseDone = true;
    this.finished = true;
    // The tunnel is held like a long connection (closed with 1012 on a reload) from before the
    // handshake request is counted done, so a draining worker never looks idle in between.
    this.ctx.trackStream(this.worker!, this.conn.becomeTunnel(socket, fromWorker));
    this.settle(false);
  }

  onUpstreamFailure(err: NodeJS.ErrnoException): void {
    this.detachUpstream();
    if (this.responseDone || this.gone) return;
    if (this.isStream && (this.headSent || this.pendingHead !== undefined)) {
      // An event stream has no end of its own: its worker going away ends it cleanly (the client reconnects).
      return this.endStream();
    }
    if (this.headSent) {
      // Too late for a status: cut the connection so the client sees the response incomplete.
      this.settle(true);
      this.conn.destroy();
      return;
    }
    this.pendingHead = undefined;
    this.buffering = undefined;
    this.switching = undefined;
    const worker = this.worker!;
    const code = err.code ?? '';
    // A pooled connection the worker closed just as it was reused, or a refused one (the worker just
    // died, its exit not yet seen): safe to retry once, when no request body was sent.
    if (!this.isRetry && !this.forwarded.hasBody && (this.upstreamReused || code === 'ECONNREFUSED') && RETRYABLE.has(code)) {
      // Another ready worker: this one may be dead while still listed as live.
      const next = this.ctx.pick(worker) ?? worker;
      if (next !== worker) {
        worker.requestFinished(false);
        next.requestStarted();
      }
      this.isRetry = true;
      this.interim = false;
      return this.attach(next);
    }
    this.status = 502;
    this.settle(true);
    this.discardBody = true;
    const body = `Smooth Reload: the worker failed while handling this request (${code || err.message}).\n`;
    this.writeSimple(502, ['Content-Type', 'text/plain; charset=utf-8'], body);
  }

  /**
   * The rest of the request will never come (malformed or cut off): the worker must not wait for
   * it, and the client gets `status` if no response has started, then the connection closes.
   */
  abort(status: number): void {
    this.closeConnection = true;
    this.discardBody = true;
    this.dropHeld();
    this.detachUpstream()?.destroy();
    if (this.responseDone) return this.maybeFinished();
    // The client's fault, not the worker's.
    this.settle(false);
    if (this.headSent) return this.conn.destroy();
    this.pendingHead = undefined;
    this.buffering = undefined;
    this.switching = undefined;
    this.status = status;
    this.writeSimple(status, [], '', true);
  }

  /** The client connection closed with this exchange in it. */
  clientGone(): void {
    this.gone = true;
    this.detachUpstream()?.destroy();
    // A request the client abandoned is not the worker's failure.
    this.settle(false);
    this.resolveStreamClosed?.();
  }

  // ---- writing ----------------------------------------------------------------

  /** The worker's response head for the client, written with the first body bytes (streams: now). */
  private buildHead(headers: string[], hasLength: boolean, noBody: boolean): void {
    if (!noBody && !hasLength) {
      if (this.http10) this.closeConnection = true;
      else {
        headers.push('Transfer-Encoding', this.codings ? `${this.codings}, chunked` : 'chunked');
        this.chunked = true;
      }
    }
    // Trailers reach the client only in a chunked body: without one, announcing them would be false.
    if (!this.chunked && hasHeader(headers, 'trailer')) headers = headers.filter((_, i, all) => (i % 2 === 0 ? all[i] : all[i - 1]).toLowerCase() !== 'trailer');
    // An answer before the whole request arrived (413, 417…) ends the connection: say so.
    this.addConnectionHeader(headers, !this.requestDone);
    this.pendingHead = serializeHead(statusLine(this.status, this.statusMessage), headers);
    if (this.isStream) this.flushHead('');
  }

  /** Connection: close when this is the connection's last response, keep-alive where HTTP/1.0 needs it said. */
  private addConnectionHeader(headers: string[], mustClose: boolean): void {
    if (mustClose || !this.clientKeepAlive || this.ctx.closing()) this.closeConnection = true;
    if (this.closeConnection) headers.push('Connection', 'close');
    else if (this.http10) headers.push('Connection', 'keep-alive');
  }

  private flushHead(after: string): void {
    this.client.write(this.pendingHead + after, 'latin1');
    this.pendingHead = undefined;
    this.headSent = true;
  }

  private writeDown(chunk: Buffer): void {
    const client = this.client;
    if (!chunk.length) return;
    let ok: boolean;
    if (this.pendingHead !== undefined) {
      // Head and first bytes in one write.
      client.cork();
      this.flushHead('');
      ok = writeBody(client, chunk, this.chunked);
      client.uncork();
    } else {
      ok = writeBody(client, chunk, this.chunked);
    }
    if (ok || this.clientFull || !this.upstream || this.responseDone) return;
    // The client reads slower than the worker writes: stop reading the worker until it catches up.
    this.clientFull = true;
    this.upstream.socket.pause();
    client.once('drain', this.onClientDrain);
  }

  /** A whole response from the master itself (local, 400, 502, 503). */
  private writeSimple(status: number, headers: string[], body: string | Buffer, close = false): void {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const all = [...headers, 'Content-Length', String(bytes.length)];
    // A body not read yet (maybe never sent: Expect: 100-continue) is not waited for.
    this.addConnectionHeader(all, close || !this.requestDone);
    const head = serializeHead(statusLine(status), all);
    this.client.cork();
    this.client.write(head, 'latin1');
    if (this.request.method !== 'HEAD') this.client.write(bytes);
    this.client.uncork();
    this.headSent = true;
    this.responseDone = true;
    this.maybeFinished();
  }

  // ---- bookkeeping -------------------------------------------------------------

  private releaseUpstream(keepAlive: boolean): void {
    this.detachUpstream()?.release(keepAlive && this.requestDone);
  }

  /** Counted once per request on its worker: done, failed, and how long it took. */
  private settle(failed: boolean): void {
    if (this.settled) return;
    this.settled = true;
    const worker = this.worker;
    if (!worker) return;
    if (failed) worker.recordFailure(this.request.method, this.request.url, this.status || 502);
    worker.requestFinished(failed, Date.now() - this.startedAt);
    this.ctx.requestDone(worker);
  }

  private becomeStream(): void {
    // A server-sent event stream is a long connection: it must not hold up draining.
    this.settle(false);
    const closed = new Promise<void>((resolve) => (this.resolveStreamClosed = resolve));
    this.ctx.trackStream(this.worker!, {
      closed,
      close: () => {
        this.endStream();
        return Promise.resolve();
      },
    });
  }

  private endStream(): void {
    if (this.responseDone || this.gone) return;
    this.detachUpstream()?.destroy();
    if (this.pendingHead !== undefined) this.flushHead('');
    if (this.chunked) this.client.write(LAST_CHUNK);
    else this.closeConnection = true;
    this.responseDone = true;
    this.discardBody = true;
    this.resolveStreamClosed?.();
    this.maybeFinished();
  }

  private maybeFinished(): void {
    if (this.finished || !this.responseDone || (!this.requestDone && !this.closeConnection)) return;
    this.finished = true;
    this.conn.exchangeDone(this);
  }
}

function noop(): void {
  // Errors end in 'close', which is handled.
}
