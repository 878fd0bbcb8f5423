/** Messages a Node worker's bootstrap sends to the master over IPC (worker → master only). */
export type WorkerMessage =
  /** The app's first listen() is bound; `port` is the private port the master proxies to. */
  | { type: 'smooth-reload:listening'; port: number; requested: string | null }
  /** The app called smoothReload.ready() (readiness "explicit"). PM2's plain 'ready' string is accepted too. */
  | { type: 'smooth-reload:ready' }
  /** Files the worker compiled, with the sha1 of the content it compiled. */
  | { type: 'smooth-reload:loaded'; files: { file: string; sha1: string }[] }
  /**
   * Resources keeping the worker alive, and the SIGTERM/SIGINT listeners installed with where each
   * function is defined (answer to report-handles).
   */
  | { type: 'smooth-reload:handles'; resources: string[]; listeners?: SignalListener[] }
  /** A warm standby is booted and waits for `go`; `preloaded` lists app files it compiled already (it must then not be used). */
  | { type: 'smooth-reload:standby'; preloaded: string[] }
  /**
   * Debug mode (`serve --debug`): sent every HEARTBEAT_ENV ms from the main thread. A worker
   * stopped at a breakpoint runs no JavaScript, so its silence is how the master knows it is paused.
   */
  | { type: 'smooth-reload:alive' }
  /** The worker's inspector address (`serve --inspect`), for Chrome DevTools or another IDE. */
  | { type: 'smooth-reload:inspector'; url: string };

/** Set in a worker's environment in debug mode: the heartbeat interval, in ms. */
export const HEARTBEAT_ENV = 'SMOOTH_RELOAD_HEARTBEAT_MS';

/** A SIGTERM/SIGINT listener of a worker, located through the inspector (1-based line and column). */
export interface SignalListener {
  signal: string;
  /** The function's name ('' for an anonymous one). */
  name: string;
  file?: string;
  line?: number;
  column?: number;
  /** Installed with process.once and already run (so no longer attached). */
  removed?: boolean;
}

/** Set in a warm standby's environment: the bootstrap waits for `go` instead of configuring itself at start. */
export const STANDBY_ENV = 'SMOOTH_RELOAD_STANDBY';

/** Master → warm standby: become this worker and run the entry. */
export interface GoMessage {
  type: 'smooth-reload:go';
  entry: string;
  /** Environment variables the worker has and the standby was not started with. */
  env: Record<string, string>;
}

export function isGoMessage(value: unknown): value is GoMessage {
  const m = value as GoMessage | null;
  return !!m && typeof m === 'object' && m.type === 'smooth-reload:go' && typeof m.entry === 'string' && !!m.env && typeof m.env === 'object';
}

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return !!value && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string' &&
    (value as { type: string }).type.startsWith('smooth-reload:');
}
