/**
 * Header handling for the reverse proxy: drop hop-by-hop headers (RFC 9110 §7.6.1), keep every
 * end-to-end header with its original case and order, and add X-Forwarded-*.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function connectionTokens(value: string | string[] | undefined): Set<string> {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(joined.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean));
}

/** Request headers for the worker, as raw [name, value, …] pairs, and how the body is framed. */
export interface Forwarded {
  headers: string[];
  hasBody: boolean;
  /** The request came with Transfer-Encoding (dropped here as hop-by-hop): the master re-chunks the body. */
  chunked: boolean;
}

/**
 * Request headers for the worker, from the raw [name, value, …] pairs the client sent and its
 * address. `keepUpgrade` keeps Connection/Upgrade for WebSocket handshakes.
 */
export function forwardedHeaders(raw: readonly string[], remoteAddress: string, options: { keepUpgrade?: boolean; fallbackHost?: () => string } = {}): Forwarded {
  let connection: string[] | undefined;
  let forwardedFor: string | undefined;
  let hasProto = false;
  let hasForwardedHost = false;
  let host: string | undefined;
  let hasBody = false;
  let chunked = false;
  for (let i = 0; i < raw.length; i += 2) {
    switch (raw[i].toLowerCase()) {
      case 'connection':
        (connection ??= []).push(raw[i + 1]);
        break;
      case 'x-forwarded-for':
        forwardedFor = forwardedFor === undefined ? raw[i + 1] : `${forwardedFor}, ${raw[i + 1]}`;
        break;
      case 'x-forwarded-proto':
        hasProto = true;
        break;
      case 'x-forwarded-host':
        hasForwardedHost = true;
        break;
      case 'host':
        host ??= raw[i + 1];
        break;
      case 'content-length':
        if (raw[i + 1] !== '0') hasBody = true;
        break;
      case 'transfer-encoding':
        hasBody = true;
        chunked = true;
        break;
    }
  }
  const listed = connectionTokens(connection);
  // HTTP/1.0 clients may send no Host; the worker is spoken to in HTTP/1.1, which requires one.
  const out: string[] = host === undefined && options.fallbackHost ? ['Host', options.fallbackHost()] : [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i].toLowerCase();
    if ((HOP_BY_HOP.has(lower) || listed.has(lower)) && !(options.keepUpgrade && (lower === 'connection' || lower === 'upgrade'))) continue;
    if (lower === 'x-forwarded-for') continue;
    out.push(raw[i], raw[i + 1]);
  }
  out.push('X-Forwarded-For', forwardedFor ? `${forwardedFor}, ${remoteAddress}` : remoteAddress);
  if (!hasProto) out.push('X-Forwarded-Proto', 'http');
  if (!hasForwardedHost && host) out.push('X-Forwarded-Host', host);
  return { headers: out, hasBody, chunked };
}

/** Response headers for the client, as raw [name, value] pairs in the worker's order. */
export function responseHeaders(rawHeaders: readonly string[]): { headers: string[]; contentType: string; hasLength: boolean } {
  let connection: string[] | undefined;
  let contentType = '';
  let hasLength = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const lower = rawHeaders[i].toLowerCase();
    if (lower === 'connection') (connection ??= []).push(rawHeaders[i + 1]);
    else if (lower === 'content-type' && !contentType) contentType = rawHeaders[i + 1];
    else if (lower === 'content-length') hasLength = true;
  }
  const listed = connectionTokens(connection);
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const lower = rawHeaders[i].toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed.has(lower)) continue;
    out.push(rawHeaders[i], rawHeaders[i + 1]);
  }
  return { headers: out, contentType, hasLength };
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
