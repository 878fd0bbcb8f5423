/** Smooth Reload: Kill Worker (a worker row's menu in the Workers view) — SIGKILL; the master replaces it as after any crash. */
import type { Log } from './context';

/** The pid a Workers-view worker row carries: `{ worker: { pid } }`. */
export function workerRowPid(arg: unknown): number | undefined {
  const pid = (arg as { worker?: { pid?: unknown } } | undefined)?.worker?.pid;
  return typeof pid === 'number' ? pid : undefined;
}

export function killWorker(log: Log, arg: unknown): void {
  const pid = workerRowPid(arg);
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
    log.info(`killed worker pid ${pid}`);
  } catch (err) {
    log.warn(`cannot kill pid ${pid}: ${(err as Error).message}`);
  }
}
