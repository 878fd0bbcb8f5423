/**
 * Header handling for the reverse proxy: drop hop-by-hop headers (RFC 9110 §7.6.1), keep every
 * end-to-end header with its original case and order, and add X-Forwarded-*.
 */
import type * as http from 'node:http';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function connectionTokens(value: string | string[] | undefined): Set<string> {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(joined.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean));
}

/** Request headers for the worker, as raw [name, value, …] pairs, and whether the request has a body. */
export interface Forwarded {
  headers: string[];
  hasBody: boolean;
}

/**
 * Request headers for the worker. `keepUpgrade` keeps Connection/Upgrade for WebSocket handshakes.
 * Reads `rawHeaders` only: `req.headers` is built lazily by Node, and building it for every
 * proxied request is work the master need not do.
 */
export function forwardedHeaders(req: http.IncomingMessage, options: { keepUpgrade?: boolean } = {}): Forwarded {
  const raw = req.rawHeaders;
  let connection: string[] | undefined;
  let forwardedFor: string | undefined;
  let hasProto = false;
  let hasForwardedHost = false;
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
        break;
    }
  }
  const listed = connectionTokens(connection);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i].toLowerCase();
    if ((HOP_BY_HOP.has(lower) || listed.has(lower)) && !(options.keepUpgrade && (lower === 'connection' || lower === 'upgrade'))) continue;
    if (lower === 'x-forwarded-for') continue;
    out.push(raw[i], raw[i + 1]);
  }
  const remote = req.socket.remoteAddress ?? '';
  out.push('X-Forwarded-For', forwardedFor ? `${forwardedFor}, ${remote}` : remote);
  if (!hasProto) out.push('X-Forwarded-Proto', 'http');
  if (!hasForwardedHost && host) out.push('X-Forwarded-Host', host);
  return { headers: out, hasBody };
}

/** Response headers for the client, as raw [name, value] pairs in the worker's order. */
export function responseHeaders(rawHeaders: string[]): { headers: string[]; contentType: string } {
  let connection: string[] | undefined;
  let contentType = '';
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const lower = rawHeaders[i].toLowerCase();
    if (lower === 'connection') (connection ??= []).push(rawHeaders[i + 1]);
    else if (lower === 'content-type' && !contentType) contentType = rawHeaders[i + 1];
  }
  const listed = connectionTokens(connection);
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const lower = rawHeaders[i].toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed.has(lower)) continue;
    out.push(rawHeaders[i], rawHeaders[i + 1]);
  }
  return { headers: out, contentType };
}
