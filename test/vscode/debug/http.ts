/** Requests of the debugger suite: one GET with a long enough timeout for a paused handler, and a bounded loop on another route. */
import * as http from 'node:http';

export interface Answer {
  status: number;
  body: string;
}

/** GET `url`; a paused worker answers only after continue, so the timeout is the caller's. */
export function fetch(url: string, timeoutMs = 10_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export interface LoopResult {
  ok: number;
  failed: number;
  failures: string[];
}

/**
 * GET `<base>other` one after another until stop() (at most 2000 requests): each must answer 200
 * with a body matching `expected`, within 5 s. Counts the rest as failures.
 */
export function otherRouteLoop(base: string, expected: string | RegExp): { stop(): Promise<LoopResult> } {
  const result: LoopResult = { ok: 0, failed: 0, failures: [] };
  let stopping = false;
  const done = (async () => {
    for (let i = 0; i < 2000 && !stopping; i++) {
      try {
        const { status, body } = await fetch(`${base}other`, 5000);
        const good = status === 200 && (typeof expected === 'string' ? body.startsWith(expected) : expected.test(body));
        if (good) result.ok++;
        else {
          result.failed++;
          result.failures.push(`${status} ${body.slice(0, 80)}`);
        }
      } catch (err) {
        result.failed++;
        result.failures.push((err as Error).message);
      }
    }
  })();
  return {
    stop: async () => {
      stopping = true;
      await done;
      return result;
    },
  };
}
