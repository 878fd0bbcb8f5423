/**
 * Browser live reload, as a front extension: HTML responses get a small client script, and the
 * client connects back to `/__smooth_reload/ws`, a socket that only broadcasts. After a successful
 * worker reload pages reload; CSS changes swap stylesheets; image changes re-fetch images; a failed
 * reload shows an overlay with the error, file and line.
 *
 * Security (what Vite fixed in CVE-2025-24010 and webpack-dev-server in CVE-2018-14732): the
 * socket accepts only an allowed Host (host-policy.ts) and a page of this server as Origin,
 * accepts no commands, and nothing here reflects CORS headers. `/__smooth_reload/*` serves
 * one fixed script from memory and never touches the file system.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import * as zlib from 'node:zlib';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../logger';
import type { Finding, MasterEvent } from '../protocol';
import { MAX_TRANSFORM_BYTES, type BodyTransform, type LocalResponse, type RequestInfo, type ResponseInfo } from './connection';
import type { FrontExtension } from './front';
import { headerValue, headerValues } from './headers';
import type { HostPolicy } from './host-policy';
import { CLIENT_SCRIPT } from './live-reload-client';

export const LIVE_RELOAD_PREFIX = '/__smooth_reload';
export const CLIENT_PATH = `${LIVE_RELOAD_PREFIX}/client.js`;
export const SOCKET_PATH = `${LIVE_RELOAD_PREFIX}/ws`;

/** Bodies larger than this are streamed untouched (no injection). */

/** Messages the client understands (master → browser only). */
export type ClientMessage =
  | { type: 'hello'; id: string; error?: OverlayError }
  | { type: 'reload' }
  | { type: 'css'; files: string[] }
  | { type: 'asset'; files: string[] }
  | { type: 'error'; error: OverlayError }
  | { type: 'ok' };

export interface OverlayError {
  message: string;
  code?: string;
  file?: string;
  line?: number;
  column?: number;
  /** What to do about it (the finding's fix). */
  fix?: string;
}

export interface LiveReloadOptions {
  cwd: string;
  /** Which Host and Origin may open the socket. */
  hosts: HostPolicy;
  logger: Logger;
}

/** Static folders: the configured ones, or `public` and `static` when they exist. */
export function resolveStaticDirs(cwd: string, configured: readonly string[]): string[] {
  if (configured.length) return [...configured];
  return ['public', 'static'].filter((d) => {
    try {
      return fs.statSync(path.join(cwd, d)).isDirectory();
    } catch {
      return false;
    }
  });
}

export class LiveReload implements FrontExtension {
  /** Changes with every master start: a page that reconnects to a new master reloads. */
  readonly instanceId = crypto.randomBytes(8).toString('hex');
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 256, perMessageDeflate: false, clientTracking: false });
  private readonly clients = new Set<WebSocket>();
  private error: OverlayError | undefined;
  private stopping = false;

  constructor(private readonly options: LiveReloadOptions) {}

  get clientCount(): number {
    return this.clients.size;
  }

  // ---- FrontExtension ---------------------------------------------------------

  respond(req: RequestInfo): LocalResponse | undefined {
    if (!isOurs(req.url)) return undefined;
    const pathname = req.url.split('?')[0];
    if (pathname === CLIENT_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
      return {
        status: 200,
        headers: ['Content-Type', 'text/javascript; charset=utf-8', 'Cache-Control', 'no-cache', 'X-Content-Type-Options', 'nosniff', 'Cross-Origin-Resource-Policy', 'same-origin'],
        body: CLIENT_SCRIPT,
      };
    }
    return { status: 404, headers: ['Content-Type', 'text/plain; charset=utf-8', 'X-Content-Type-Options', 'nosniff'], body: 'Not found\n' };
  }

  claimsUpgrade(url: string): boolean {
    return isOurs(url);
  }

  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = req.url ?? '';
    if (!isOurs(url)) return false;
    socket.on('error', () => undefined);
    const refusal = url.split('?')[0] !== SOCKET_PATH ? { status: 404, reason: 'not found' } : this.stopping ? { status: 503, reason: 'stopping' } : this.refuse(req);
    if (refusal) {
      this.options.logger.debug(`live reload: refused a socket from ${req.socket.remoteAddress} (${refusal.reason})`);
      const body = `${refusal.reason}\n`;
      socket.end(`HTTP/1.1 ${refusal.status} ${refusal.status === 403 ? 'Forbidden' : refusal.status === 404 ? 'Not Found' : 'Service Unavailable'}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
    return true;
  }

  transform(req: RequestInfo, res: ResponseInfo): BodyTransform | undefined {
    if (req.method === 'HEAD') return undefined;
    const status = res.status;
    // A 206 is a slice of the page: a changed body would no longer match its Content-Range.
    if (status < 200 || status === 204 || status === 206 || status === 304) return undefined;
    // Checked first: anything but HTML passes without looking at more headers.
    if (!/^text\/html\b/i.test(res.contentType)) return undefined;
    const encoding = (headerValue(res.headers, 'content-encoding') ?? 'identity').trim().toLowerCase();
    if (!['identity', 'gzip', 'x-gzip', 'deflate', 'br'].includes(encoding)) return undefined;
    if (headerValue(res.headers, 'content-range') !== undefined) return undefined;
    // A page in UTF-16 or UTF-32 is injected only where its byte-order mark says which (injectScript).
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(res.contentType)?.[1]?.toLowerCase() ?? '';
    const wide = /^utf-?(16|32)/.test(charset);
    const length = Number(headerValue(res.headers, 'content-length') ?? 0);
    if (length > MAX_TRANSFORM_BYTES) return undefined;
    const nonce = cspNonce(headerValues(res.headers, 'content-security-policy'));
    const navigation = isDocumentRequest(req.headers);
    // Whether the tag goes in depends on these request headers: caches must know.
    const vary = headerValues(res.headers, 'vary').some((v) => v.trim() === '*') ? [] : ['Vary', DECIDING_HEADERS];
    return (body, headers) => {
      if (navigation === false) return { body, headers: [...headers, ...vary] };
      let html: Buffer;
      try {
        html = decode(body, encoding);
      } catch {
        return { body, headers };
      }
      if (wide && !utf16Order(html)) return { body, headers };
      // Not known to be a navigation: only a body that is a page (not a fragment) gets the tag.
      if (navigation === undefined && !looksLikeDocument(html)) return { body, headers: [...headers, ...vary] };
      const injected = injectScript(html, scriptTag(nonce));
      const out = encode(injected, encoding);
      const kept: string[] = [];
      for (let i = 0; i < headers.length; i += 2) if (headers[i].toLowerCase() !== 'content-length') kept.push(headers[i], headers[i + 1]);
      kept.push('Content-Length', String(out.length), ...vary);
      return { body: out, headers: kept };
    };
  }

  // ---- master events ----------------------------------------------------------

  /** Forwarded from the master: turns its events into client messages. */
  onEvent(event: MasterEvent): void {
    switch (event.kind) {
      case 'browser-reload':
        if (event.reason === 'css') this.broadcast({ type: 'css', files: event.files ?? [] });
        else if (event.reason === 'asset') this.broadcast({ type: 'asset', files: event.files ?? [] });
        else this.broadcast({ type: 'reload' });
        break;
      case 'reload-failed':
        if (event.finding) {
          this.error = this.toOverlay(event.finding);
          this.broadcast({ type: 'error', error: this.error });
        }
        break;
      case 'reload-done':
        if (this.error) {
          this.error = undefined;
          this.broadcast({ type: 'ok' });
        }
        break;
      case 'stopping':
        this.close();
        break;
    }
  }

  /** Close every page's socket (1001 Going Away): pages retry and reload when a master is back. */
  close(): void {
    this.stopping = true;
    for (const ws of this.clients) ws.close(1001, 'master stopping');
    const force = setTimeout(() => {
      for (const ws of this.clients) ws.terminate();
    }, 500);
    force.unref();
  }

  // ---------------------------------------------------------------------------

  /** Why an upgrade to the live-reload socket must be refused, or undefined when it may proceed. */
  refuse(req: http.IncomingMessage): { status: number; reason: string } | undefined {
    const reason = this.options.hosts.allowsSocket(req.headers.host, req.headers.origin);
    return reason ? { status: 403, reason } : undefined;
  }

  private onConnection(ws: WebSocket): void {
    if (this.stopping) {
      ws.close(1001, 'master stopping');
      return;
    }
    this.clients.add(ws);
    ws.on('close', () => this.clients.delete(ws));
    ws.on('error', () => this.clients.delete(ws));
    // The socket only broadcasts: any message from a page is a protocol violation.
    ws.on('message', () => ws.close(1008, 'this socket accepts no messages'));
    this.send(ws, { type: 'hello', id: this.instanceId, ...(this.error ? { error: this.error } : {}) });
  }

  private broadcast(message: ClientMessage): void {
    for (const ws of this.clients) this.send(ws, message);
  }

  private send(ws: WebSocket, message: ClientMessage): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  }

  private toOverlay(finding: Finding): OverlayError {
    const file = finding.file ? (path.isAbsolute(finding.file) ? path.relative(this.options.cwd, finding.file) || finding.file : finding.file) : undefined;
    return {
      message: finding.message,
      code: finding.code,
      ...(file ? { file: file.startsWith('..') ? finding.file : file } : {}),
      ...(finding.line ? { line: finding.line } : {}),
      ...(finding.column ? { column: finding.column } : {}),
      ...(finding.fix ? { fix: finding.fix } : {}),
    };
  }
}

/** The request headers that decide whether a response is a page (and gets the live-reload tag). */
const DECIDING_HEADERS = 'Sec-Fetch-Dest, HX-Request, X-Requested-With';

/**
 * Whether the request is a browser's navigation: true for `Sec-Fetch-Dest: document` (or a
 * frame), false for any other destination (`empty`: fetch/XHR) or an htmx/XHR request, undefined
 * when the request does not say (older browsers, curl): then the body decides.
 */
export function isDocumentRequest(headers: readonly string[]): boolean | undefined {
  const dest = headerValue(headers, 'sec-fetch-dest')?.trim().toLowerCase();
  if (dest !== undefined) return dest === 'document' || dest === 'iframe' || dest === 'frame';
  if (headerValue(headers, 'hx-request') !== undefined || headerValue(headers, 'x-requested-with') !== undefined) return false;
  return undefined;
}

/** A whole page rather than a fragment: it has a doctype, `<html>`, `<head>` or `<body>` (in any encoding injectScript reads). */
function looksLikeDocument(html: Buffer): boolean {
  const order = utf16Order(html);
  const text = order ? (order === 'le' ? html : swapBytes(html)).toString('utf16le') : html.toString('latin1');
  return /<(?:!doctype\s+html|html|head|body)[\s>]/i.test(text);
}

/**
 * `/__smooth_reload` and everything below it, however the path is spelled: percent-encoded
 * (`/%5f%5fsmooth_reload`), with doubled slashes or backslashes, another case, in absolute form
 * (`http://host/__smooth_reload/`), and with dot segments either read (`/x/../__smooth_reload`)
 * or not (`/__smooth_reload/../package.json` stays ours: 404, never the app's file).
 */
export function isOurs(url: string): boolean {
  const segments = pathSegments(url);
  const name = LIVE_RELOAD_PREFIX.slice(1);
  // `__smooth_reload` itself, or followed by a character no name goes on with (`.`, `%`, NUL…).
  const under = (s: string[]) => s[0] !== undefined && s[0].startsWith(name) && !/[a-z0-9_-]/.test(s[0].charAt(name.length));
  return under(segments.filter((s) => s !== '.')) || under(resolveDots(segments));
}

/** The path's segments as an app's router would most generously read them: decoded, in lower case, empty ones dropped. */
function pathSegments(url: string): string[] {
  let target = url.split(/[?#]/)[0];
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(target);
  if (absolute) target = target.slice(absolute[0].length);
  // Decoded repeatedly: %255f decodes to %5f, which some stacks decode again.
  for (let i = 0; i < 3 && target.includes('%'); i++) target = target.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return target.replace(/\\/g, '/').toLowerCase().split('/').filter((s) => s !== '');
}

function resolveDots(segments: string[]): string[] {
  const out: string[] = [];
  for (const segment of segments) {
    if (segment === '..') out.pop();
    else if (segment !== '.') out.push(segment);
  }
  return out;
}

/** The nonce of `script-src` (or `script-src-elem`, or `default-src`) in a Content-Security-Policy. */
export function cspNonce(header: string | string[] | undefined): string | undefined {
  if (!header) return undefined;
  for (const policy of Array.isArray(header) ? header : [header]) {
    const directives = new Map<string, string>();
    for (const part of policy.split(';')) {
      const [name, ...values] = part.trim().split(/\s+/);
      if (name && !directives.has(name.toLowerCase())) directives.set(name.toLowerCase(), values.join(' '));
    }
    const value = directives.get('script-src-elem') ?? directives.get('script-src') ?? directives.get('default-src');
    const m = value && /'nonce-([A-Za-z0-9+/_=-]+)'/.exec(value);
    if (m) return m[1];
  }
  return undefined;
}

export function scriptTag(nonce: string | undefined): string {
  return `<script src="${CLIENT_PATH}"${nonce ? ` nonce="${nonce.replace(/[^A-Za-z0-9+/_=-]/g, '')}"` : ''}></script>`;
}

/** The byte order a UTF-16 byte-order mark announces, if the body starts with one. */
function utf16Order(body: Buffer): 'le' | 'be' | undefined {
  if (body.length >= 2 && body[0] === 0xff && body[1] === 0xfe && !(body.length >= 4 && body[2] === 0 && body[3] === 0)) return 'le';
  if (body.length >= 2 && body[0] === 0xfe && body[1] === 0xff) return 'be';
  return undefined;
}

function swapBytes(buf: Buffer): Buffer {
  const out = Buffer.from(buf.subarray(0, buf.length - (buf.length % 2)));
  return out.swap16();
}

/** Insert the tag right after `<head>`, else at the start of `<body>`, else after `<html>`/doctype, else at the top (after a byte-order mark). */
export function injectScript(html: Buffer, tag: string): Buffer {
  const order = utf16Order(html);
  if (order) {
    // Injected as UTF-16 characters in the page's own byte order, after its mark.
    const le = order === 'le' ? html : swapBytes(html);
    const text = injectText(le.subarray(2).toString('utf16le'), tag);
    const out = Buffer.concat([le.subarray(0, 2), Buffer.from(text, 'utf16le')]);
    return order === 'le' ? out : swapBytes(out);
  }
  // latin1 maps bytes 1:1, so any single-byte-compatible charset (UTF-8 included) survives untouched.
  const text = html.toString('latin1');
  const bom = text.startsWith('\u00ef\u00bb\u00bf') ? 3 : 0;
  return Buffer.from(text.slice(0, bom) + injectText(text.slice(bom), tag), 'latin1');
}

function injectText(text: string, tag: string): string {
  for (const re of [/<head(?:\s[^>]*)?>/i, /<body(?:\s[^>]*)?>/i, /<html(?:\s[^>]*)?>/i, /<!doctype[^>]*>/i]) {
    const m = re.exec(text);
    if (m) return text.slice(0, m.index + m[0].length) + tag + text.slice(m.index + m[0].length);
  }
  // No markup to anchor on: at the top.
  return tag + text;
}

function decode(body: Buffer, encoding: string): Buffer {
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(body);
    case 'deflate':
      try {
        return zlib.inflateSync(body);
      } catch {
        // Some servers send raw deflate without the zlib wrapper.
        return zlib.inflateRawSync(body);
      }
    case 'br':
      return zlib.brotliDecompressSync(body);
    default:
      return body;
  }
}

function encode(body: Buffer, encoding: string): Buffer {
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.gzipSync(body);
    case 'deflate':
      return zlib.deflateSync(body);
    case 'br':
      return zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } });
    default:
      return body;
  }
}
