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

/** Request headers for the worker. `keepUpgrade` keeps Connection/Upgrade for WebSocket handshakes. */
export function forwardedHeaders(req: http.IncomingMessage, options: { keepUpgrade?: boolean } = {}): Record<string, string | string[]> {
  const listed = connectionTokens(req.headers.connection);
  const out: Record<string, string | string[]> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lower = name.toLowerCase();
    if ((HOP_BY_HOP.has(lower) || listed.has(lower)) && !(options.keepUpgrade && (lower === 'connection' || lower === 'upgrade'))) continue;
    const prev = out[name];
    out[name] = prev === undefined ? raw[i + 1] : Array.isArray(prev) ? [...prev, raw[i + 1]] : [prev, raw[i + 1]];
  }
  const remote = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  out['X-Forwarded-For'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${remote}` : remote;
  if (!req.headers['x-forwarded-proto']) out['X-Forwarded-Proto'] = 'http';
  if (!req.headers['x-forwarded-host'] && req.headers.host) out['X-Forwarded-Host'] = req.headers.host;
  return out;
}

/** Response headers for the client, as raw [name, value] pairs in the worker's order. */
export function responseHeaders(rawHeaders: string[], connection: string | string[] | undefined): string[] {
  const listed = connectionTokens(connection);
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const lower = rawHeaders[i].toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed.has(lower)) continue;
    out.push(rawHeaders[i], rawHeaders[i + 1]);
  }
  return out;
}
