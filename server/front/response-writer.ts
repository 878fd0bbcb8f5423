/**
 * The bytes of one response to the client: its head (built, then written with the first body
 * bytes in one write), its body as the client gets it framed (kept length, re-chunked, or ended by
 * closing), and back-pressure from the client to the worker. What the response says and when it
 * may be written is the exchange's; this only writes.
 */
import { STATUS_CODES } from 'node:http';
import type * as net from 'node:net';
import type { BodyTransform } from './context';
import { filterTrailers, hasHeader } from './headers';
import { LAST_CHUNK, lastChunk, serializeHead, writeBody } from './http1';

/** The most an extension's transform buffers; a larger response passes through untouched. */
export const MAX_TRANSFORM_BYTES = 16 * 1024 * 1024;

export function statusLine(status: number, message?: string): string {
  return `HTTP/1.1 ${status} ${message || STATUS_CODES[status] || 'Unknown'}`;
}

export class ResponseWriter {
  /** Some of the response reached the client: too late for another status. */
  headSent = false;
  /** The client gets the body re-chunked. */
  chunked = false;
  /** A head built but not yet written: it goes out with the first body bytes, in one write. */
  private pendingHead: string | undefined;
  /** The worker socket paused because the client reads slower than the worker writes. */
  private paused: net.Socket | undefined;

  constructor(
    private readonly client: net.Socket,
    private readonly http10: boolean,
  ) {}

  get headPending(): boolean {
    return this.pendingHead !== undefined;
  }

  /**
   * Framing for a worker's body: its Content-Length is kept; without one it is chunked for
   * HTTP/1.1 (other codings such as gzip kept) and ended by closing for HTTP/1.0. Returns the
   * headers to send, and whether the connection must close to end the body.
   */
  frame(headers: string[], hasLength: boolean, noBody: boolean, codings: string): { headers: string[]; closeToEnd: boolean } {
    let closeToEnd = false;
    if (!noBody && !hasLength) {
      if (this.http10) closeToEnd = true;
      else {
        headers.push('Transfer-Encoding', codings ? `${codings}, chunked` : 'chunked');
        this.chunked = true;
      }
    }
    // Trailers reach the client only in a chunked body: without one, announcing them would be false.
    if (!this.chunked && hasHeader(headers, 'trailer')) headers = headers.filter((_, i, all) => (i % 2 === 0 ? all[i] : all[i - 1]).toLowerCase() !== 'trailer');
    return { headers, closeToEnd };
  }

  /** Hold the head until the first body bytes (`flushHead` writes it now). */
  setHead(status: number, message: string, headers: string[]): void {
    this.pendingHead = serializeHead(statusLine(status, message), headers);
  }

  /** Forget a head not written yet (a 502 replaces it). */
  dropHead(): void {
    this.pendingHead = undefined;
  }

  flushHead(after = ''): void {
    if (this.pendingHead === undefined) return;
    this.client.write(this.pendingHead + after, 'latin1');
    this.pendingHead = undefined;
    this.headSent = true;
  }

  /** 100 Continue, 103 Early Hints: HTTP/1.0 clients do not get them. */
  interim(status: number, message: string, headers: string[]): void {
    if (!this.http10) this.client.write(serializeHead(statusLine(status, message), headers), 'latin1');
  }

  /** A body chunk; when the client is full, `upstream` (the worker socket) pauses until it drains. */
  body(chunk: Buffer, upstream: net.Socket | undefined): void {
    const client = this.client;
    if (!chunk.length) return;
    let ok: boolean;
    if (this.pendingHead !== undefined) {
      // Head and first bytes in one write.
      client.cork();
      this.flushHead();
      ok = writeBody(client, chunk, this.chunked);
      client.uncork();
    } else {
      ok = writeBody(client, chunk, this.chunked);
    }
    if (ok || this.paused || !upstream) return;
    this.paused = upstream;
    upstream.pause();
    client.once('drain', this.onClientDrain);
  }

  /** The worker's body is complete: trailers go on only where the client gets the body chunked, as the worker sent it. */
  end(trailers: string[]): void {
    const end = this.chunked ? lastChunk(trailers.length ? filterTrailers(trailers) : trailers) : '';
    if (this.pendingHead !== undefined) this.flushHead(end);
    else if (end) this.client.write(end);
  }

  /** End a body that has no end of its own (an event stream). Returns false when only closing the connection can end it. */
  endStream(): boolean {
    this.flushHead();
    if (this.chunked) this.client.write(LAST_CHUNK);
    return this.chunked;
  }

  /** A whole response from the master itself (local, 400, 502, 503); HEAD gets the head only. */
  whole(status: number, headers: string[], body: Buffer, headOnly: boolean): void {
    this.client.cork();
    this.client.write(serializeHead(statusLine(status), headers), 'latin1');
    if (!headOnly) this.client.write(body);
    this.client.uncork();
    this.headSent = true;
  }

  /** The 101 head, as the worker sent it: Connection and Upgrade are the handshake. */
  switched(message: string, headers: string[]): void {
    this.client.write(serializeHead(statusLine(101, message), headers), 'latin1');
    this.headSent = true;
  }

  /** Stop back-pressure on the worker socket (it is leaving the exchange). */
  unpause(): void {
    const upstream = this.paused;
    if (!upstream) return;
    this.client.off('drain', this.onClientDrain);
    this.paused = undefined;
    upstream.resume();
  }

  private readonly onClientDrain = (): void => {
    const upstream = this.paused;
    this.paused = undefined;
    upstream?.resume();
  };
}

/** A worker's response body collected for an extension's transform (HTML live-reload injection). */
export class Collected {
  readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly transform: BodyTransform,
    readonly headers: string[],
    readonly hasLength: boolean,
  ) {}

  /** False once past MAX_TRANSFORM_BYTES: the body then passes through as it is. */
  add(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.size += chunk.length;
    return this.size <= MAX_TRANSFORM_BYTES;
  }

  /** The transformed body, with a Content-Length of its own. */
  result(): { body: Buffer; headers: string[] } {
    const out = this.transform(Buffer.concat(this.chunks), this.headers);
    const headers: string[] = [];
    for (let i = 0; i < out.headers.length; i += 2) if (out.headers[i].toLowerCase() !== 'content-length') headers.push(out.headers[i], out.headers[i + 1]);
    headers.push('Content-Length', String(out.body.length));
    return { body: out.body, headers };
  }
}
