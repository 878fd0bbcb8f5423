/** Messages a Node worker's bootstrap sends to the master over IPC (worker → master only). */
export type WorkerMessage =
  /** The app's first listen() is bound; `port` is the private port the master proxies to. */
  | { type: 'smooth-reload:listening'; port: number; requested: string | null }
  /** The app called smoothReload.ready() (readiness "explicit"). PM2's plain 'ready' string is accepted too. */
  | { type: 'smooth-reload:ready' }
  /** Files the worker compiled, with the sha1 of the content it compiled. */
  | { type: 'smooth-reload:loaded'; files: { file: string; sha1: string }[] }
  /** Resources keeping the worker alive (answer to report-handles). */
  | { type: 'smooth-reload:handles'; resources: string[] };

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return !!value && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string' &&
    (value as { type: string }).type.startsWith('smooth-reload:');
}
