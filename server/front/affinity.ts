/**
 * Which worker a request must go to because an earlier one of the same session went there
 * (sticky sessions). Workers keep state in memory that another worker does not have: an
 * engine.io / socket.io session lives in the worker that answered its handshake, and its next
 * long-poll must reach that worker, not the least busy one.
 *
 * - `session` (default): engine.io sessions, with no configuration: a handshake's answer names
 *   the session (`"sid":"…"`), and every request with `sid=` in its query goes where it began.
 * - `address`: every client address stays on the worker its first request went to.
 * - `cookie`: the front sets a cookie naming the worker; requests that carry it stay there.
 * - `none`: every request goes to the least busy worker.
 *
 * A pin lasts while its worker serves (is ready and live, or is the canary under observation).
 * After a reload the old worker is gone, the request goes to a new one, and the app's own
 * session logic takes over (engine.io answers "Session ID unknown" and the client reconnects, to
 * the new generation). The first request of a session is routed as any other, so during a canary
 * a client reaches the canary by its share and then keeps it while it is observed.
 */
import { headerValues } from './headers';

export type AffinityMode = 'session' | 'address' | 'cookie' | 'none';

/** Name of the cookie `cookie` mode sets. */
export const AFFINITY_COOKIE = 'smooth_reload_worker';
/** Pins remembered at most; the oldest are forgotten first. */
const MAX_PINS = 10_000;

/** What the front needs to know of a worker. */
export interface Pinnable {
  readonly id: number;
  readonly generation: number;
}

/** Where the request must go, and what to learn from its answer. */
export interface Route<W> {
  /** The pinned worker, when it still serves. */
  worker?: W;
  /** The answer may open an engine.io session: read its id from the body (`handshakeSid`). */
  learnSession: boolean;
  /** Called with the worker the request went to, when none was pinned; returns a Set-Cookie value the response must carry, if any. */
  picked?: (worker: W) => string | undefined;
}

/** engine.io's session id in a request's query (`?EIO=4&transport=polling&sid=…`). */
export function engineIoSid(url: string): string | undefined {
  const q = url.indexOf('?');
  if (q < 0 || !url.includes('EIO=', q)) return undefined;
  return /[?&]sid=([^&#]{1,128})/.exec(url.slice(q))?.[1];
}

/** An engine.io handshake: `EIO=` without a `sid=` (the answer creates the session). */
export function isEngineIoHandshake(url: string): boolean {
  const q = url.indexOf('?');
  return q >= 0 && url.includes('EIO=', q) && !/[?&]sid=/.test(url.slice(q));
}

/** The session id in the first bytes of a handshake's answer (`0{"sid":"…",…}`, also EIO 3's `96:0{…}`). */
export function handshakeSid(body: Buffer): string | undefined {
  return /"sid":"([^"\\]{1,128})"/.exec(body.toString('latin1', 0, Math.min(body.length, 512)))?.[1];
}

/** The worker token in the request's affinity cookie, if any. */
export function cookieToken(headers: readonly string[]): string | undefined {
  for (const cookie of headerValues(headers, 'cookie')) {
    const m = new RegExp(`(?:^|;\\s*)${AFFINITY_COOKIE}=([^;]+)`).exec(cookie);
    if (m) return m[1].trim();
  }
  return undefined;
}

export const workerToken = (w: Pinnable): string => `${w.generation}.${w.id}`;

export class Affinity<W extends Pinnable> {
  /** Session id or client address → worker. */
  private readonly pins = new Map<string, W>();

  constructor(
    readonly mode: AffinityMode,
    /** Whether a worker still takes requests (ready, and live or the canary). */
    private readonly serves: (worker: W) => boolean,
    /** Workers that serve now, for `cookie` mode's lookup. */
    private readonly serving: () => readonly W[],
  ) {}

  route(req: { url: string; headers: readonly string[] }, remoteAddress: string): Route<W> {
    switch (this.mode) {
      case 'none':
        return { learnSession: false };
      case 'session': {
        const sid = engineIoSid(req.url);
        if (sid) return { worker: this.pinned(sid), learnSession: false };
        return { learnSession: isEngineIoHandshake(req.url) };
      }
      case 'address':
        return {
          worker: this.pinned(remoteAddress),
          learnSession: false,
          picked: (w) => {
            this.pin(remoteAddress, w);
            return undefined;
          },
        };
      case 'cookie': {
        const token = cookieToken(req.headers);
        const worker = token ? this.serving().find((w) => workerToken(w) === token) : undefined;
        if (worker) return { worker, learnSession: false };
        return { learnSession: false, picked: (w) => `${AFFINITY_COOKIE}=${workerToken(w)}; Path=/; HttpOnly; SameSite=Lax` };
      }
    }
  }

  /** Remember that `key` (a session id or an address) belongs to `worker`. */
  pin(key: string, worker: W): void {
    this.pins.delete(key);
    this.pins.set(key, worker);
    if (this.pins.size > MAX_PINS) this.pins.delete(this.pins.keys().next().value!);
  }

  /** A retired worker's pins go with it (they would keep it in memory until looked up). */
  forgetWorker(worker: W): void {
    for (const [key, w] of this.pins) if (w === worker) this.pins.delete(key);
  }

  get size(): number {
    return this.pins.size;
  }

  private pinned(key: string): W | undefined {
    const worker = this.pins.get(key);
    if (!worker) return undefined;
    if (this.serves(worker)) return worker;
    // Its worker is gone (a reload, a crash): the next request starts over on a serving one.
    this.pins.delete(key);
    return undefined;
  }
}
