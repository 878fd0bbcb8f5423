/**
 * One exchange on a client connection: its request goes to a worker (or is answered by the
 * master), its response comes back. Which phase it is in and what may happen next is
 * exchange-phase.ts's; this does the I/O each transition names, and nothing in a phase that does
 * not allow it (no response bytes after an abort, no late worker after an answer).
 */
import type * as net from 'node:net';
import { handshakeSid, type Route } from './affinity';
import type { Backend } from './backend';
import type { FrontContext, RequestInfo } from './context';
import { INITIAL, forwardsBody, holdsBody, takesResponseBody, transition, type ExchangeEvent, type ExchangeState } from './exchange-phase';
import { filterTrailers, forwardedHeaders, hasHeader, responseHeaders, type Forwarded } from './headers';
import { AfterHead, lastChunk, serializeHead, writeBody, type MessageHead } from './http1';
import { Collected, ResponseWriter } from './response-writer';
import type { LongConnection } from './upgrade';
import type { ResponseSink, Upstream } from './upstream';

/** What an exchange needs of its client connection. */
export interface ExchangeHost {
  readonly socket: net.Socket;
  readonly ctx: FrontContext;
  pause(reason: string): void;
  resume(reason: string): void;
  destroy(): void;
  exchangeDone(exchange: Exchange): void;
  becomeTunnel(upstream: net.Socket, fromWorker: Buffer): LongConnection;
}

/** The most a connection buffers of a request body while no worker is ready; then it stops reading. */
const MAX_HELD_BODY_BYTES = 1024 * 1024;
const RETRYABLE = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED']);

export class Exchange implements ResponseSink {
  private readonly ctx: FrontContext;
  private readonly request: RequestInfo;
  private readonly forwarded: Forwarded;
  private readonly http10: boolean;
  private readonly clientKeepAlive: boolean;
  /** HTTP/1.1 requires Host; http.Server answers 400 without one. */
  private readonly missingHost: boolean;
  /** Asks to switch protocols (WebSocket…): proxied, and tunnelled if the worker answers 101. */
  readonly upgrade: boolean;
  private readonly out: ResponseWriter;
  private state: ExchangeState = INITIAL;
  /** Close the client connection after this response. */
  closeConnection = false;

  private worker: Backend | undefined;
  private route: Route<Backend> | undefined;
  /** Set-Cookie for cookie affinity, added to the worker's response head. */
  private affinityCookie: string | undefined;
  private upstream: Upstream | undefined;
  /** The connection to the worker had carried a response before this request. */
  private upstreamReused = false;
  /** The worker reads slower than the client sends: reading the client is paused. */
  private upstreamFull = false;
  private startedAt = 0;

  /** Body bytes that arrived before a worker was picked. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private requestTrailers: string[] = [];

  private status = 0;
  private statusMessage = '';
  /** Transfer codings of the worker's body other than chunked (e.g. gzip), kept when it is re-chunked. */
  private codings = '';
  private upstreamKeepAlive = false;
  /** The worker's 101 head, while its connection is being turned into a tunnel. */
  private switchingHead: MessageHead | undefined;
  private collected: Collected | undefined;
  private resolveStreamClosed: (() => void) | undefined;

  constructor(
    private readonly conn: ExchangeHost,
    head: MessageHead,
  ) {
    this.ctx = conn.ctx;
    this.request = { method: head.method, url: head.url, headers: head.headers };
    this.upgrade = head.upgrade;
    this.forwarded = forwardedHeaders(head.headers, conn.socket.remoteAddress ?? '', { keepUpgrade: head.upgrade, https: (conn.socket as { encrypted?: boolean }).encrypted === true, fallbackHost: () => `${conn.socket.localAddress}:${conn.socket.localPort}` });
    this.http10 = head.versionMajor === 1 && head.versionMinor === 0;
    this.missingHost = !this.http10 && !hasHeader(head.headers, 'host');
    this.clientKeepAlive = head.keepAlive;
    this.out = new ResponseWriter(conn.socket, this.http10);
  }

  get started(): boolean {
    return this.state.phase !== 'queued';
  }

  get requestDone(): boolean {
    return this.state.requestRead;
  }

  // ---- the request ------------------------------------------------------------

  start(): void {
    if (!this.step({ type: 'start' })) return;
    if (this.missingHost) return this.answer(400, [], '', { close: true });
    const local = this.ctx.respond(this.request);
    if (local) return this.answer(local.status, local.headers, local.body);
    this.route = this.ctx.route(this.request, this.conn.socket.remoteAddress ?? '');
    const worker = this.route.worker ?? this.ctx.pick();
    if (worker) return this.attach(worker);
    void this.ctx.waitForWorker().then((w) => {
      if (this.state.phase !== 'waiting') return;
      if (w) return this.attach(w);
      const body = `Smooth Reload: no worker is ready to serve this request.\n${this.ctx.unavailableReason()}\n`;
      this.answer(503, ['Content-Type', 'text/plain; charset=utf-8', 'Retry-After', '1'], body);
    });
  }

  private attach(worker: Backend): void {
    const first = this.state.phase === 'waiting';
    if (!this.step({ type: first ? 'attach' : 'retry' }, undefined, worker)) return;
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
    if (this.state.requestRead && this.forwarded.chunked) socket.write(lastChunk(this.requestTrailers));
    socket.uncork();
    this.dropHeld();
  }

  private dropHeld(): void {
    this.held = [];
    this.heldBytes = 0;
    this.conn.resume('held body');
  }

  requestBody(chunk: Buffer): void {
    const phase = this.state.phase;
    if (forwardsBody(phase) && this.upstream) return this.writeUp(chunk);
    if (!holdsBody(phase)) return;
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes > MAX_HELD_BODY_BYTES) this.conn.pause('held body');
  }

  requestComplete(trailers: string[]): void {
    if (trailers.length) this.requestTrailers = filterTrailers(trailers);
    this.step({ type: 'request-read' }, () => {
      if (this.upstream && forwardsBody(this.state.phase) && this.forwarded.chunked) this.upstream.socket.write(lastChunk(this.requestTrailers));
    });
    this.maybeFinish();
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

  /** Stop using the connection to the worker: undo any back-pressure pauses on either side. */
  private detachUpstream(): Upstream | undefined {
    const upstream = this.upstream;
    this.upstream = undefined;
    if (this.upstreamFull) {
      upstream?.socket.off('drain', this.onUpstreamDrain);
      this.onUpstreamDrain();
    }
    this.out.unpause();
    return upstream;
  }

  // ---- the response (ResponseSink) -------------------------------------------

  onResponseHead(head: MessageHead): AfterHead {
    if (head.status === 101) {
      // The upstream connection hands its socket over right after this head (onUpstreamUpgraded).
      if (this.upgrade && this.step({ type: 'switch' })) {
        this.switchingHead = head;
        return AfterHead.Upgrade;
      }
      this.onUpstreamFailure(Object.assign(new Error('the worker switched protocols on a request that did not ask to'), { code: 'EPROTO' }));
      return AfterHead.SkipBody;
    }
    if (head.status < 200) {
      // 100 Continue, 103 Early Hints: passed on to HTTP/1.1 clients; the real response follows.
      if (this.step({ type: 'interim' })) this.out.interim(head.status, head.statusMessage, responseHeaders(head.headers).headers);
      return AfterHead.SkipBody;
    }
    const method = this.request.method;
    const { headers, contentType, hasLength, codings } = responseHeaders(head.headers);
    const noBody = method === 'HEAD' || head.status === 204 || head.status === 304;
    const isStream = /^text\/event-stream/i.test(contentType);
    const transform = isStream || noBody ? undefined : this.ctx.transform(this.request, { status: head.status, headers, contentType });
    const ok = this.step({ type: 'head', as: transform ? 'buffer' : isStream ? 'event-stream' : 'stream' }, () => {
      this.status = head.status;
      this.statusMessage = head.statusMessage;
      this.upstreamKeepAlive = head.keepAlive;
      this.codings = codings;
      if (this.affinityCookie) headers.push('Set-Cookie', this.affinityCookie);
      if (transform) this.collected = new Collected(transform, headers, hasLength);
      else this.buildHead(headers, hasLength, noBody);
    });
    if (!ok) return AfterHead.SkipBody;
    if (isStream) this.trackEventStream();
    return method === 'HEAD' ? AfterHead.SkipBody : AfterHead.Body;
  }

  onResponseBody(chunk: Buffer): void {
    // Per chunk, so asked without taking a transition (the same answer as the 'body' event's).
    if (!takesResponseBody(this.state.phase)) return;
    if (this.route?.learnSession && this.status === 200) {
      // An engine.io handshake's answer names the session in its first bytes.
      this.route.learnSession = false;
      const sid = handshakeSid(chunk);
      if (sid) this.ctx.learnSession(sid, this.worker!);
    }
    const c = this.collected;
    if (!c) return this.out.body(chunk, this.upstream?.socket);
    if (c.add(chunk)) return;
    // Too big to rewrite: passed on as it is.
    this.collected = undefined;
    this.step({ type: 'overflow' });
    this.buildHead(c.headers, c.hasLength, false);
    for (const b of c.chunks) this.out.body(b, this.upstream?.socket);
  }

  onResponseComplete(trailers: string[]): void {
    if (this.state.phase === 'interim') {
      this.step({ type: 'complete', keepAlive: false, failed: false });
      return;
    }
    // The connection goes back (or is closed) before the last writes: they need no back-pressure.
    const ok = this.step({ type: 'complete', keepAlive: this.upstreamKeepAlive, failed: this.status >= 500 }, () => {
      const c = this.collected;
      this.collected = undefined;
      if (!c) return this.out.end(trailers);
      const out = c.result();
      this.buildHead(out.headers, true, false);
      this.out.body(out.body, undefined);
    });
    if (!ok) return;
    // The worker answered before the whole body arrived: the rest is not waited for.
    if (!this.state.requestRead) this.closeConnection = true;
    this.maybeFinish();
  }

  /** The worker answered 101: its connection and the client's become one tunnel. */
  onUpstreamUpgraded(socket: net.Socket, fromWorker: Buffer): void {
    const head = this.switchingHead!;
    this.switchingHead = undefined;
    this.step({ type: 'upgraded' }, () => {
      this.status = 101;
      this.out.switched(head.statusMessage, head.headers);
      // The tunnel is held like a long connection (closed with 1012 on a reload) from before the
      // handshake request is counted done, so a draining worker never looks idle in between.
      this.ctx.trackStream(this.worker!, this.conn.becomeTunnel(socket, fromWorker));
    });
  }

  onUpstreamFailure(err: NodeJS.ErrnoException): void {
    const phase = this.state.phase;
    // The response is over (or the client gone): nothing to tell anyone.
    if (!forwardsBody(phase)) return;
    // An event stream has no end of its own: its worker going away ends it cleanly (the client reconnects).
    if (phase === 'event-stream') return this.endStream();
    // Too late for a status: cut the connection so the client sees the response incomplete.
    if (this.out.headSent) {
      if (this.step({ type: 'cut', failed: true })) this.conn.destroy();
      return;
    }
    const worker = this.worker!;
    const code = err.code ?? '';
    // A pooled connection the worker closed just as it was reused, or a refused one (the worker just
    // died, its exit not yet seen): safe to retry once, when no request body was sent.
    if (!this.state.retried && !this.forwarded.hasBody && (this.upstreamReused || code === 'ECONNREFUSED') && RETRYABLE.has(code)) {
      // Another ready worker: this one may be dead while still listed as live.
      const next = this.ctx.pick(worker) ?? worker;
      if (next !== worker) {
        worker.requestFinished(false);
        next.requestStarted();
      }
      this.out.dropHead();
      this.collected = undefined;
      return this.attach(next);
    }
    this.status = 502;
    const body = `Smooth Reload: the worker failed while handling this request (${code || err.message}).\n`;
    this.answer(502, ['Content-Type', 'text/plain; charset=utf-8'], body, { failed: true });
  }

  /**
   * The rest of the request will never come (malformed or cut off): the worker must not wait for
   * it, and the client gets `status` if no response has started, then the connection closes.
   */
  abort(status: number): void {
    this.closeConnection = true;
    this.dropHeld();
    if (this.state.phase === 'responded') return this.maybeFinish();
    // The client's fault, not the worker's.
    if (this.out.headSent) {
      if (this.step({ type: 'cut', failed: false })) this.conn.destroy();
      return;
    }
    this.status = status;
    this.answer(status, [], '', { close: true });
  }

  /** The client connection closed with this exchange in it. */
  clientGone(): void {
    this.step({ type: 'gone' });
  }

  // ---- writing ----------------------------------------------------------------

  /** The worker's response head for the client, written with the first body bytes (event streams: now). */
  private buildHead(headers: string[], hasLength: boolean, noBody: boolean): void {
    const framed = this.out.frame(headers, hasLength, noBody, this.codings);
    if (framed.closeToEnd) this.closeConnection = true;
    // An answer before the whole request arrived (413, 417…) ends the connection: say so.
    this.addConnectionHeader(framed.headers, !this.state.requestRead);
    this.out.setHead(this.status, this.statusMessage, framed.headers);
    if (this.state.phase === 'event-stream') this.out.flushHead();
  }

  /** Connection: close when this is the connection's last response, keep-alive where HTTP/1.0 needs it said. */
  private addConnectionHeader(headers: string[], mustClose: boolean): void {
    if (mustClose || !this.clientKeepAlive || this.ctx.closing()) this.closeConnection = true;
    if (this.closeConnection) headers.push('Connection', 'close');
    else if (this.http10) headers.push('Connection', 'keep-alive');
  }

  /** A whole response from the master itself (local, 400, 502, 503), instead of the worker's. */
  private answer(status: number, headers: string[], body: string | Buffer, opts: { close?: boolean; failed?: boolean } = {}): void {
    this.step({ type: 'answer', failed: opts.failed ?? false }, () => {
      this.dropHeld();
      this.out.dropHead();
      this.collected = undefined;
      this.switchingHead = undefined;
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      const all = [...headers, 'Content-Length', String(bytes.length)];
      // A body not read yet (maybe never sent: Expect: 100-continue) is not waited for.
      this.addConnectionHeader(all, opts.close || !this.state.requestRead);
      this.out.whole(status, all, bytes, this.request.method === 'HEAD');
    });
    this.maybeFinish();
  }

  // ---- bookkeeping -------------------------------------------------------------

  /**
   * Take a transition; do what it names, in order: the worker connection leaves (or a new one
   * comes), the client writes of this event (`write`), the in-flight count, the event stream's
   * end. Returns false, doing nothing, when the phase does not allow the event.
   */
  private step(event: ExchangeEvent, write?: () => void, nextWorker?: Backend): boolean {
    const from = this.state.phase;
    const t = transition(this.state, event);
    if (!t) return false;
    this.state = t.state;
    const { effects } = t;
    if (effects.upstream) {
      const upstream = this.detachUpstream();
      if (effects.upstream === 'keep') upstream?.release(true);
      else if (effects.upstream === 'close') upstream?.destroy();
    }
    if (effects.connect) this.worker = nextWorker;
    if (effects.count) {
      nextWorker!.requestStarted();
      this.startedAt = Date.now();
    }
    write?.();
    if (effects.release) this.settle(effects.release.failed);
    if (from === 'event-stream' && this.state.phase !== 'event-stream') this.resolveStreamClosed?.();
    if (effects.finish) this.conn.exchangeDone(this);
    return true;
  }

  private maybeFinish(): void {
    this.step({ type: 'finish', closing: this.closeConnection });
  }

  /** Counted once per request on its worker: done, failed, and how long it took. */
  private settle(failed: boolean): void {
    const worker = this.worker;
    if (!worker) return;
    if (failed) worker.recordFailure(this.request.method, this.request.url, this.status || 502);
    worker.requestFinished(failed, Date.now() - this.startedAt);
    this.ctx.requestDone(worker);
  }

  /** A server-sent event stream is a long connection: it must not hold up draining. */
  private trackEventStream(): void {
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
    this.step({ type: 'end-stream' }, () => {
      if (!this.out.endStream()) this.closeConnection = true;
    });
    this.maybeFinish();
  }
}
