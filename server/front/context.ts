/**
 * What the front's parts share: the request, response and local-response shapes extensions see,
 * and what a client connection needs from the front. Types only, so that connection.ts,
 * exchange.ts and the modules they use import them from here and not from one another.
 */
import type * as net from 'node:net';
import type { Route } from './affinity';
import type { Backend } from './backend';
import type { LongConnection } from './upgrade';
import type { Upstream } from './upstream';

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
  /** The connection closed: the front stops tracking it. */
  forget(connection: object): void;
}
