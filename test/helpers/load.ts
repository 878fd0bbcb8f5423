/** Real load with autocannon, recording which code version answered each request and when. */
import type { EventEmitter } from 'node:events';
import autocannon from 'autocannon';

export interface LoadResult {
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** [receivedAt, version] for every response. */
  versions: [number, string][];
  errorCodes: Record<string, number>;
}

export interface LoadOptions {
  url: string;
  connections?: number;
  /** Upper bound; the load stops 1 s after `during` finishes, or at this bound. */
  durationSec: number;
  keepAlive?: boolean;
}

/** Run load for a bounded time; `during` runs concurrently (reloads) and the load stops after both. */
export async function runLoad(options: LoadOptions, during: () => Promise<void>): Promise<LoadResult> {
  const versions: [number, string][] = [];
  const errorCodes: Record<string, number> = {};
  const instance = autocannon({
    url: options.url,
    connections: options.connections ?? 50,
    duration: options.durationSec,
    timeout: 10,
    headers: options.keepAlive === false ? { connection: 'close' } : {},
    requests: [
      {
        onResponse: (_status: number, body: string) => {
          versions.push([Date.now(), body.split(' ')[0]]);
        },
      },
    ],
  } as autocannon.Options) as unknown as EventEmitter;
  instance.on('reqError', (err: NodeJS.ErrnoException) => {
    const code = err.code ?? err.message;
    errorCodes[code] = (errorCodes[code] ?? 0) + 1;
  });
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance.on('done', resolve);
    instance.on('error', reject);
  });
  // Keep the load on for a second after the last reload, so its new code is seen under load too.
  await during();
  await new Promise((r) => setTimeout(r, 1000));
  (instance as unknown as { stop(): void }).stop();
  const result = await done;
  return {
    requests: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    versions,
    errorCodes,
  };
}
