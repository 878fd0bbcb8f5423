/**
 * The public listener. The master, not the workers, owns every client connection: a keep-alive
 * client's next request goes to whichever worker is live at that moment, so a reload never
 * resets a client socket. Requests are held (bounded) while no worker is ready, and in-flight
 * counts per worker make draining exact.
 *
 * Requests are proxied by `ClientConnection` on Node's HTTP parser directly (see http1.ts),
 * upgrade requests (WebSocket) too: a worker's 101 turns the connection into a tunnel, any other
 * answer leaves it an ordinary HTTP connection. Upgrades the master answers itself (the
 * live-reload socket) hand the connection to a Node `http.Server` that never listens.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type * as tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Logger } from '../logger';
import { Affinity, type AffinityMode } from './affinity';
import { BackendConnections, type Backend, type Backends } from './backend';
import { ClientConnection, type BodyTransform, type FrontContext, type LocalResponse, type RequestInfo, type ResponseInfo } from './connection';
import type { LongConnection } from './upgrade';

/** Hooks for what the master serves itself (the live-reload client) and HTML it rewrites. */
export interface FrontExtension {
  /** A response the master gives itself, without a worker; undefined for requests it does not claim. */
  respond?(req: RequestInfo): LocalResponse | undefined;
  /** Upgrade requests to this URL are the extension's (`handleUpgrade`), never a worker's. */
  claimsUpgrade?(url: string): boolean;
  /** Handle an upgrade the extension claimed. */
  handleUpgrade?(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Rewrite a response body (HTML live-reload injection); return undefined to stream untouched. */
  transform?(req: RequestInfo, res: ResponseInfo): BodyTransform | undefined;
}

export interface FrontOptions {
  holdTimeoutMs: number;
  /** Text for the 503 body when no worker could be found (names the last boot failure). */
  unavailableReason: () => string;
  /** A request head still incomplete this long after its first byte gets 408 (Node's `headersTimeout`). */
  headersTimeoutMs?: number;
  /** Sticky sessions (affinity.ts); default `session`. */
  affinity?: AffinityMode;
  /** Serve TLS; the certificate is set with `setCertificate` before `listen`. */
  tls?: boolean;
}

/** Node's http.Server default `headersTimeout`. */
export const HEADERS_TIMEOUT_MS = 60_000;

export class Front {
  readonly server: net.Server;
  /** Parses handed-over upgrade requests; never listens. */
  private readonly upgrades: http.Server;
  private readonly connections = new Set<ClientConnection>();
  /** Sockets given to `upgrades`: tunnels once upgraded, which no HTTP server tracks. */
  private readonly handedOver = new Set<net.Socket>();
  private readonly long = new Map<Backend, Set<LongConnection>>();
  private readonly upstreams = new BackendConnections();
  private readonly extensions: FrontExtension[] = [];
  private readonly context: FrontContext;
  readonly affinity: Affinity<Backend>;
  private closePromise: Promise<void> | undefined;
  private closing = false;
  /** Checks the head deadline of every connection (one timer for all, like http.Server's). */
  private headDeadlines: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: Backends,
    private readonly options: FrontOptions,
    private readonly logger: Logger,
  ) {
    this.affinity = new Affinity<Backend>(options.affinity ?? 'session', (w) => this.pool.serving().includes(w), () => this.pool.serving());
    this.context = {
      route: (req, remoteAddress) => this.affinity.route(req, remoteAddress),
      learnSession: (sid, worker) => this.affinity.pin(sid, worker),
      closing: () => this.closing,
      claimsUpgrade: (url) => this.extensions.some((ext) => ext.claimsUpgrade?.(url)),
      respond: (req) => {
        for (const ext of this.extensions) {
          const local = ext.respond?.(req);
          if (local) return local;
        }
        return undefined;
      },
      transform: (req, res) => {
        for (const ext of this.extensions) {
          const transform = ext.transform?.(req, res);
          if (transform) return transform;
        }
        return undefined;
      },
      pick: (except) => this.pool.pick(except),
      waitForWorker: () => this.pool.waitForWorker(this.options.holdTimeoutMs),
      unavailableReason: () => this.options.unavailableReason(),
      connect: (worker, port) => this.upstreams.take(worker, port),
      requestDone: (worker) => this.pool.requestDone(worker),
      trackStream: (worker, connection) => this.track(worker, connection),
      handOver: (socket, head) => {
        this.handedOver.add(socket);
        socket.once('close', () => this.handedOver.delete(socket));
        socket.unshift(head);
        this.upgrades.emit('connection', socket);
        socket.resume();
      },
      forget: (connection) => this.connections.delete(connection as ClientConnection),
    };
    const onSocket = (socket: net.Socket) => {
      if (this.closing) {
        socket.destroy();
        return;
      }
      this.connections.add(new ClientConnection(socket, this.context));
    };
    // Over TLS the connection starts once the handshake is done; ALPN says HTTP/1.1 only.
    // node:tls is loaded only for https (about 1 MB of the master's memory otherwise).
    this.server = options.tls ? (require('node:tls') as typeof tls).createServer({ allowHalfOpen: true, noDelay: true, ALPNProtocols: ['http/1.1'] }, onSocket) : net.createServer({ allowHalfOpen: true, noDelay: true }, onSocket);
    if (options.tls) this.server.on('tlsClientError', (err) => this.logger.debug(`TLS handshake failed: ${err.message}`));
    this.upgrades = http.createServer({ keepAliveTimeout: 5_000, requestTimeout: 0 }, (_req, res) => {
      // Only upgrade requests are handed over; anything after a refused upgrade is not served here.
      res.writeHead(400, { Connection: 'close', 'Content-Length': 0 });
      res.end();
    });
    this.upgrades.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.upgrades.on('clientError', (err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      this.logger.debug(`client error: ${err.message}`);
    });
  }

  /** The TLS key and certificate (PEM) of a `tls` front. */
  setCertificate(key: string, cert: string): void {
    (this.server as tls.Server).setSecureContext({ key, cert });
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
        this.watchHeadDeadlines();
        resolve((this.server.address() as { port: number }).port);
      });
    });
  }

  /** A worker was retired: its session pins and idle connections go, and its long connections (WebSocket, SSE) run `graceMs`, then close cleanly. */
  async closeLongConnections(worker: Backend, graceMs: number): Promise<void> {
    this.affinity.forgetWorker(worker);
    this.upstreams.retire(worker);
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
      clearInterval(this.headDeadlines);
      this.server.close(() => resolve());
      // Connections that carry a request finish it, then close (responses say Connection: close).
      for (const connection of this.connections) connection.closeIfIdle();
      this.upgrades.closeIdleConnections();
      for (const set of this.long.values()) for (const c of set) void c.close('server stopping');
    });
    return this.closePromise;
  }

  /** Cut every connection still open (the end of a stop that waited long enough). */
  closeAllConnections(): void {
    for (const connection of this.connections) connection.destroy();
    this.upgrades.closeAllConnections();
    for (const socket of this.handedOver) socket.destroy();
  }

  // ---------------------------------------------------------------------------

  private watchHeadDeadlines(): void {
    const limit = this.options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
    // Checked often enough that a late head is answered within a twelfth of the limit past it.
    const every = Math.max(50, Math.min(5_000, Math.floor(limit / 12)));
    this.headDeadlines = setInterval(() => {
      const now = Date.now();
      for (const connection of this.connections) connection.checkHeadDeadline(now, limit);
    }, every).unref();
  }

  /** Upgrades that an extension claimed (the live-reload socket); worker upgrades never come here. */
  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    for (const ext of this.extensions) if (ext.handleUpgrade?.(req, socket, head)) return;
    socket.on('error', () => undefined);
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  }

  /** A long connection (SSE, WebSocket tunnel) whose opening request was already counted. */
  private track(worker: Backend, connection: LongConnection): void {
    let set = this.long.get(worker);
    if (!set) this.long.set(worker, (set = new Set()));
    set.add(connection);
    // Held like a request, so a retired worker is stopped only after its long connections were closed cleanly (after the grace).
    worker.requestStarted(false);
    void connection.closed.then(() => {
      set!.delete(connection);
      worker.requestFinished(false);
    });
    // A worker already retired while this was set up: close at once.
    if (!this.pool.live.includes(worker)) void connection.close('server reloading');
  }
}
