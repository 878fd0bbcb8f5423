/**
 * Findings from what a real worker showed after SIGTERM: the listeners it had installed (with the
 * file and line of each function, from the inspector) and what still kept it alive (Node's active
 * resources). Used by the master when it had to kill a worker (SR_KILLED_AFTER_GRACE) and by
 * `doctor --run` (SR_RUN_NO_EXIT). Pure: evidence in, finding out.
 */
import * as path from 'node:path';
import type { Finding } from '../protocol';
import { finding } from '../finding';
import type { SignalListener } from '../runners/worker-messages';

export interface Evidence {
  resources: string[];
  listeners: SignalListener[];
}

/**
 * 'TCPServerWrap, 2 × Timeout'. PipeWrap is left out: a worker's stdout, stderr and IPC channel
 * are pipes to the master, listed by Node once written to, and they do not keep it from exiting.
 */
export function summarizeResources(resources: string[]): string {
  const counts = new Map<string, number>();
  for (const r of resources) if (r !== 'PipeWrap') counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([name, n]) => (n > 1 ? `${n} × ${name}` : name)).join(', ');
}

/** The app's own listeners first (not Node's, not a package's), SIGTERM before SIGINT. */
export function appListeners(listeners: SignalListener[]): SignalListener[] {
  const own = (l: SignalListener) => !!l.file && path.isAbsolute(l.file) && !l.file.split(path.sep).includes('node_modules');
  const rank = (l: SignalListener) => (own(l) ? 0 : 2) + (l.signal === 'SIGTERM' ? 0 : 1);
  return listeners.filter((l) => !l.file || !l.file.startsWith('node:')).sort((a, b) => rank(a) - rank(b));
}

function place(l: SignalListener, cwd: string): string {
  const notes = [...(l.name ? [l.name] : []), ...(l.removed ? ['ran once and removed'] : [])];
  const name = notes.length ? ` (${notes.join(', ')})` : '';
  if (!l.file) return `${l.name || 'an anonymous function'}${l.removed ? ' (ran once and removed)' : ''}`;
  return `${path.relative(cwd, l.file) || l.file}:${l.line ?? '?'}${name}`;
}

/** "; still open: …; SIGTERM handler at app.js:4 (onTerm)", the finding's location and related entries. */
export function describeEvidence(evidence: Evidence, cwd: string): { text: string; where: { file?: string; line?: number; column?: number }; related: NonNullable<Finding['related']> } {
  const parts: string[] = [];
  const open = summarizeResources(evidence.resources);
  if (open) parts.push(`still open: ${open}`);
  const listeners = appListeners(evidence.listeners);
  const term = listeners.filter((l) => l.signal === 'SIGTERM');
  if (term.length) parts.push(`SIGTERM handler${term.length > 1 ? 's' : ''} at ${term.map((l) => place(l, cwd)).join(', ')}`);
  const first = term.find((l) => l.file && l.line);
  const related = listeners
    .filter((l) => l.file && l.line && l !== first)
    .map((l) => ({ file: l.file!, line: l.line!, message: `${l.signal} handler${l.name ? ` ${l.name}` : ''}` }));
  return {
    text: parts.length ? `; ${parts.join('; ')}` : '',
    where: first ? { file: first.file!, line: first.line!, ...(first.column ? { column: first.column } : {}) } : {},
    related,
  };
}

/** The master's finding for a worker it killed after `killTimeoutMs`: at the SIGTERM handler when it knows where that is. */
export function killedAfterGraceFinding(subject: string, killTimeoutMs: number, evidence: Evidence, cwd: string): Finding {
  const d = describeEvidence(evidence, cwd);
  return finding('SR_KILLED_AFTER_GRACE', 'warning', `${subject} did not exit within ${killTimeoutMs} ms of SIGTERM and was killed${d.text}`, fixFor(evidence), d.where, d.related);
}

/** What to do, from what was still open. */
export function fixFor(evidence: Evidence): string {
  const open = new Set(evidence.resources);
  const steps: string[] = [];
  if (open.has('TCPServerWrap') || open.has('PipeServerWrap')) steps.push('close the server (server.close())');
  // With the server still open, server.close() also closes its idle connections: name sockets only when they outlive it.
  const serverOpen = open.has('TCPServerWrap') || open.has('PipeServerWrap');
  if (open.has('TCPSocketWrap') && !serverOpen) steps.push('end the connections still open (server.closeAllConnections() after server.close(), close database pools and clients)');
  if (open.has('Timeout') || open.has('Immediate')) steps.push('clear intervals and timers');
  const what = steps.length ? steps.join(', ') : 'close the server and clear intervals and open sockets';
  return `in the SIGTERM handler, ${what} so the process can exit, or call process.exit() once the cleanup is done`;
}
