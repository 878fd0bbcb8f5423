/**
 * One logger for the master: the CLI prints its records, the control channel forwards them to
 * the extension's output channel. Nothing in server/ writes to the console directly.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogRecord {
  level: LogLevel;
  message: string;
  /** Worker id when the line came from a worker's stdout/stderr. */
  worker?: number;
  time: number;
}

export type LogSink = (record: LogRecord) => void;

export class Logger {
  private readonly sinks = new Set<LogSink>();
  constructor(public level: LogLevel = 'info') {}

  /** Add a sink; returns its remover. */
  addSink(sink: LogSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.level];
  }

  log(level: LogLevel, message: string, worker?: number): void {
    if (!this.enabled(level)) return;
    const record: LogRecord = { level, message, time: Date.now(), ...(worker !== undefined ? { worker } : {}) };
    for (const sink of this.sinks) {
      try {
        sink(record);
      } catch {
        // A failing sink (closed pipe) must not take the master down.
      }
    }
  }

  debug(message: string): void {
    this.log('debug', message);
  }
  info(message: string): void {
    this.log('info', message);
  }
  warn(message: string): void {
    this.log('warn', message);
  }
  error(message: string): void {
    this.log('error', message);
  }
}
