/**
 * A retired worker's end: wait for its in-flight requests (bounded), SIGTERM, SIGKILL after the
 * grace, and, when it had to be killed, a finding naming what kept it alive.
 */
import type { Logger } from '../logger';
import type { Finding } from '../protocol';
import { killedAfterGraceFinding } from '../runners/shutdown-evidence';
import type { ShutdownEvidence, Worker } from './worker';

export interface ShutdownOptions {
  drainTimeoutMs: number;
  killTimeoutMs: number;
  cwd: string;
  logger: Logger;
  /** Pending timers, cleared by the pool when it closes. */
  timers: Set<NodeJS.Timeout>;
}

/** Drain and stop; resolves with SR_KILLED_AFTER_GRACE when it was SIGKILLed. */
export async function drainAndStop(worker: Worker, o: ShutdownOptions): Promise<Finding | undefined> {
  const drained = await worker.drain(o.drainTimeoutMs);
  if (!drained) o.logger.warn(`worker ${worker.id}: ${worker.inFlight} request(s) still running after reload.drainTimeoutMs (${o.drainTimeoutMs} ms); stopping it anyway`);
  const evidence = o.killTimeoutMs > 0 ? evidenceBeforeKill(worker, o) : Promise.resolve({ resources: [], listeners: [] });
  const info = await worker.stop(o.killTimeoutMs);
  if (!info.killed) return undefined;
  // At the app's SIGTERM handler (file:line from the worker's inspector), naming what was still open.
  return killedAfterGraceFinding(`worker ${worker.id} (pid ${worker.pid})`, o.killTimeoutMs, await evidence, o.cwd);
}

/** Ask a stopping worker what keeps it alive and which SIGTERM handlers it has, shortly before the SIGKILL would come. */
function evidenceBeforeKill(worker: Worker, o: ShutdownOptions): Promise<ShutdownEvidence> {
  const none: ShutdownEvidence = { resources: [], listeners: [] };
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      o.timers.delete(timer);
      if (!worker.alive) return resolve(none);
      worker.shutdownEvidence(300).then(resolve, () => resolve(none));
    }, Math.max(0, o.killTimeoutMs - 400));
    o.timers.add(timer);
    worker.once('exit', () => {
      if (o.timers.delete(timer)) clearTimeout(timer);
      setTimeout(() => resolve(none), 350);
    });
  });
}
