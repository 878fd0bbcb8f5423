/** A worker as the master's events and `status` show it: lifecycle events, counters, latency percentiles, memory (read from /proc). */
import type { Logger } from '../logger';
import type { MasterEvent, WorkerInfo } from '../protocol';
import { rssBytes, treeRssBytes } from '../runners/proc-info';
import type { Worker } from './worker';

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function describe(w: Worker): WorkerInfo {
  const sorted = [...w.latencies].sort((a, b) => a - b);
  // A command worker is a shim running the app: its memory is the whole tree's.
  const rss = w.pid === undefined || w.state === 'exited' ? undefined : w.isCommand ? treeRssBytes(w.pid) : rssBytes(w.pid);
  return {
    id: w.id,
    ...(w.pid ? { pid: w.pid } : {}),
    generation: w.generation,
    state: w.state,
    ...(w.port ? { port: w.port } : {}),
    inFlight: w.inFlight,
    requests: w.requests,
    errors: w.errors,
    startedAt: w.startedAt,
    ...(rss !== undefined ? { rssBytes: rss } : {}),
    ...(w.paused ? { paused: true } : {}),
    ...(w.inspectorUrl ? { inspector: w.inspectorUrl } : {}),
    ...(sorted.length ? { latencyMs: { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99) } } : {}),
  };
}

/** Forward a worker's output to the log and its lifecycle (spawn, ready, exit or killed) as events. */
export function announceWorker(worker: Worker, logger: Logger, emit: (e: MasterEvent) => void, onReady: () => void): void {
  const { id, generation } = worker;
  const pid = () => (worker.pid ? { pid: worker.pid } : {});
  worker.on('log', (level, line) => logger.log(level === 'error' ? 'warn' : 'info', line, id));
  worker.once('ready', () => {
    emit({ kind: 'worker', event: 'ready', id, generation, ...pid(), ...(worker.inspectorUrl ? { inspector: worker.inspectorUrl } : {}) });
    onReady();
  });
  worker.on('paused', () => emit({ kind: 'worker', event: 'paused', id, generation, ...pid() }));
  worker.on('resumed', () => emit({ kind: 'worker', event: 'resumed', id, generation, ...pid() }));
  worker.once('exit', (info) => emit({ kind: 'worker', event: info.killed ? 'killed' : 'exit', id, generation, ...pid(), code: info.code, signal: info.signal }));
  // After the constructor's caller had a chance to start it: the pid is known then.
  queueMicrotask(() => emit({ kind: 'worker', event: 'spawn', id, generation, ...pid() }));
}
