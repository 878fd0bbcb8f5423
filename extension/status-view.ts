/**
 * What the status-bar item shows for a master's state: text, a Markdown tooltip, a background
 * colour and the click command. Pure, so every state is unit-tested without VS Code.
 */
import type { MasterStatus } from '../server/protocol';

export type Phase = 'stopped' | 'starting' | 'ready' | 'reloading' | 'failed' | 'crashed' | 'stopping';

/** Everything the extension knows about one folder's master, as a plain value. */
export interface SessionSnapshot {
  folderName: string;
  phase: Phase;
  /** True when the extension started the master (it stops it on deactivate); false when attached. */
  owned: boolean;
  url?: string;
  workers: number;
  lastReload?: { ok: boolean; durationMs: number; at: number; message?: string };
  /** Why the master is failed or crashed. */
  error?: string;
  /** The last `status` reply, for per-worker metrics. */
  status?: MasterStatus;
  autoReload: boolean;
  findings: number;
  /** Launched under VS Code's debugger (Start with Debugger). */
  debugging?: boolean;
}

export interface StatusView {
  text: string;
  tooltip: string;
  background?: 'error' | 'warning';
  command: 'smooth-reload.reload' | 'smooth-reload.start';
}

export function describeAge(ms: number): string {
  if (ms < 5_000) return 'just now';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  return `${Math.round(ms / 3_600_000)} h ago`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The command that opens a folder's app through the port forwarding (open-app.ts). */
export const OPEN_APP_COMMAND = 'smooth-reload.openBrowser';

/**
 * A Markdown command link that opens `folder`'s app: a plain link to the master's URL would be
 * opened by VS Code itself, without the forwarding and without allowing its Host. The argument
 * has the shape of a Workers-view row, which the command's folder pick understands.
 */
export function openAppLink(folder: string): string {
  return `command:${OPEN_APP_COMMAND}?${encodeURIComponent(JSON.stringify([{ session: { folder } }]))}`;
}

/** `openLink`: the tooltip's link target for the URL (openAppLink()); the URL itself when absent. */
export function statusView(s: SessionSnapshot | undefined, now = Date.now(), openLink?: string): StatusView {
  if (!s) {
    return { text: '$(debug-start) Smooth Reload', tooltip: 'Smooth Reload: no folder with smooth-reload.config.json is running a master. Click to start one.', command: 'smooth-reload.start' };
  }
  const tip: string[] = [`**Smooth Reload** — ${s.folderName}`, ''];
  const view = (text: string, command: StatusView['command'], background?: StatusView['background']): StatusView => ({
    text,
    tooltip: tip.join('\n\n'),
    command,
    ...(background ? { background } : {}),
  });
  switch (s.phase) {
    case 'stopped':
      tip.push('Stopped. Click to start the master.');
      return view('$(debug-start) Smooth Reload', 'smooth-reload.start');
    case 'starting':
      tip.push('Starting the master and its first workers…');
      return view('$(loading~spin) Smooth Reload: starting', 'smooth-reload.reload');
    case 'stopping':
      tip.push('Stopping: in-flight requests finish first.');
      return view('$(loading~spin) Smooth Reload: stopping', 'smooth-reload.reload');
    case 'crashed':
      tip.push(`The master exited unexpectedly${s.error ? `: ${s.error}` : ''}.`, 'Click to start it again; the output channel has its last lines.');
      return view('$(error) Smooth Reload: crashed', 'smooth-reload.start', 'error');
    default:
      break;
  }
  addDetails(tip, s, now, openLink);
  if (s.phase === 'reloading') return view('$(sync~spin) Smooth Reload: reloading', 'smooth-reload.reload');
  if (s.phase === 'failed' || (s.lastReload && !s.lastReload.ok)) {
    const why = s.lastReload && !s.lastReload.ok ? s.lastReload.message : s.error;
    tip.splice(2, 0, `$(error) Reload failed${why ? `: ${why}` : ''}. ${s.workers ? 'The previous workers keep serving.' : 'No worker is serving.'} Click to retry.`);
    return view(s.workers ? '$(error) Smooth Reload: reload failed · previous code serving' : '$(error) Smooth Reload: failed · nothing serving', 'smooth-reload.reload', 'error');
  }
  const last = s.lastReload ? ` · ${s.lastReload.durationMs} ms` : '';
  if (s.debugging) {
    const paused = pausedWorkers(s);
    tip.splice(2, 0, `$(debug-alt) Running under the debugger: every worker is attached.${paused ? ` ${plural(paused, 'worker')} paused at a breakpoint; the others serve.` : ''}`);
    return view(`$(debug-alt) Smooth Reload: ${plural(s.workers, 'worker')}${paused ? ` · ${paused} paused` : ''}${last}`, 'smooth-reload.reload', paused ? 'warning' : undefined);
  }
  return view(`$(zap) Smooth Reload: ${plural(s.workers, 'worker')}${last}`, 'smooth-reload.reload');
}

/** Workers the master reports as paused in the debugger (`serve --debug`). */
export function pausedWorkers(s: SessionSnapshot): number {
  return (s.status?.workers ?? []).filter((w) => w.paused && w.state !== 'exited').length;
}

function addDetails(tip: string[], s: SessionSnapshot, now: number, openLink: string | undefined): void {
  if (s.url) tip.push(`Serving [${s.url}](${openLink ?? s.url}) with ${plural(s.workers, 'worker')}${s.owned ? '' : ' (attached to a master started outside VS Code)'}.`);
  if (s.lastReload) {
    tip.push(`Last reload ${s.lastReload.ok ? 'done' : 'failed'} in ${s.lastReload.durationMs} ms, ${describeAge(now - s.lastReload.at)}.`);
  }
  const workers = s.status?.workers ?? [];
  if (workers.length) {
    const rows = workers.map((w) => {
      const lat = w.latencyMs ? `${w.latencyMs.p50}/${w.latencyMs.p99} ms` : '–';
      const rss = w.rssBytes ? `${Math.round(w.rssBytes / 1048576)} MB` : '–';
      return `| ${w.id} | ${w.pid ?? '–'} | ${w.generation} | ${w.state} | ${w.requests} | ${w.errors} | ${w.inFlight} | ${lat} | ${rss} |`;
    });
    tip.push(['| worker | pid | gen | state | requests | errors | in flight | p50/p99 | rss |', '|---|---|---|---|---|---|---|---|---|', ...rows].join('\n'));
  }
  if (s.findings) tip.push(`${plural(s.findings, 'finding')} in the Problems panel.`);
  tip.push(`Reload on save: ${s.autoReload ? 'on' : 'off'}. Click to reload now.`);
}
