/**
 * The public listener. The master, not the workers, owns every client connection: a keep-alive
 * client's next request goes to whichever worker is live at that moment, so a reload never
 * resets a client socket. Requests are held (bounded) while no worker is ready, and in-flight
 * counts per worker make draining exact.
 */
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../logger';
import type { Pool } from '../pool/pool';
import type { Worker } from '../pool/worker';
import { forwardedHeaders, responseHeaders } from './headers';
import { tunnelUpgrade, type LongConnection } from './upgrade';

/** Hooks for what the master serves itself (the live-reload client) and HTML it rewrites. */
export interface FrontExtension {
  /** Handle a request the master answers itself; return true when handled. */
  handleRequest?(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  /** Handle an upgrade the master answers itself; return true when handled. */
  handleUpgrade?(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Rewrite a response body (HTML live-reload injection); return undefined to stream untouched. */
  transform?(req: http.IncomingMessage, proxyRes: http.IncomingMessage, contentType: string): ((body: Buffer, headers: string[]) => { body: Buffer; headers: string[] }) | undefined;
}

export interface FrontOptions {
  holdTimeoutMs: number;
  /** Text for the 503 body when no worker could be found (names the last boot failure). */
  unavailableReason: () => string;
}

const RETRYABLE = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED']);
/** The most an extension's transform buffers; a larger response passes through untouched. */
export const MAX_TRANSFORM_BYTES = 16 * 1024 * 1024;

export class Front {
  readonly server: http.Server;
  private readonly long = new Map<Worker, Set<LongConnection>>();
  private readonly extensions: FrontExtension[] = [];
  private closePromise: Promise<void> | undefined;
  private closing = false;

  constructor(
    private readonly pool: Pool,
    private readonly options: FrontOptions,
    private readonly logger: Logger,
  ) {
    this.server = http.createServer({ keepAliveTimeout: 5_000, requestTimeout: 0 }, (req, res) => this.onRequest(req, res));
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.server.on('clientError', (err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      this.logger.debug(`client error: ${err.message}`);
    });
  }

  use(extension: FrontExtension): void {
    this.extensions.push(extension);
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve((this.server.address() as { port: number }).port);
      });
    });
  }

  /** Long connections (WebSocket, SSE) of a retired worker: let them run `graceMs`, then close them cleanly. */
  async closeLongConnections(worker: Worker, graceMs: number): Promise<void> {
    const set = this.long.get(worker);
    if (!set?.size) return;
    const all = Promise.allSettled([...set].map((c) => c.closed));
    const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), graceMs))]);
    if (timedOut) await Promise.allSettled([...set].map((c) => c.close('server reloading')));
    this.long.delete(worker);
  }

  /** Stop accepting, let in-flight requests finish, close idle keep-alive sockets. Idempotent. */
  close(): Promise<void> {
    this.closePromise ??= new Promise<void>((resolve) => {
      this.closing = true;
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      // Connections that carry a request finish it, then close (responses say Connection: close).
      const sweep = setInterval(() => this.server.closeIdleConnections(), 100);
      this.server.once('close', () => clearInterval(sweep));
      for (const set of this.long.values()) for (const c of set) void c.close('server stopping');
    });
    return this.closePromise;
  }

  // ---------------------------------------------------------------------------

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.closing) res.setHeader('Connection', 'close');
    for (const ext of this.extensions) if (ext.handleRequest?.(req, res)) return;
    const worker = this.pool.pick();
    if (worker) return this.proxy(req, res, worker, false);
    this.pool.waitForWorker(this.options.holdTimeoutMs).then((w) => {
      if (res.destroyed) return;
      if (w) this.proxy(req, res, w, false);
      else this.unavailable(res);
    });
  }

  private unavailable(res: http.ServerResponse): void {
    const body = `Smooth Reload: no worker is ready to serve this request.\n${this.options.unavailableReason()}\n`;
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Retry-After': '1' });
    res.end(body);
  }

  private proxy(req: http.IncomingMessage, res: http.ServerResponse, worker: Worker, isRetry: boolean): void {
    const started = Date.now();
    if (!isRetry) worker.requestStarted();
    let settled = false;
    let status = 0;
    const finish = (failed: boolean) => {
      if (settled) return;
      settled = true;
      if (failed) worker.recordFailure(req.method ?? 'GET', req.url ?? '/', status || 502);
      worker.requestFinished(failed, Date.now() - started);
      this.pool.requestDone(worker);
    };
    const { headers: requestHeaders, hasBody } = forwardedHeaders(req);
    const proxyReq = http.request({
      host: '127.0.0.1',
      port: worker.port,
      method: req.method,
      path: req.url,
      // A flat [name, value, …] list is written as is, without a per-header setHeader().
      headers: requestHeaders,
      agent: worker.agent,
    });
    proxyReq.on('response', (proxyRes) => {
      status = proxyRes.statusCode ?? 502;
      const { headers, contentType } = responseHeaders(proxyRes.rawHeaders);
      const isStream = /^text\/event-stream/i.test(contentType);
      const transform = isStream ? undefined : this.extensions.map((e) => e.transform?.(req, proxyRes, contentType)).find(Boolean);
      if (transform) {
        // Buffered to rewrite; a body that grows past the cap (no Content-Length told us) is passed through as is.
        const chunks: Buffer[] = [];
        let size = 0;
        const onData = (c: Buffer) => {
          chunks.push(c);
          size += c.length;
          if (size <= MAX_TRANSFORM_BYTES) return;
          proxyRes.off('data', onData);
          proxyRes.off('end', onEnd);
          res.writeHead(status, proxyRes.statusMessage, headers);
          for (const chunk of chunks.splice(0)) res.write(chunk);
          proxyRes.pipe(res);
        };
        const onEnd = () => {
          const out = transform(Buffer.concat(chunks), headers);
          res.writeHead(status, proxyRes.statusMessage, out.headers);
          res.end(out.body);
        };
        proxyRes.on('data', onData);
        proxyRes.on('end', onEnd);
      } else {
        res.writeHead(status, proxyRes.statusMessage, headers);
        proxyRes.pipe(res);
      }
      if (isStream) {
        // A server-sent event stream is a long connection: it must not hold up draining.
        finish(false);
        this.track(worker, true, {
          closed: new Promise((r) => res.once('close', () => r())),
          close: () => {
            proxyRes.unpipe(res);
            proxyReq.destroy();
            res.end();
            return Promise.resolve();
          },
        });
      }
      // An event stream has no length: when its worker goes away, ending it is a clean end (the client reconnects).
      // A response cut by the worker counts as its error; one the client walked away from does not.
      let cutByWorker = false;
      proxyRes.on('error', () => {
        cutByWorker = true;
        if (isStream) res.end();
        else res.destroy();
      });
      proxyRes.on('aborted', () => {
        if (!clientGone) cutByWorker = true;
      });
      res.once('close', () => {
        if (!res.writableFinished) proxyReq.destroy();
        finish(status >= 500 || (cutByWorker && !clientGone && !isStream));
      });
    });
    proxyReq.on('error', (err: NodeJS.ErrnoException) => {
      if (res.headersSent) {
        // Too late for a status: cut the response so the client sees it incomplete, not truncated-as-complete.
        res.destroy();
        finish(!clientGone);
        return;
      }
      // A pooled connection closed by the worker just as we reused it: safe to retry once when
      // the request has no body (nothing was consumed from the client).
      // Not when the client is gone: that destroy() is the error, and a retry would never finish.
      // Likewise a refused connection (nothing was sent): the worker just died, its exit not yet seen.
      if (!isRetry && !hasBody && !clientGone && (proxyReq.reusedSocket || err.code === 'ECONNREFUSED') && RETRYABLE.has(err.code ?? '')) {
        // Another ready worker: this one may be dead while still listed as live.
        const next = this.pool.pick(worker) ?? worker;
        if (next !== worker) {
          worker.requestFinished(false);
          next.requestStarted();
        }
        settled = true;
        return this.proxy(req, res, next, true);
      }
      // A request the client abandoned is not the worker's failure.
      finish(!clientGone);
      if (clientGone) return;
      const body = `Smooth Reload: the worker failed while handling this request (${err.code ?? err.message}).\n`;
      res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
    // The client went away before the answer was complete: stop the worker's work on it too.
    let clientGone = false;
    res.once('close', () => {
      if (res.writableFinished) return;
      clientGone = true;
      proxyReq.destroy();
    });
    if (isRetry && (req as unknown as { complete: boolean }).complete) proxyReq.end();
    else req.pipe(proxyReq);
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    for (const ext of this.extensions) if (ext.handleUpgrade?.(req, socket, head)) return;
    socket.on('error', () => undefined);
    const go = (worker: Worker | undefined) => {
      if (!worker || worker.port === undefined) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.track(worker, false, tunnelUpgrade(req, socket, head, worker.port));
    };
    const worker = this.pool.pick();
    if (worker) go(worker);
    else void this.pool.waitForWorker(this.options.holdTimeoutMs).then(go);
  }

  /** `counted`: the request that opened it was already counted (SSE); a WebSocket upgrade was not. */
  private track(worker: Worker, counted: boolean, connection: LongConnection): void {
    let set = this.long.get(worker);
    if (!set) this.long.set(worker, (set = new Set()));
    set.add(connection);
    // Held like a request, so a retired worker is stopped only after its long connections were closed cleanly (after the grace).
    worker.requestStarted(!counted);
    void connection.closed.then(() => {
      set!.delete(connection);
      worker.requestFinished(false);
    });
    // A worker already retired while this was set up: close at once.
    if (!this.pool.live.includes(worker)) void connection.close('server reloading');
  }
}
