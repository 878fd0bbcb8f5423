/**
 * Node's own HTTP/1 parser (llhttp, the one behind `http.Server` and `http.request`), driven
 * directly. The front uses it to proxy without building IncomingMessage/ServerResponse objects for
 * both sides of every request: a Node reverse proxy spent most of its CPU there. The parser is
 * Node's, so what it accepts and refuses (request smuggling, header limits) is exactly what
 * `http.Server` accepts and refuses.
 *
 * `_http_common` is not documented API; its parser interface has been stable since Node 12 and is
 * checked at load (`assertParserShape`) so a Node that changed it fails loudly at start.
 */
import type { Writable } from 'node:stream';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const common = require('_http_common') as { HTTPParser: NativeParserClass; methods: string[] };

interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | ParseError;
  finish(): ParseError | undefined;
  close(): void;
  [callback: number]: unknown;
}
interface NativeParserClass {
  new (): NativeParser;
  REQUEST: number;
  RESPONSE: number;
  kOnMessageBegin: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
}

/** What llhttp reports for a malformed message: `code` like HPE_INVALID_METHOD or HPE_HEADER_OVERFLOW. */
export interface ParseError extends Error {
  code?: string;
  reason?: string;
  bytesParsed?: number;
}

export interface MessageHead {
  versionMajor: number;
  versionMinor: number;
  /** Raw [name, value, …] pairs as received (latin1 strings). */
  headers: string[];
  /** Requests only. */
  method: string;
  url: string;
  /** Responses only. */
  status: number;
  statusMessage: string;
  upgrade: boolean;
  /** llhttp's reading of the version and Connection header. */
  keepAlive: boolean;
}

/** What a head callback returns: read the body, skip it (response to HEAD), or stop here (upgrade). */
export const enum AfterHead {
  Body = 0,
  SkipBody = 1,
  Upgrade = 2,
}

export interface ParserEvents {
  /** The first byte of a message arrived (the head deadline starts here). */
  begin?(): void;
  head(head: MessageHead): AfterHead;
  body(chunk: Buffer): void;
  /** The message is complete; `trailers` are the raw [name, value, …] pairs after a chunked body. */
  complete(trailers: string[]): void;
}

const { HTTPParser, methods } = common;
/** Shared by every message without trailers (never written to). */
const NO_TRAILERS: string[] = [];

function assertParserShape(): void {
  for (const key of ['REQUEST', 'RESPONSE', 'kOnMessageBegin', 'kOnHeaders', 'kOnHeadersComplete', 'kOnBody', 'kOnMessageComplete'] as const) {
    if (typeof HTTPParser?.[key] !== 'number') throw new Error(`Smooth Reload: this Node (${process.version}) has no HTTPParser.${key} in _http_common; the front needs Node 20.19 or later`);
  }
}
assertParserShape();

export class Http1Parser {
  private readonly native = new HTTPParser();
  /** Header pairs flushed before the head completed (llhttp hands over very long heads in parts). */
  private pendingHeaders: string[] = [];
  private pendingUrl = '';
  private closed = false;

  constructor(kind: 'request' | 'response', events: ParserEvents) {
    const p = this.native;
    p.initialize(kind === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, 0, 0);
    if (events.begin) p[HTTPParser.kOnMessageBegin] = events.begin;
    // Called for head fields that did not fit one callback, and for a chunked body's trailers.
    p[HTTPParser.kOnHeaders] = (headers: string[], url: string) => {
      this.pendingHeaders.push(...headers);
      this.pendingUrl += url;
    };
    p[HTTPParser.kOnHeadersComplete] = (
      versionMajor: number,
      versionMinor: number,
      headers: string[] | undefined,
      method: number | undefined,
      url: string | undefined,
      status: number | undefined,
      statusMessage: string | undefined,
      upgrade: boolean,
      keepAlive: boolean,
    ): number => {
      if (!headers) {
        headers = this.pendingHeaders;
        this.pendingHeaders = [];
      }
      if (!url) {
        url = this.pendingUrl;
        this.pendingUrl = '';
      }
      return events.head({
        versionMajor,
        versionMinor,
        headers,
        method: method === undefined ? '' : methods[method],
        url: url ?? '',
        status: status ?? 0,
        statusMessage: statusMessage ?? '',
        upgrade,
        keepAlive,
      });
    };
    p[HTTPParser.kOnBody] = (chunk: Buffer) => events.body(chunk);
    p[HTTPParser.kOnMessageComplete] = () => {
      // Whatever was flushed since the head is this message's trailers (and, for requests, its URL
      // again): they end here and must never reach the next message's head.
      const trailers = this.pendingHeaders.length ? this.pendingHeaders : NO_TRAILERS;
      if (trailers.length) this.pendingHeaders = [];
      this.pendingUrl = '';
      events.complete(trailers);
    };
  }

  /** Bytes consumed, or the parse error. After an `Upgrade` head, what follows it is not consumed. */
  execute(data: Buffer): number | ParseError {
    return this.native.execute(data);
  }

  /** The peer closed: completes a body that ends with the connection, or reports a cut message. */
  finish(): ParseError | undefined {
    return this.closed ? undefined : this.native.finish();
  }

  /** Frees the native parser; never from inside one of its callbacks. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close();
  }
}

/** Serializes a head: the start line, then [name, value, …] pairs; latin1, like Node writes them. */
export function serializeHead(startLine: string, headers: readonly string[]): string {
  let out = startLine + '\r\n';
  for (let i = 0; i < headers.length; i += 2) out += headers[i] + ': ' + headers[i + 1] + '\r\n';
  return out + '\r\n';
}

/** Body bytes as they are, or as one chunk of a chunked body (in one write); false when the socket is full. */
export function writeBody(socket: Writable, chunk: Buffer, chunked: boolean): boolean {
  if (!chunked) return socket.write(chunk);
  socket.cork();
  socket.write(chunk.length.toString(16) + '\r\n');
  socket.write(chunk);
  const ok = socket.write('\r\n');
  socket.uncork();
  return ok;
}
export const LAST_CHUNK = '0\r\n\r\n';

/** The end of a chunked body, with trailer fields ([name, value, …]) when there are any. */
export function lastChunk(trailers: readonly string[] = []): string {
  return trailers.length ? serializeHead('0', trailers) : LAST_CHUNK;
}
