/**
 * One client connection to the front, and the exchanges (request → response, exchange.ts) it
 * carries, one at a time. Bytes are parsed with Node's HTTP parser and written back out as they
 * are, with hop-by-hop headers replaced; nothing builds IncomingMessage or ServerResponse objects.
 *
 * Each request picks the worker that is live when its head arrives, so a keep-alive client
 * moves to new workers after a reload without its connection ever being closed.
 */
import type * as net from 'node:net';
import type { FrontContext } from './context';
import { Exchange, type ExchangeHost } from './exchange';
import { AfterHead, Http1Parser, serializeHead, type MessageHead, type ParseError } from './http1';
import { statusLine } from './response-writer';
import { tunnel, type LongConnection } from './upgrade';

export { MAX_TRANSFORM_BYTES } from './response-writer';

export type { BodyTransform, FrontContext, LocalResponse, RequestInfo, ResponseInfo } from './context';

/** Idle keep-alive connections close after this (Node's `keepAliveTimeout` default). */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/** Node's http.Server answers for the parse errors it names (anything else: 400). */
const ERROR_STATUS: Record<string, number> = { HPE_HEADER_OVERFLOW: 431, HPE_CHUNK_EXTENSIONS_OVERFLOW: 413, HEAD_TIMEOUT: 408 };

export class ClientConnection implements ExchangeHost {
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

function noop(): void {
  // Errors end in 'close', which is handled.
}
