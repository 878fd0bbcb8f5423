/**
 * What the front needs of a worker and of the pool, said here so the front does not import the
 * pool (the pool's `Worker` and `Pool` fit these shapes as they are). The front owns its
 * connections to each backend (`BackendConnections`); the pool owns the processes.
 */
import type { Pinnable } from './affinity';
import { IdleUpstreams, type Upstream } from './upstream';

/** A worker as the front sees it: where it listens and the counters the front keeps on it. */
export interface Backend extends Pinnable {
  /** The loopback port it listens on; undefined if it has none (yet). */
  readonly port: number | undefined;
  /** A request (or, with `count: false`, a long connection whose request was counted) holds it. */
  requestStarted(count?: boolean): void;
  requestFinished(failed: boolean, latencyMs?: number): void;
  recordFailure(method: string, path: string, status: number): void;
}

/** The pool as the front sees it: which backends take requests, and the hold while none does. */
export interface Backends {
  /** Backends that have not been retired: a long connection to any other is closed at once. */
  readonly live: readonly Backend[];
  /** Backends taking requests now (live and ready, or the canary under observation): sticky routing's choice. */
  serving(): Backend[];
  /** The least busy serving backend other than `avoid`. */
  pick(avoid?: Backend): Backend | undefined;
  /** A backend as soon as one is ready, or undefined after `timeoutMs` (or when none can come). */
  waitForWorker(timeoutMs: number): Promise<Backend | undefined>;
  /** One request on `backend` is finished (recycling counts them). */
  requestDone(backend: Backend): void;
}

/**
 * The front's idle connections, per backend. Weakly held: a backend the pool forgot (crashed,
 * stopped) takes its list with it, and its sockets were closed by its exit. A retired backend's
 * list is destroyed and kept, so a request still on its way there does not pool a connection.
 */
export class BackendConnections {
  private readonly lists = new WeakMap<Backend, IdleUpstreams>();

  /** An idle connection to `backend`, or a new one. */
  take(backend: Backend, port: number): Upstream {
    return this.of(backend).take(port);
  }

  /** The backend was retired: close its idle connections now, and each busy one when its response is done. */
  retire(backend: Backend): void {
    this.of(backend).destroy();
  }

  private of(backend: Backend): IdleUpstreams {
    let list = this.lists.get(backend);
    if (!list) this.lists.set(backend, (list = new IdleUpstreams()));
    return list;
  }
}
