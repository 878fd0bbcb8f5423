/**
 * Connections from the master to one worker. Each carries one request at a time; between
 * requests it waits in its worker's idle list, so a keep-alive client's next request can go to
 * whichever worker is live by then while the connection to the old one is simply closed.
 */
import * as net from 'node:net';
import { AfterHead, Http1Parser, type MessageHead } from './http1';

/** Where a connection's response goes: the exchange it carries. */
export interface ResponseSink {
  onResponseHead(head: MessageHead): AfterHead;
  onResponseBody(chunk: Buffer): void;
  onResponseComplete(trailers: string[]): void;
  /** After a 101 head (`onResponseHead` returned Upgrade): the socket is the sink's now, with the bytes that followed the head. */
  onUpstreamUpgraded(socket: net.Socket, rest: Buffer): void;
  /** The connection failed or closed before the response was complete. */
  onUpstreamFailure(err: NodeJS.ErrnoException): void;
}

export class Upstream {
  readonly socket: net.Socket;
  private readonly parser: Http1Parser;
  /** The exchange whose request it carries now; undefined while idle. */
  sink: ResponseSink | undefined;
  /** It carried a response before: a reset may be the worker closing it as idle just as it was reused. */
  reused = false;
  /** When it last went idle (ms since the epoch). */
  idleSince = 0;
  private error: NodeJS.ErrnoException | undefined;
  private gone = false;
  /** The response head switched protocols: the socket leaves HTTP after this parse. */
  private switched = false;

  constructor(port: number, private readonly home: IdleUpstreams) {
    this.socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    this.parser = new Http1Parser('response', {
      head: (h) => {
        const after = this.sink?.onResponseHead(h) ?? AfterHead.Body;
        if (after === AfterHead.Upgrade) this.switched = true;
        return after;
      },
      body: (chunk) => this.sink?.onResponseBody(chunk),
      complete: (trailers) => this.sink?.onResponseComplete(trailers),
    });
    this.socket.on('data', this.onData);
    this.socket.on('end', this.onEnd);
    this.socket.on('error', this.onError);
    this.socket.on('close', this.onClose);
  }

  private readonly onData = (data: Buffer): void => {
    if (!this.sink) return this.fail(Object.assign(new Error('the worker sent data on an idle connection'), { code: 'EPROTO' }));
    const parsed = this.parser.execute(data);
    if (typeof parsed !== 'number') return this.fail(Object.assign(new Error(`the worker sent a malformed response (${parsed.code ?? parsed.message})`), { code: parsed.code ?? 'EPROTO' }));
    if (this.switched) this.handOff(data.subarray(parsed));
  };

  private readonly onEnd = (): void => {
    // A body that ends with the connection completes here.
    if (this.sink) this.parser.finish();
    this.fail(this.error ?? Object.assign(new Error('the worker closed the connection'), { code: 'ECONNRESET' }));
  };

  private readonly onError = (err: NodeJS.ErrnoException): void => {
    this.error = err;
  };

  private readonly onClose = (): void => this.fail(this.error ?? Object.assign(new Error('the connection to the worker closed'), { code: 'ECONNRESET' }));

  /** The worker switched protocols: the socket goes to the sink, never back to the idle list. */
  private handOff(rest: Buffer): void {
    const sink = this.sink!;
    this.sink = undefined;
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('error', this.onError);
    this.socket.off('close', this.onClose);
    this.markGone();
    sink.onUpstreamUpgraded(this.socket, rest);
  }

  /** The response is complete: back to the idle list when both sides allow it, else closed. */
  release(keepAlive: boolean): void {
    this.sink = undefined;
    this.reused = true;
    if (keepAlive && !this.gone) this.home.put(this);
    else this.destroy();
  }

  /** Close it without telling its sink (the exchange gave up on it). */
  destroy(): void {
    this.sink = undefined;
    this.markGone();
    this.socket.destroy();
  }

  private fail(err: NodeJS.ErrnoException): void {
    const sink = this.sink;
    this.sink = undefined;
    this.markGone();
    this.socket.destroy();
    sink?.onUpstreamFailure(err);
  }

  private markGone(): void {
    if (this.gone) return;
    this.gone = true;
    this.home.remove(this);
    // Freed outside the parser's own callbacks.
    setImmediate(() => this.parser.close());
  }
}

/**
 * Node closes idle keep-alive connections after 5 s (`keepAliveTimeout`). One idle nearly that
 * long may be closed by the worker while a request is on its way, and a request with a body
 * could not be retried, so it is closed here instead of reused.
 */
const REUSE_WITHIN_MS = 4_000;

/** A worker's idle connections, newest first out. Owned by the worker; `destroy()` when it stops. */
export class IdleUpstreams {
  private readonly idle: Upstream[] = [];
  private destroyed = false;

  /** An idle connection to the worker on `port`, or a new one. */
  take(port: number): Upstream {
    const newest = this.idle.pop();
    if (newest && Date.now() - newest.idleSince < REUSE_WITHIN_MS) return newest;
    // Newest first: when the newest is too old, every other one is older still.
    newest?.destroy();
    for (const old of this.idle.splice(0)) old.destroy();
    return new Upstream(port, this);
  }

  put(upstream: Upstream): void {
    if (this.destroyed) return upstream.destroy();
    upstream.idleSince = Date.now();
    this.idle.push(upstream);
  }

  remove(upstream: Upstream): void {
    const i = this.idle.indexOf(upstream);
    if (i >= 0) this.idle.splice(i, 1);
  }

  get idleCount(): number {
    return this.idle.length;
  }

  /** Close the idle ones, and each busy one when its response is done. */
  destroy(): void {
    this.destroyed = true;
    for (const upstream of this.idle.splice(0)) upstream.destroy();
  }
}
