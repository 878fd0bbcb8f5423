/**
 * Why a worker did not become ready, as a finding (pure: the worker passes what it saw).
 */
import { finding } from '../finding';
import type { Finding } from '../protocol';
import { parseBootError } from '../runners/boot-error';
import type { WorkerSpec } from './worker-spec';

export class WorkerBootError extends Error {
  constructor(readonly finding: Finding) {
    super(finding.message);
    this.name = 'WorkerBootError';
  }
}

const DEFAULT_FIX = 'fix the cause and save again; the previous workers keep serving until then';

export function bootError(code: string, message: string, fix = DEFAULT_FIX): WorkerBootError {
  return new WorkerBootError(finding(code, 'error', message, fix));
}

/** The process exited before it was ready: the error it printed (SR_BOOT_CRASH, SR_PORT_IN_USE). */
export function crashError(stderrTail: string, exit: { code: number | null; signal: string | null }): WorkerBootError {
  const parsed = parseBootError(stderrTail);
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  if (!parsed) return bootError('SR_BOOT_CRASH', `new worker ${how} before it was ready${stderrTail.trim() ? `: ${lastLine(stderrTail)}` : ' and printed nothing'}`);
  const inUse = /EADDRINUSE/.test(parsed.message);
  return new WorkerBootError(
    finding(
      inUse ? 'SR_PORT_IN_USE' : 'SR_BOOT_CRASH',
      'error',
      `new worker ${how} before it was ready: ${parsed.message}`,
      inUse
        ? 'a second server in the app listens on a fixed port; only the first listen() is redirected. Close the other process or make that port configurable.'
        : 'fix the error and save again; the previous workers keep serving until then',
      parsed,
      parsed.frames.slice(0, 5).map((f) => ({ file: f.file, line: f.line, message: 'called from here' })),
    ),
  );
}

export interface TimeoutFacts {
  /** It reported (or its $PORT accepted) a listening socket. */
  listened: boolean;
  commandPort: number;
  /** What the command's process tree listens on (read only for a command that did not listen on $PORT). */
  found: readonly { port: number; address: string }[];
  /** The health path's last answer or error (readiness `http`). */
  healthError: string;
}

/** Not ready within readiness.timeoutMs: SR_BOOT_HEALTH for a health path that never answered, else SR_BOOT_TIMEOUT saying what was missing. */
export function timeoutError(spec: WorkerSpec, facts: TimeoutFacts): WorkerBootError {
  if (spec.readiness.mode === 'http' && facts.listened) {
    const secs = `${(spec.readiness.timeoutMs / 1000).toFixed(1)} s`;
    return bootError(
      'SR_BOOT_HEALTH',
      `the app listens, but its health path ${spec.readiness.path} did not answer below 500 within ${secs}: ${facts.healthError || 'no answer'}`,
      `make ${spec.readiness.path} answer 2xx once the app can serve, or point readiness.path at a path that does (or raise readiness.timeoutMs)`,
    );
  }
  return bootError('SR_BOOT_TIMEOUT', timeoutMessage(spec, facts));
}

function timeoutMessage(spec: WorkerSpec, { listened, commandPort, found }: TimeoutFacts): string {
  const secs = `${spec.readiness.timeoutMs} ms`;
  if (spec.command && !listened) {
    const howTo = 'Make the app read its port from the PORT environment variable (for example "php -S 127.0.0.1:$PORT", or int(os.environ["PORT"]) in Python)';
    const onPort = found.filter((s) => s.port === commandPort);
    if (onPort.length) {
      return `the app listens on $PORT=${commandPort} but only on ${onPort.map((s) => s.address).join(', ')}, which the master cannot reach at 127.0.0.1. Listen on 127.0.0.1 (the HOST environment variable) or 0.0.0.0`;
    }
    if (found.length) {
      const ports = [...new Set(found.map((s) => s.port))];
      return `the app listens on ${ports.join(', ')}, not on $PORT=${commandPort} (waited ${secs}). ${howTo}`;
    }
    return `the command did not listen on $PORT=${commandPort} (or any other port) within ${secs}. ${howTo}, or raise readiness.timeoutMs`;
  }
  if (spec.readiness.mode === 'explicit') return `the app did not call smoothReload.ready() (or process.send('ready')) within ${secs}`;
  if (!listened) return `the app did not call listen() within ${secs}: is "${spec.entry}" the file that starts the server?`;
  return `the worker was not ready within ${secs}`;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1].slice(0, 300);
}
