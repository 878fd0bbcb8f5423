/** One GET of the health URL on a fresh connection (a pooled one could still reach an old worker). */
import * as http from 'node:http';
import * as https from 'node:https';
import type { HealthResponse } from './verify';

const MAX_BODY = 256 * 1024;

export function probe(url: string, timeoutMs: number): Promise<HealthResponse> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    let settled = false;
    const done = (r: HealthResponse) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    let req: http.ClientRequest;
    try {
      req = get(url, { agent: false, headers: { connection: 'close', 'cache-control': 'no-cache' }, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_BODY) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => done({ error: err.message }));
      });
    } catch (err) {
      done({ error: (err as Error).message });
      return;
    }
    req.on('timeout', () => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    });
    req.on('error', (err: NodeJS.ErrnoException) => done({ error: err.code ?? err.message }));
  });
}
