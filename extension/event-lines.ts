/**
 * The output channel's lines for what a master reports: its events, reload failures, doctor
 * findings and the events of an `attach` process. Pure (no vscode), so the wording is unit-tested.
 */
import type { Finding, MasterEvent } from '../server/protocol';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogLine {
  level: LogLevel;
  text: string;
}

/** ` (file:line)` for a finding with a place, else nothing. */
function place(f: Finding): string {
  if (!f.file) return '';
  return ` (${f.file}${f.line ? `:${f.line}` : ''})`;
}

/** `[SR_CODE] message (file:line)`. */
export function findingText(f: Finding): string {
  return `[${f.code}] ${f.message}${place(f)}`;
}

/** One doctor finding: `doctor: [SR_CODE] severity: message (file:line)`. */
export function doctorLine(f: Finding): string {
  return `doctor: [${f.code}] ${f.severity}: ${f.message}${place(f)}`;
}

/**
 * The line for a master's event, or undefined for events the channel does not show (state,
 * findings, hello: the status bar and the Problems panel show those). `prefix` names the folder
 * when several masters share the channel.
 */
export function masterEventLine(e: MasterEvent, prefix = ''): LogLine | undefined {
  switch (e.kind) {
    case 'log':
      return { level: e.level, text: `${prefix}${e.worker !== undefined ? `worker ${e.worker}: ` : ''}${e.message}` };
    case 'reload-start':
      return { level: 'info', text: `${prefix}reload #${e.id}: ${e.reason}` };
    case 'reload-done':
      return { level: 'info', text: `${prefix}reload #${e.id} done in ${e.durationMs} ms (generation ${e.generation})` };
    case 'reload-failed':
      return { level: 'error', text: `${prefix}reload #${e.id} failed${e.finding ? `: ${findingText(e.finding)}` : ''}; the previous workers keep serving` };
    case 'worker':
      return { level: 'debug', text: `${prefix}worker ${e.id} (generation ${e.generation}${e.pid ? `, pid ${e.pid}` : ''}): ${e.event}${e.detail ? ` — ${e.detail}` : ''}` };
    default:
      return undefined;
  }
}

/** The line for an event of `cli.js attach` following a foreign master (`preset`: Swoole, Gunicorn, …). */
export function attachEventLine(e: MasterEvent, preset: string): LogLine | undefined {
  if (e.kind === 'log') return { level: e.level, text: `attach ${preset}: ${e.message}` };
  if (e.kind.startsWith('reload-')) return { level: 'info', text: `attach ${preset}: ${JSON.stringify(e)}` };
  return undefined;
}
