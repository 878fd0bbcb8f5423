/** Small helpers shared by the suite in the extension host and the workbench UI test. */
import * as http from 'node:http';

/** GET a URL's body as text (bounded by a 10 s timeout). */
export async function get(url: string): Promise<string> {
  return (await request(url)).body;
}

/** GET `url` sending `host` as the Host header (what a browser sends through a port forwarder): status and body. */
export function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return request(url, { host });
}

function request(url: string, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 10_000, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}${headers.host ? ` (Host ${headers.host})` : ''} timed out`)));
    req.on('error', reject);
  });
}

/** Poll until `check` returns a truthy value; fail after `timeoutMs` naming what was awaited. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 30_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
