/** Human-readable lines for the CLI (pure). */
import * as path from 'node:path';
import type { ChangeOutcome, Finding, MasterEvent, MasterStatus } from '../protocol';

export interface Printer {
  stdout(text: string): void;
  stderr(text: string): void;
}

const time = () => new Date().toTimeString().slice(0, 8);

function where(f: { file?: string; line?: number; column?: number }, cwd: string): string {
  if (!f.file) return '';
  const rel = path.isAbsolute(f.file) ? path.relative(cwd, f.file) || f.file : f.file;
  return `${rel}${f.line ? `:${f.line}${f.column ? `:${f.column}` : ''}` : ''}`;
}

export function formatFinding(f: Finding, cwd: string): string {
  const loc = where(f, cwd);
  const lines = [`  ${f.severity} ${f.code}${loc ? ` ${loc}` : ''}: ${f.message}`];
  if (f.fix) lines.push(`    fix: ${f.fix}`);
  if (f.docs) lines.push(`    see: ${f.docs}`);
  return lines.join('\n');
}

/** One line for an event, or undefined for events a person need not see. */
export function formatEvent(e: MasterEvent, cwd: string): string | undefined {
  switch (e.kind) {
    case 'reload-start':
      return `[${time()}] ↻ reload #${e.id}: ${e.reason}`;
    case 'reload-done':
      return `[${time()}] ✓ reload #${e.id} done in ${e.durationMs} ms (generation ${e.generation})`;
    case 'reload-failed':
      return `[${time()}] ✗ reload #${e.id} failed after ${e.durationMs} ms; the previous workers keep serving\n${e.finding ? formatFinding(e.finding, cwd) : ''}`;
    case 'worker':
      if (e.event === 'crash' || e.event === 'killed' || e.event === 'recycle') return `[${time()}] worker ${e.id} ${e.event}${e.detail ? `: ${e.detail}` : ''}`;
      if (e.event === 'ready' && e.inspector) return `[${time()}] worker ${e.id} (generation ${e.generation}, pid ${e.pid}) inspector: ${e.inspector}`;
      if (e.event === 'paused') return `[${time()}] worker ${e.id} paused in the debugger: not timed out or killed, new requests go to the others`;
      if (e.event === 'resumed') return `[${time()}] worker ${e.id} resumed`;
      return undefined;
    case 'findings':
      return e.findings.length ? e.findings.map((f) => formatFinding(f, cwd)).join('\n') : undefined;
    case 'log':
      return e.worker !== undefined ? `[w${e.worker}] ${e.message}` : `[${time()}] ${e.level === 'info' ? '' : `${e.level}: `}${e.message}`;
    case 'browser-reload':
      return e.reason === 'code' ? undefined : `[${time()}] ⟳ browsers: ${e.reason} update${e.files?.length ? ` (${e.files.join(', ')})` : ''}`;
    case 'stopping':
      return `[${time()}] stopping…`;
    default:
      return undefined;
  }
}

export function formatStatus(s: MasterStatus, cwd: string): string {
  const lines = [`master pid ${s.pid}  ${s.state}  ${s.url}  generation ${s.generation}  (Smooth Reload ${s.version})`];
  if (s.lastReload) lines.push(`last reload #${s.lastReload.id}: ${s.lastReload.ok ? 'done' : 'failed'} in ${s.lastReload.durationMs} ms, ${Math.round((Date.now() - s.lastReload.at) / 1000)} s ago`);
  lines.push('');
  const header = ['worker', 'pid', 'gen', 'state', 'requests', 'errors', 'in-flight', 'p50 ms', 'p99 ms', 'RSS MB', 'uptime s'];
  const rows = s.workers.map((w) => [
    String(w.id),
    String(w.pid ?? '-'),
    String(w.generation),
    w.canary ? `${w.state} (canary)` : w.state,
    String(w.requests),
    String(w.errors),
    String(w.inFlight),
    w.latencyMs ? w.latencyMs.p50.toFixed(0) : '-',
    w.latencyMs ? w.latencyMs.p99.toFixed(0) : '-',
    w.rssBytes !== undefined ? (w.rssBytes / 1048576).toFixed(1) : '-',
    String(Math.round((Date.now() - w.startedAt) / 1000)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [header, ...rows]) lines.push(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  if (s.standby) {
    const { pids, off } = s.standby;
    lines.push(off ? `standby: off (${off})` : `standby: ${pids.length} Node process${pids.length === 1 ? '' : 'es'} booted for the next reload${pids.length ? ` (pid ${pids.join(', ')})` : ''}`);
  }
  if (s.findings.length) {
    lines.push('', 'findings:');
    for (const f of s.findings) lines.push(formatFinding(f, cwd));
  }
  return lines.join('\n') + '\n';
}

/** One line for what a `changed` report did. */
export function formatChangeOutcome(o: ChangeOutcome | { accepted: true }): string {
  if ('accepted' in o) return 'change reported';
  const ignored = o.ignored.length ? `; ignored: ${o.ignored.join(', ')}` : '';
  const config = o.configChanged ? '; the config file changed: restart the master to apply it' : '';
  const joined = o.joined ? ' (already handled: the watcher saw it first)' : '';
  switch (o.action) {
    case 'none':
      return `nothing to do${ignored}${config}`;
    case 'browser':
      return `browsers updated, workers kept${joined}${ignored}${config}`;
    default: {
      const r = o.reload;
      const how = !r ? '' : r.ok ? ` #${r.id} done in ${r.durationMs} ms (generation ${r.generation})` : ` #${r.id} failed, previous workers keep serving: ${r.finding?.message ?? ''}`;
      return `${o.action}${how}${joined}${ignored}${config}`;
    }
  }
}
