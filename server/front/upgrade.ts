/**
 * A switched connection (WebSocket) between a client and a worker, once the worker answered 101:
 * a byte tunnel that knows where frames begin and end in both directions.
 *
 * When the worker is retired the tunnel closes cleanly and loses no message the worker already
 * has: at a frame boundary of the client's stream it sends the worker a close frame with 1012
 * (Service Restart), as the client itself would. The worker answers what it received before
 * (acknowledgements, replies), then its own close frame, and every one of those goes on to the
 * client, which sees a clean 1012 and reconnects (to the new worker) instead of an abnormal 1006.
 * A worker that does not answer within a moment is cut off at a frame boundary of its stream,
 * and the client gets the close frame from the master.
 */
import * as crypto from 'node:crypto';
import type * as net from 'node:net';
import { CLOSE_SERVICE_RESTART, FrameBoundaryTracker, closeFrame } from './ws-frames';

export interface LongConnection {
  /** Close it for a reload; resolves when the client side is closed. */
  close(reason: string): Promise<void>;
  readonly closed: Promise<void>;
}

/** How long a worker has to answer the master's close frame before it is cut off. */
const WORKER_CLOSE_MS = 2_000;
/** How long the client has to close its side once the closing handshake is done. */
const CLIENT_CLOSE_MS = 2_000;

/**
 * `fromWorker`: bytes the worker sent right after its 101 head; `fromClient`: bytes the client
 * sent after its upgrade request. Both sockets are the tunnel's from here on.
 */
export function tunnel(client: net.Socket, upstream: net.Socket, fromWorker: Buffer, fromClient: Buffer): LongConnection {
  const down = new FrameBoundaryTracker();
  const up = new FrameBoundaryTracker();
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  /** Closing: the reason, and whether the close frame went to the worker yet. */
  let closing: { reason: string; sentToWorker: boolean } | undefined;
  let cutOff = false;
  client.once('close', () => {
    upstream.destroy();
    resolveClosed();
  });
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => undefined);

  // Client → worker, frame by frame (with back-pressure); nothing after the master's close frame.
  const onClientData = (chunk: Buffer): void => {
    if (closing?.sentToWorker || cutOff) return;
    if (!closing) {
      up.feed(chunk);
      if (!upstream.write(chunk)) client.pause();
      return;
    }
    const boundaries = up.atBoundary ? [0] : up.feed(chunk);
    if (!boundaries.length) {
      upstream.write(chunk);
      return;
    }
    if (boundaries[0] > 0) upstream.write(chunk.subarray(0, boundaries[0]));
    sendCloseToWorker();
  };
  upstream.on('drain', () => client.resume());

  // Worker → client, frame by frame; cut only when the worker does not close by itself.
  const onWorkerData = (chunk: Buffer): void => {
    if (!cutOff) {
      down.feed(chunk);
      client.write(chunk);
      return;
    }
  };
  upstream.on('data', onWorkerData);
  upstream.on('close', () => {
    if (client.destroyed) return;
    // The worker's close frame went to the client: the closing handshake is the client's to finish.
    if (down.sawClose) return endClient();
    // The worker went away without one (stopped, crashed): close the client cleanly, never abruptly.
    if (down.atBoundary) {
      client.write(closeFrame(CLOSE_SERVICE_RESTART, closing?.reason ?? 'server restarting'));
      endClient();
    } else client.destroy();
  });
  if (fromWorker.length) onWorkerData(fromWorker);
  if (fromClient.length) onClientData(fromClient);
  client.on('data', onClientData);
  client.resume();

  function sendCloseToWorker(): void {
    closing!.sentToWorker = true;
    upstream.write(closeFrame(CLOSE_SERVICE_RESTART, closing!.reason, crypto.randomBytes(4)));
    setTimeout(cutOffWorker, WORKER_CLOSE_MS).unref();
  }

  /** The worker did not answer the close: stop at a frame boundary of its stream and close the client from here. */
  function cutOffWorker(): void {
    if (client.destroyed || upstream.destroyed || cutOff) return;
    const cut = () => {
      cutOff = true;
      upstream.destroy();
      if (!down.sawClose) client.write(closeFrame(CLOSE_SERVICE_RESTART, closing?.reason ?? 'server restarting'));
      endClient();
    };
    if (down.atBoundary) return cut();
    upstream.off('data', onWorkerData);
    upstream.on('data', (chunk: Buffer) => {
      if (cutOff) return;
      const boundaries = down.feed(chunk);
      client.write(boundaries.length ? chunk.subarray(0, boundaries[0]) : chunk);
      if (boundaries.length) cut();
    });
  }

  let ending = false;
  function endClient(): void {
    if (ending) return;
    ending = true;
    client.end();
    setTimeout(() => client.destroy(), CLIENT_CLOSE_MS).unref();
  }

  return {
    closed,
    close(reason: string): Promise<void> {
      if (client.destroyed) return Promise.resolve();
      if (!closing) {
        closing = { reason, sentToWorker: false };
        if (up.atBoundary) sendCloseToWorker();
        // Otherwise the client's next bytes finish its frame, and the close goes right after it.
        else setTimeout(() => !closing?.sentToWorker && cutOffWorker(), WORKER_CLOSE_MS).unref();
      }
      return closed;
    },
  };
}
