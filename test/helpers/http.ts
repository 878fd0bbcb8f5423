/** Small HTTP helpers for tests. */
import * as http from 'node:http';

export interface Got {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

export function get(url: string, options: { agent?: http.Agent | false; headers?: Record<string, string> } = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: options.agent ?? false, headers: options.headers ?? {}, timeout: 15000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}
