/**
 * Header handling for the reverse proxy: drop hop-by-hop headers (RFC 9110 §7.6.1), keep every
 * end-to-end header with its original case and order, and set X-Forwarded-*.
 *
 * The message framing is never up to a header the peer may drop: Connection cannot nominate
 * Content-Length or Host (dropping Content-Length while forwarding the body would let the body be
 * read as a second request), and Transfer-Encoding is rewritten by the proxy itself.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'transfer-encoding', 'upgrade']);
/** Never dropped because a Connection header names them. */
const NEVER_NOMINATED = new Set(['content-length', 'host']);
/** Never forwarded as trailers: framing, routing and hop-by-hop fields (RFC 9110 §6.5.1). */
const NOT_TRAILERS = new Set([...HOP_BY_HOP, 'content-length', 'host', 'trailer', 'content-type', 'content-encoding', 'content-range', 'authorization', 'cookie', 'set-cookie', 'expect', 'range']);
/** Set by the front from what it saw; a client's own values are replaced, never passed on. */
const SET_BY_FRONT = new Set(['x-forwarded-proto', 'x-forwarded-host']);

function connectionTokens(values: readonly string[] | undefined): Set<string> {
  const out = new Set<string>();
  if (!values) return out;
  for (const value of values) {
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase();
      if (name && !NEVER_NOMINATED.has(name)) out.add(name);
    }
  }
  return out;
}

/** The transfer codings of Transfer-Encoding values other than `chunked`, joined ("gzip"), or ''. */
function codingsBesidesChunked(values: readonly string[]): string {
  const codings: string[] = [];
  for (const value of values) {
    for (const token of value.split(',')) {
      const coding = token.trim();
      if (coding && coding.toLowerCase() !== 'chunked') codings.push(coding);
    }
  }
  return codings.join(', ');
}

/** Request headers for the worker, as raw [name, value, …] pairs, and how the body is framed. */
export interface Forwarded {
  headers: string[];
  hasBody: boolean;
  /** The request came with Transfer-Encoding: the master re-chunks the body (codings besides chunked are kept). */
  chunked: boolean;
}

/**
 * Request headers for the worker, from the raw [name, value, …] pairs the client sent and its
 * address. `keepUpgrade` keeps Connection/Upgrade for protocol switches (WebSocket handshakes).
 */
export function forwardedHeaders(raw: readonly string[], remoteAddress: string, options: { keepUpgrade?: boolean; fallbackHost?: () => string; https?: boolean } = {}): Forwarded {
  let connection: string[] | undefined;
  let transferEncoding: string[] | undefined;
  let forwardedFor: string | undefined;
  let host: string | undefined;
  let hasBody = false;
  for (let i = 0; i < raw.length; i += 2) {
    switch (raw[i].toLowerCase()) {
      case 'connection':
        (connection ??= []).push(raw[i + 1]);
        break;
      case 'x-forwarded-for':
        forwardedFor = forwardedFor === undefined ? raw[i + 1] : `${forwardedFor}, ${raw[i + 1]}`;
        break;
      case 'host':
        host ??= raw[i + 1];
        break;
      case 'content-length':
        if (raw[i + 1].trim() !== '0') hasBody = true;
        break;
      case 'transfer-encoding':
        (transferEncoding ??= []).push(raw[i + 1]);
        hasBody = true;
        break;
    }
  }
  const listed = connectionTokens(connection);
  // HTTP/1.0 clients may send no Host; the worker is spoken to in HTTP/1.1, which requires one.
  const out: string[] = host === undefined && options.fallbackHost ? ['Host', options.fallbackHost()] : [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i].toLowerCase();
    if ((HOP_BY_HOP.has(lower) || listed.has(lower)) && !(options.keepUpgrade && (lower === 'connection' || lower === 'upgrade'))) continue;
    if (lower === 'x-forwarded-for' || SET_BY_FRONT.has(lower)) continue;
    out.push(raw[i], raw[i + 1]);
  }
  // The parser accepts Transfer-Encoding on a request only when chunked is its last coding.
  if (transferEncoding) {
    const codings = codingsBesidesChunked(transferEncoding);
    out.push('Transfer-Encoding', codings ? `${codings}, chunked` : 'chunked');
  }
  out.push('X-Forwarded-For', forwardedFor ? `${forwardedFor}, ${remoteAddress}` : remoteAddress);
  out.push('X-Forwarded-Proto', options.https ? 'https' : 'http');
  if (host) out.push('X-Forwarded-Host', host);
  return { headers: out, hasBody, chunked: transferEncoding !== undefined };
}

/** Response headers for the client, as raw [name, value] pairs in the worker's order. */
export function responseHeaders(rawHeaders: readonly string[]): { headers: string[]; contentType: string; hasLength: boolean; codings: string } {
  let connection: string[] | undefined;
  let transferEncoding: string[] | undefined;
  let contentType = '';
  let hasLength = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const lower = rawHeaders[i].toLowerCase();
    if (lower === 'connection') (connection ??= []).push(rawHeaders[i + 1]);
    else if (lower === 'content-type' && !contentType) contentType = rawHeaders[i + 1];
    else if (lower === 'content-length') hasLength = true;
    else if (lower === 'transfer-encoding') (transferEncoding ??= []).push(rawHeaders[i + 1]);
  }
  const listed = connectionTokens(connection);
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const lower = rawHeaders[i].toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed.has(lower)) continue;
    out.push(rawHeaders[i], rawHeaders[i + 1]);
  }
  // A chunked body is framed by its chunks, whatever Content-Length says (the parser read it so).
  if (transferEncoding) hasLength = false;
  return { headers: out, contentType, hasLength, codings: transferEncoding ? codingsBesidesChunked(transferEncoding) : '' };
}

/** Trailer fields worth passing on: none that frames, routes or is hop-by-hop. */
export function filterTrailers(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (!NOT_TRAILERS.has(raw[i].toLowerCase())) out.push(raw[i], raw[i + 1]);
  return out;
}

/** Whether raw [name, value, …] pairs have a header; `lowerName` in lower case. */
export function hasHeader(raw: readonly string[], lowerName: string): boolean {
  for (let i = 0; i < raw.length; i += 2) if (raw[i].length === lowerName.length && raw[i].toLowerCase() === lowerName) return true;
  return false;
}

/** The first value of a header in raw [name, value, …] pairs; `lowerName` in lower case. */
export function headerValue(raw: readonly string[], lowerName: string): string | undefined {
  return headerValues(raw, lowerName)[0];
}

/** Every value of a header in raw [name, value, …] pairs, in order; `lowerName` in lower case. */
export function headerValues(raw: readonly string[], lowerName: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i].length === lowerName.length && raw[i].toLowerCase() === lowerName) out.push(raw[i + 1]);
  return out;
}
