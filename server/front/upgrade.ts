/**
 * Proxies an HTTP upgrade (WebSocket) to a worker as a byte tunnel. When the worker is retired,
 * the tunnel can be closed cleanly: it waits for a frame boundary in the worker→client stream,
 * sends the client a close frame with 1012 (Service Restart) and ends the socket, so clients
 * see a clean close and reconnect (to the new worker) instead of an abnormal 1006.
 */
import type * as http from 'node:http';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { CLOSE_SERVICE_RESTART, FrameBoundaryTracker, closeFrame } from './ws-frames';
import { forwardedHeaders } from './headers';

export interface LongConnection {
  /** Close it for a reload; resolves when the client side is closed. */
  close(reason: string): Promise<void>;
  readonly closed: Promise<void>;
}

export function tunnelUpgrade(req: http.IncomingMessage, client: Duplex, head: Buffer, port: number): LongConnection {
  const upstream = net.connect(port, '127.0.0.1');
  const tracker = new FrameBoundaryTracker();
  let upgraded = false;
  let closing: { reason: string; resolve: () => void } | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  client.once('close', () => {
    upstream.destroy();
    resolveClosed();
  });
  client.on('error', () => upstream.destroy());

  const { headers } = forwardedHeaders(req.rawHeaders, req.socket.remoteAddress ?? '', { keepUpgrade: true });
  const lines = [`${req.method} ${req.url} HTTP/1.1`];
  for (let i = 0; i < headers.length; i += 2) lines.push(`${headers[i]}: ${headers[i + 1]}`);
  upstream.on('connect', () => {
    upstream.write(lines.join('\r\n') + '\r\n\r\n', 'latin1');
    if (head.length) upstream.write(head);
    client.pipe(upstream);
  });

  // The worker's handshake response passes through untouched; frames are tracked after it.
  let handshake = Buffer.alloc(0);
  upstream.on('data', (chunk: Buffer) => {
    if (!upgraded) {
      handshake = Buffer.concat([handshake, chunk]);
      const end = handshake.indexOf('\r\n\r\n');
      if (end < 0) return;
      upgraded = /^HTTP\/1\.1 101/.test(handshake.toString('latin1', 0, 16));
      client.write(handshake.subarray(0, end + 4));
      chunk = handshake.subarray(end + 4);
      handshake = Buffer.alloc(0);
      if (!upgraded) {
        // Not switched (the app refused the upgrade): pass the rest through and stop.
        client.write(chunk);
        upstream.pipe(client);
        return;
      }
      if (!chunk.length) return;
    }
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
  });
  upstream.on('close', () => {
    // The worker went away (it was stopped or crashed): close the client cleanly, never abruptly.
    if (!client.destroyed && upgraded && tracker.atBoundary) {
      client.end(closeFrame(CLOSE_SERVICE_RESTART, 'server restarting'));
    } else if (!client.destroyed) client.destroy();
  });
  upstream.on('error', () => {
    if (!upgraded && !client.destroyed) client.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });

  let finished = false;
  function finishClose(): void {
    if (finished) return;
    finished = true;
    upstream.unpipe(client);
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
      if (!upgraded) {
        client.destroy();
        upstream.destroy();
        return Promise.resolve();
      }
      if (closing) return closed;
      return new Promise((resolve) => {
        closing = { reason, resolve };
        if (tracker.atBoundary) finishClose();
        // Otherwise the next data chunk finishes the frame and cuts there.
      });
    },
  };
}
