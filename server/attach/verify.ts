/**
 * Did the reload happen? Pure decisions over snapshots that attach.ts gathers: is this pid the
 * master, which processes are its workers, were they replaced, does the app serve new code.
 * Each way it can go wrong is a finding with a stable SR_ATTACH_* code (docs/attach.md).
 */
import type { Finding } from '../protocol';
import { finding } from '../finding';
import type { Preset } from './presets';

/** One process as the operating system shows it. */
export interface ProcSnapshot {
  pid: number;
  ppid: number;
  /** Kernel name (comm), at most 15 characters. */
  comm: string;
  cmdline: string;
  uid?: number;
}

export const ATTACH_CODES = [
  'SR_ATTACH_PID_FILE_MISSING',
  'SR_ATTACH_PID_FILE_INVALID',
  'SR_ATTACH_STALE_PID',
  'SR_ATTACH_NOT_SERVER',
  'SR_ATTACH_NOT_MASTER',
  'SR_ATTACH_NO_WORKERS',
  'SR_ATTACH_EPERM',
  'SR_ATTACH_SIGNAL_FAILED',
  'SR_ATTACH_MASTER_EXITED',
  'SR_ATTACH_WORKERS_UNCHANGED',
  'SR_ATTACH_RELOAD_PARTIAL',
  'SR_ATTACH_WORKERS_MISSING',
  'SR_ATTACH_HEALTH_FAILED',
  'SR_ATTACH_STALE_CODE',
] as const;
export type AttachCode = (typeof ATTACH_CODES)[number];

/** Findings that mean "there is no master to signal": the pid file itself is the problem. */
export const PID_FILE_CODES: readonly AttachCode[] = ['SR_ATTACH_PID_FILE_MISSING', 'SR_ATTACH_PID_FILE_INVALID', 'SR_ATTACH_STALE_PID'];

export function attachFinding(code: AttachCode, message: string, fix: string, file?: string): Finding {
  return finding(code, 'error', message, fix, { file });
}

/** The pid in a pid file's text (a number, maybe with whitespace), or undefined. */
export function parsePidFile(text: string): number | undefined {
  const m = /^\s*(\d+)\s*$/.exec(text);
  if (!m) return undefined;
  const pid = Number(m[1]);
  return pid > 1 && pid <= 4_194_304 ? pid : undefined;
}

export interface TargetCheck {
  preset: Preset;
  pidFile: string;
  pid: number;
  /** The process, undefined when no such pid runs. */
  proc: ProcSnapshot | undefined;
  /** Parent, grandparent, … as far as they were read (may be empty). */
  ancestors: ProcSnapshot[];
  /** What the master's command line or name must match (the preset's unless overridden). */
  processName: RegExp;
}

function looksLike(p: ProcSnapshot, name: RegExp): boolean {
  return name.test(p.cmdline) || name.test(p.comm);
}

/** The finding that stops us from signalling this pid, or undefined when it looks like the master. */
export function checkTarget(t: TargetCheck): Finding | undefined {
  const { preset, pidFile, pid, proc } = t;
  if (!proc) {
    return attachFinding(
      'SR_ATTACH_STALE_PID',
      `the pid file ${pidFile} names pid ${pid}, which is not running: ${preset.name} has stopped or crashed and left its pid file behind`,
      `start ${preset.name} again (it rewrites the pid file), or point --pid-file at the pid file of the running master`,
      pidFile,
    );
  }
  if (!looksLike(proc, t.processName)) {
    return attachFinding(
      'SR_ATTACH_NOT_SERVER',
      `pid ${pid} from ${pidFile} runs "${short(proc.cmdline)}", which does not look like ${preset.name} (expected a match for ${t.processName}); it was not signalled. The pid file may be stale and its pid reused`,
      `point --pid-file at the running ${preset.name} master's pid file; if the master renames its process (setproctitle, swoole_set_process_name), pass --process-name with a part of that name`,
      pidFile,
    );
  }
  // Climb while the parent is the same program: the topmost one is the master.
  let master: ProcSnapshot | undefined;
  let child = proc;
  for (const parent of t.ancestors) {
    if (parent.pid !== child.ppid || parent.comm !== proc.comm || !looksLike(parent, t.processName)) break;
    master = parent;
    child = parent;
  }
  if (master) {
    return attachFinding(
      'SR_ATTACH_NOT_MASTER',
      `pid ${pid} from ${pidFile} is a worker (or manager) of ${preset.name} master ${master.pid}, not the master; it was not signalled, since a worker would only restart itself or exit`,
      `write the master's pid to the pid file (${preset.name} does this itself with its pid-file setting), or use --pid-file with a file holding ${master.pid}`,
      pidFile,
    );
  }
  return undefined;
}

/**
 * The master's workers: its children, or, for servers with a manager process between master and
 * workers (Swoole's SWOOLE_PROCESS mode), the manager's children when the master has just one child.
 */
export function workersOf(pid: number, preset: Preset, childrenOf: (pid: number) => number[]): number[] {
  const children = childrenOf(pid);
  if (preset.name === 'swoole' && children.length === 1) {
    const managed = childrenOf(children[0]);
    if (managed.length) return managed.sort((a, b) => a - b);
  }
  return children.sort((a, b) => a - b);
}

export function noWorkersFinding(preset: Preset, pid: number): Finding {
  return attachFinding(
    'SR_ATTACH_NO_WORKERS',
    `${preset.name} master ${pid} has no worker processes, so a reload cannot be seen (single-process or BASE mode, or workers = 0); it was not signalled`,
    `start ${preset.name} with at least one worker process (${preset.name === 'puma' ? 'puma -w 2' : preset.name === 'swoole' ? "SWOOLE_PROCESS mode, 'worker_num' => 2" : preset.name === 'nginx' ? 'master_process on' : 'its workers setting'}), then attach again`,
  );
}

export function signalFinding(preset: Preset, pid: number, signal: string, code: string, message: string, owner?: number): Finding {
  if (code === 'EPERM') {
    return attachFinding(
      'SR_ATTACH_EPERM',
      `not allowed to signal ${preset.name} master ${pid} (EPERM): it belongs to ${owner !== undefined ? `uid ${owner}` : 'another user'}, and Smooth Reload runs as uid ${process.getuid?.() ?? '?'}`,
      `run the editor (or smooth-reload attach) as the user that runs ${preset.name}, start ${preset.name} as your own user for development, or allow it with sudo: sudo kill -${signal} ${pid}`,
    );
  }
  return attachFinding('SR_ATTACH_SIGNAL_FAILED', `sending SIG${signal} to ${preset.name} master ${pid} failed: ${message}`, 'check that the master still runs and that the pid file is current');
}

export function masterExitedFinding(preset: Preset, pid: number, signal: string): Finding {
  return attachFinding(
    'SR_ATTACH_MASTER_EXITED',
    `${preset.name} master ${pid} exited after SIG${signal}: it has no handler for that signal, or its new workers failed to boot and it gave up`,
    `read ${preset.name}'s log for the error, start it again, and check the reload signal (--signal; ${preset.name} reloads on SIG${preset.signal})`,
  );
}

/** Where the workers are after the signal. */
export type WorkerProgress =
  /** Every old worker is gone (or, for a partial signal, at least one) and as many run as before. */
  | 'replaced'
  /** Not there yet. */
  | 'pending';

export function judgeWorkers(before: readonly number[], now: readonly number[], partial: boolean): WorkerProgress {
  const old = new Set(before);
  const remaining = now.filter((p) => old.has(p)).length;
  const fresh = now.length - remaining;
  const enough = now.length >= before.length;
  if (partial) return remaining < before.length && fresh > 0 && enough ? 'replaced' : 'pending';
  return remaining === 0 && enough ? 'replaced' : 'pending';
}

/** The finding when the workers never reached "replaced" before the timeout. */
export function workersTimeoutFinding(preset: Preset, pid: number, signal: string, before: readonly number[], now: readonly number[], timeoutMs: number): Finding {
  const old = new Set(before);
  const remaining = now.filter((p) => old.has(p));
  const fresh = now.filter((p) => !old.has(p));
  if (remaining.length === before.length) {
    return attachFinding(
      'SR_ATTACH_WORKERS_UNCHANGED',
      `${preset.name} master ${pid} got SIG${signal} but its workers (${before.join(', ')}) were still the same after ${timeoutMs} ms: the master has no reload handler for that signal, runs in single-process mode, or a reload was already in progress`,
      `${preset.unchangedHint}; or raise --timeout if workers finish long requests first`,
    );
  }
  if (remaining.length > 0) {
    return attachFinding(
      'SR_ATTACH_RELOAD_PARTIAL',
      `only part of ${preset.name} master ${pid}'s workers were replaced within ${timeoutMs} ms: ${remaining.join(', ')} still run old code, next to new ${fresh.join(', ') || '(none)'}`,
      'a worker is still finishing a long request (or ignores its stop signal, for example timers not cleared on worker exit); raise --timeout, or lower the server\'s graceful timeout (Swoole max_wait_time, gunicorn --graceful-timeout)',
    );
  }
  return attachFinding(
    'SR_ATTACH_WORKERS_MISSING',
    `${preset.name} master ${pid} stopped its old workers but runs ${now.length} of ${before.length} after ${timeoutMs} ms: the new workers are failing to start, or still starting`,
    `read ${preset.name}'s log: when the new code fails at import or boot, fix it and save again; when the workers are only slow to boot, raise --timeout`,
  );
}

/** A string is looked for as is; `/…/flags` is a regular expression. */
export function parseExpect(raw: string): RegExp | string {
  const m = /^\/(.+)\/([dgimsuy]*)$/s.exec(raw);
  if (!m) return raw;
  try {
    return new RegExp(m[1], m[2].replace('g', ''));
  } catch {
    return raw;
  }
}

export type HealthResponse = { status: number; body: string } | { error: string };
export type HealthVerdict = { ok: true } | { ok: false; stale: boolean; detail: string };

export function judgeHealth(res: HealthResponse, expect: RegExp | string | undefined): HealthVerdict {
  if ('error' in res) return { ok: false, stale: false, detail: res.error };
  if (res.status < 200 || res.status >= 400) return { ok: false, stale: false, detail: `HTTP ${res.status}` };
  if (expect === undefined) return { ok: true };
  const found = typeof expect === 'string' ? res.body.includes(expect) : expect.test(res.body);
  return found ? { ok: true } : { ok: false, stale: true, detail: `the response does not contain ${typeof expect === 'string' ? JSON.stringify(expect) : String(expect)}: ${JSON.stringify(short(res.body))}` };
}

export function healthFinding(preset: Preset, url: string, verdict: Extract<HealthVerdict, { ok: false }>, timeoutMs: number): Finding {
  if (verdict.stale) {
    return attachFinding(
      'SR_ATTACH_STALE_CODE',
      `${preset.name}'s workers were replaced, but ${url} still serves old code after ${timeoutMs} ms: ${verdict.detail}`,
      `${preset.staleHint}`,
    );
  }
  return attachFinding(
    'SR_ATTACH_HEALTH_FAILED',
    `${preset.name}'s workers were replaced, but ${url} did not answer with a success status within ${timeoutMs} ms (${verdict.detail})`,
    `read ${preset.name}'s log: the new code may fail on requests; check that --health names a URL the app answers with 2xx or 3xx`,
  );
}

function short(text: string, max = 120): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? one.slice(0, max - 1) + '…' : one;
}
