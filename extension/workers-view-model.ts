/**
 * What the "Smooth Reload Workers" tree shows: one row per folder's master and one per worker of
 * its last `status` reply, as label/description/tooltip strings and a codicon id. Pure, so every
 * row is unit-tested without VS Code; workers-view.ts only turns these into TreeItems.
 */
import type { WorkerInfo } from '../server/protocol';
import { describeAge, type SessionSnapshot } from './status-view';

export interface WorkersRow {
  label: string;
  description: string;
  tooltip: string;
  /** Codicon id (`$(id)` without the wrapper). */
  icon: string;
}

const MB = 1024 * 1024;

/** A duration as a short uptime: `42 s`, `3 min`, `2 h 5 min`, `3 d 4 h`. */
export function describeDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h} h${min % 60 ? ` ${min % 60} min` : ''}`;
  const d = Math.floor(h / 24);
  return `${d} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

export function describeMB(bytes: number | undefined): string {
  if (bytes === undefined) return '–';
  return `${bytes < 10 * MB ? (bytes / MB).toFixed(1) : Math.round(bytes / MB)} MB`;
}

function ms(n: number): string {
  return `${Math.round(n * 10) / 10} ms`;
}

const WORKER_ICONS: Record<WorkerInfo['state'], string> = {
  starting: 'loading~spin',
  ready: 'pass',
  draining: 'arrow-circle-down',
  stopping: 'circle-slash',
  exited: 'circle-outline',
};

const MASTER_ICONS: Record<SessionSnapshot['phase'], string> = {
  stopped: 'debug-stop',
  starting: 'loading~spin',
  ready: 'server-process',
  reloading: 'sync~spin',
  failed: 'error',
  crashed: 'error',
  stopping: 'loading~spin',
};

/** One worker: `worker 3 · gen 2 · ready`, its counters in the description, every field in the tooltip. */
export function workerRow(w: WorkerInfo, now = Date.now()): WorkersRow {
  const uptime = describeDuration(now - w.startedAt);
  const description = [
    `${w.requests} req`,
    `${w.errors} err`,
    ...(w.inFlight ? [`${w.inFlight} in flight`] : []),
    `p99 ${w.latencyMs ? ms(w.latencyMs.p99) : '–'}`,
    describeMB(w.rssBytes),
    `up ${uptime}`,
  ].join(' · ');
  const tooltip = [
    `Worker ${w.id} (generation ${w.generation})`,
    `state: ${w.state}`,
    `pid: ${w.pid ?? '–'}`,
    ...(w.port !== undefined ? [`port: ${w.port}`] : []),
    `requests: ${w.requests}`,
    `errors: ${w.errors}`,
    `in flight: ${w.inFlight}`,
    `latency: ${w.latencyMs ? `p50 ${ms(w.latencyMs.p50)} · p90 ${ms(w.latencyMs.p90)} · p99 ${ms(w.latencyMs.p99)}` : '– (no request yet)'}`,
    `memory (RSS): ${describeMB(w.rssBytes)}`,
    `started: ${new Date(w.startedAt).toLocaleTimeString()} (up ${uptime})`,
  ].join('\n');
  // Paused in the debugger (`serve --debug`): the master neither times it out nor kills it.
  if (w.paused && w.state !== 'exited') {
    return { label: `worker ${w.id} · gen ${w.generation} · paused`, description, tooltip: `${tooltip}\npaused in the debugger (${w.state}): never timed out or killed while paused`, icon: 'debug-pause' };
  }
  return { label: `worker ${w.id} · gen ${w.generation} · ${w.state}`, description, tooltip, icon: WORKER_ICONS[w.state] ?? 'circle-outline' };
}

/** One folder's master: its state in the label; pid, generation, URL and last reload in the description. */
export function masterRow(s: SessionSnapshot, now = Date.now()): WorkersRow {
  const st = s.status;
  const label = `${s.folderName} · master · ${s.phase}`;
  const running = s.phase !== 'stopped' && s.phase !== 'crashed';
  const last = s.lastReload ? `last reload ${s.lastReload.ok ? `${s.lastReload.durationMs} ms` : 'failed'} ${describeAge(now - s.lastReload.at)}` : undefined;
  const parts: string[] = [];
  if (running) {
    if (s.debugging) parts.push('debugger');
    if (st) parts.push(`pid ${st.pid}`, `gen ${st.generation}`);
    if (s.url) parts.push(s.url);
    if (last) parts.push(last);
  } else parts.push(s.phase === 'crashed' ? (s.error ?? 'exited unexpectedly') : 'not running');
  const tooltip = [
    `Smooth Reload master — ${s.folderName}`,
    `state: ${s.phase}${s.debugging ? ' (under the debugger: Start with Debugger)' : s.owned ? '' : running ? ' (attached: started outside VS Code)' : ''}`,
    `pid: ${st?.pid ?? '–'}`,
    `url: ${s.url ?? '–'}`,
    `generation: ${st?.generation ?? '–'}`,
    `workers: ${s.workers} ready${st ? ` of ${st.workers.length}` : ''}`,
    `last reload: ${s.lastReload ? `${s.lastReload.ok ? 'done' : 'failed'} in ${s.lastReload.durationMs} ms, ${describeAge(now - s.lastReload.at)}${s.lastReload.message ? ` — ${s.lastReload.message}` : ''}` : '–'}`,
    ...(st?.version ? [`version: ${st.version}`] : []),
    ...(s.error ? [`error: ${s.error}`] : []),
  ].join('\n');
  return { label, description: parts.join(' · '), tooltip, icon: MASTER_ICONS[s.phase] };
}

/** The workers listed under a master: those of its last status reply, none when it is not running. */
export function workersOf(s: SessionSnapshot): WorkerInfo[] {
  if (s.phase === 'stopped' || s.phase === 'crashed' || s.phase === 'starting') return [];
  return [...(s.status?.workers ?? [])].sort((a, b) => a.generation - b.generation || a.id - b.id);
}
