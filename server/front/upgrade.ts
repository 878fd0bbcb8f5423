/**
 * A switched connection (WebSocket) between a client and a worker, once the worker answered 101:
 * a byte tunnel. When the worker is retired the tunnel can be closed cleanly: it waits for a frame
 * boundary in the worker→client stream, sends the client a close frame with 1012 (Service
 * Restart) and ends the socket, so clients see a clean close and reconnect (to the new worker)
 * instead of an abnormal 1006.
 */
import type * as net from 'node:net';
import { CLOSE_SERVICE_RESTART, FrameBoundaryTracker, closeFrame } from './ws-frames';

export interface LongConnection {
  /** Close it for a reload; resolves when the client side is closed. */
  close(reason: string): Promise<void>;
  readonly closed: Promise<void>;
}

/**
 * `fromWorker`: bytes the worker sent right after its 101 head; `fromClient`: bytes the client
 * sent after its upgrade request. Both sockets are the tunnel's from here on.
 */
export function tunnel(client: net.Socket, upstream: net.Socket, fromWorker: Buffer, fromClient: Buffer): LongConnection {
  const tracker = new FrameBoundaryTracker();
  let closing: { reason: string; resolve: () => void } | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  client.once('close', () => {
    upstream.destroy();
    resolveClosed();
  });
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => undefined);

  const onWorkerData = (chunk: Buffer): void => {
    if (!closing) {
      tracker.feed(chunk);
      client.write(chunk);
      return;
    }
    // Closing: forward up to the end of the frame in progress, then cut.
    const boundaries = tracker.atBoundary ? [0] : tracker.feed(chunk);
    if (!boundaries.length) {
      client.write(chunk);
      return;
    }
    const cut = boundaries[0];
    if (cut > 0) client.write(chunk.subarray(0, cut));
    finishClose();
  };
  upstream.on('data', onWorkerData);
  upstream.on('close', () => {
    // The worker went away (it was stopped or crashed): close the client cleanly, never abruptly.
    if (client.destroyed) return;
    if (tracker.atBoundary) client.end(closeFrame(CLOSE_SERVICE_RESTART, 'server restarting'));
    else client.destroy();
  });
  if (fromWorker.length) onWorkerData(fromWorker);
  if (fromClient.length) upstream.write(fromClient);
  client.pipe(upstream);

  let finished = false;
  function finishClose(): void {
    if (finished) return;
    finished = true;
    client.unpipe(upstream);
    upstream.removeAllListeners('data');
    upstream.destroy();
    client.write(closeFrame(CLOSE_SERVICE_RESTART, closing?.reason ?? 'server restarting'));
    // Wait for the client's close echo, then end; do not wait forever.
    const done = () => {
      clearTimeout(timer);
      client.end();
      closing?.resolve();
    };
    const timer = setTimeout(() => client.destroy(), 2000);
    client.once('data', done);
    client.resume();
    client.once('close', () => {
      clearTimeout(timer);
      closing?.resolve();
    });
  }

  return {
    closed,
    close(reason: string): Promise<void> {
      if (client.destroyed) return Promise.resolve();
      if (closing) return closed;
      return new Promise((resolve) => {
        closing = { reason, resolve };
        if (tracker.atBoundary) finishClose();
        // Otherwise the next data chunk finishes the frame and cuts there.
      });
    },
  };
}
