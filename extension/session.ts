/**
 * One folder's master, started by the extension or attached to: its process, its control
 * client, and what the extension knows of it (a `SessionSnapshot`). No vscode import: the
 * extension layer renders the snapshot and findings, and the suites read them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as readline from 'node:readline';
import { ControlClient, type RequestBody } from '../server/control/client';
import type { Finding, MasterEvent, MasterStatus } from '../server/protocol';
import { isAlive, readStateFile } from '../server/state-file';
import { MASTER_NODE_FLAGS, masterEnv } from '../server/node-flags';
import { FindingStore } from './findings-map';
import type { Phase, SessionSnapshot } from './status-view';

export interface StartOptions {
  /** `node` (from PATH) or a configured path; the extension host's own binary runs as Node with ELECTRON_RUN_AS_NODE. */
  nodePath: string;
  cliPath: string;
  port: number;
  logLevel?: string;
  /** The `smooth-reload.ignore` setting: added to the master's ignore list ("watch.ignore" and the built-ins). */
  ignore?: string[];
  env?: NodeJS.ProcessEnv;
  /** Longest wait for the master's `listening` line. */
  timeoutMs?: number;
}

export interface SessionEvents {
  change: [];
  event: [event: MasterEvent];
  /** Lines the master printed outside its event stream (stderr, startup errors). */
  output: [level: 'info' | 'warn' | 'error', line: string];
}

const STOP_GRACE_MS = 15_000;

export class MasterSession extends EventEmitter<SessionEvents> {
  readonly findings = new FindingStore();
  private phase: Phase = 'stopped';
  private owned = false;
  private url: string | undefined;
  private workers = 0;
  private lastReload: SessionSnapshot['lastReload'];
  private error: string | undefined;
  private status: MasterStatus | undefined;
  private child: ChildProcess | undefined;
  private childExit: Promise<void> | undefined;
  private client: ControlClient | undefined;
  private stopping = false;
  private busy: Promise<void> | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private stderrTail: string[] = [];
  /** Launched under VS Code's debugger (Start with Debugger): the status bar and Workers view say so. */
  private debugging = false;
  /** Milliseconds from the first save of a burst to its reload request on the wire (last burst). */
  lastSaveToRequestMs: number | undefined;
  /** How late the burst's timer fired: the part of lastSaveToRequestMs that is the extension host's load, not the debounce. */
  lastTimerLateMs: number | undefined;

  constructor(
    readonly folder: string,
    readonly folderName: string,
    private readonly autoReload: () => boolean,
  ) {
    super();
  }

  snapshot(): SessionSnapshot {
    return {
      folderName: this.folderName,
      phase: this.phase,
      owned: this.owned,
      workers: this.workers,
      autoReload: this.autoReload(),
      findings: this.findings.size,
      ...(this.debugging ? { debugging: true } : {}),
      ...(this.url ? { url: this.url } : {}),
      ...(this.lastReload ? { lastReload: this.lastReload } : {}),
      ...(this.error ? { error: this.error } : {}),
      ...(this.status ? { status: this.status } : {}),
    };
  }

  get running(): boolean {
    return this.client !== undefined || this.child !== undefined;
  }

  /** Connect to a master started outside VS Code, if its state file names a live pid. */
  async attach(): Promise<boolean> {
    const state = readStateFile(this.folder);
    if (!state.ok) return false;
    this.owned = false;
    this.error = undefined;
    await this.connect(state.state);
    return true;
  }

  /** Mark the master as one running under VS Code's debugger (or no longer). */
  setDebugging(on: boolean): void {
    if (this.debugging === on) return;
    this.debugging = on;
    this.emit('change');
  }

  /** Start the bundled master (or attach when one already runs for this folder). Serialized. */
  start(options: StartOptions): Promise<void> {
    this.busy ??= this.doStart(options).finally(() => (this.busy = undefined));
    return this.busy;
  }

  private async doStart(options: StartOptions): Promise<void> {
    if (this.running) return;
    if (await this.attach().catch(() => false)) return;
    this.stopping = false;
    this.owned = true;
    this.error = undefined;
    this.stderrTail = [];
    this.setPhase('starting');
    const args = [...MASTER_NODE_FLAGS, options.cliPath, 'serve', '--json', '--port', String(options.port), '--cwd', this.folder];
    if (options.logLevel) args.push('--log-level', options.logLevel);
    for (const glob of options.ignore ?? []) args.push(`--ignore=${glob}`);
    const useHost = options.nodePath === process.execPath && !!process.versions.electron;
    const env = masterEnv({ ...process.env, ...options.env, ...(useHost ? { ELECTRON_RUN_AS_NODE: '1' } : {}) });
    if (!useHost) delete env.ELECTRON_RUN_AS_NODE;
    // Own process group, so stop() can sweep the workers too if the master does not exit.
    const child = spawn(options.nodePath, args, { cwd: this.folder, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let listening: string | undefined;
    let failedToSpawn: Error | undefined;
    const exited = new Promise<void>((resolve) => {
      child.once('error', (err) => {
        failedToSpawn = err;
        resolve();
      });
      child.once('exit', (code, signal) => {
        this.onChildExit(child, code, signal);
        resolve();
      });
    });
    this.childExit = exited;
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{"kind":"listening"')) {
        try {
          listening = (JSON.parse(line) as { url: string }).url;
        } catch {
          // Keep waiting.
        }
      } else if (!line.startsWith('{')) this.emit('output', 'info', line);
    });
    readline.createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderrTail = [...this.stderrTail.slice(-19), line];
      this.emit('output', 'error', line);
    });
    const timeoutMs = options.timeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    while (!listening && this.child === child && !failedToSpawn && Date.now() < deadline) {
      await Promise.race([exited, new Promise((r) => setTimeout(r, 25))]);
    }
    if (failedToSpawn) {
      this.child = undefined;
      return this.fail(`cannot run "${options.nodePath}": ${failedToSpawn.message}. Set "smooth-reload.nodePath" to a Node.js 20+ binary.`);
    }
    if (!listening) {
      if (this.child === child) {
        await this.killChild(child);
        return this.fail(`the master did not start listening within ${timeoutMs} ms`);
      }
      return; // exit already recorded by onChildExit
    }
    this.url = listening;
    const state = readStateFile(this.folder);
    if (!state.ok) {
      this.emit('output', 'warn', `${state.message}; the extension cannot send reloads (the master still reloads on file changes)`);
      this.setPhase('ready');
      return;
    }
    await this.connect(state.state);
  }

  private async connect(state: Parameters<typeof ControlClient.connect>[0] & { url: string; pid: number }): Promise<void> {
    const client = await ControlClient.connect(state);
    this.client = client;
    this.url = state.url;
    client.on('event', (e) => this.onEvent(e));
    // The `hello` event can arrive in the same packet as the handshake, before connect() resolves
    // and the listener above exists: ask for the status explicitly.
    void client.request<MasterStatus>({ type: 'status' }).then(
      (status) => this.onEvent({ kind: 'hello', protocol: 0, status }),
      () => undefined,
    );
    client.on('close', () => {
      if (this.client !== client) return;
      this.client = undefined;
      if (!this.owned && !this.stopping) {
        // An attached master went away: stopped from its terminal, or crashed.
        this.error = isAlive(state.pid) ? 'the control channel closed' : `the master (pid ${state.pid}) is gone`;
        this.setPhase(isAlive(state.pid) ? 'crashed' : 'stopped');
      }
    });
  }

  private onChildExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    void this.client?.close();
    this.client = undefined;
    this.workers = 0;
    if (this.stopping) {
      this.setPhase('stopped');
      return;
    }
    // Workers of a master that died are orphans nobody routes to: sweep its process group.
    if (child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Nothing left in the group.
      }
    }
    const tail = this.stderrTail.filter((l) => l.trim()).slice(-3).join(' ⏎ ');
    this.error = `exit ${signal ?? code}${tail ? `: ${tail}` : ''}`;
    this.setPhase('crashed');
  }

  private fail(message: string): void {
    this.error = message;
    this.emit('output', 'error', message);
    this.setPhase('crashed');
  }

  private onEvent(e: MasterEvent): void {
    switch (e.kind) {
      case 'hello':
        this.applyStatus(e.status);
        this.findings.set('status', e.status.findings);
        if (e.status.lastReload && !e.status.lastReload.ok && e.status.lastReload.finding) this.findings.set('reload', [e.status.lastReload.finding]);
        break;
      case 'state':
        this.url = e.url;
        this.workers = e.workers;
        if (e.state !== 'stopping' || this.phase !== 'stopped') this.setPhase(mapState(e.state), false);
        break;
      case 'reload-done':
        this.lastReload = { ok: true, durationMs: e.durationMs, at: Date.now() };
        this.findings.clear('reload');
        this.refreshStatusSoon();
        break;
      case 'reload-failed':
        this.lastReload = { ok: false, durationMs: e.durationMs, at: Date.now(), ...(e.finding ? { message: e.finding.message } : {}) };
        if (e.finding) this.findings.set('reload', [e.finding]);
        this.refreshStatusSoon();
        break;
      case 'findings':
        this.findings.set(e.source, e.findings);
        this.refreshStatusSoon();
        break;
      case 'worker':
        this.refreshStatusSoon();
        break;
      default:
        break;
    }
    this.emit('event', e);
    this.emit('change');
  }

  private applyStatus(status: MasterStatus): void {
    this.status = status;
    this.url = status.url;
    this.workers = status.workers.filter((w) => w.state === 'ready').length;
    if (status.lastReload) {
      const { ok, durationMs, at, finding } = status.lastReload;
      this.lastReload = { ok, durationMs, at, ...(finding ? { message: finding.message } : {}) };
    }
    this.setPhase(mapState(status.state), false);
  }

  /** Per-worker metrics and the master's full finding list, fetched a moment after a change. */
  private refreshStatusSoon(): void {
    if (this.statusTimer) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      void this.refreshStatus();
    }, 150);
  }

  async refreshStatus(): Promise<MasterStatus | undefined> {
    const client = this.client;
    if (!client) return undefined;
    try {
      const status = await client.request<MasterStatus>({ type: 'status' });
      // Stopped (or reconnected) while the answer was on its way: it describes a master that is gone.
      if (this.client !== client) return undefined;
      this.status = status;
      this.findings.set('status', status.findings);
      this.emit('change');
      return status;
    } catch {
      return undefined;
    }
  }

  /** Send a reload/restart/rollback without waiting for it to finish; events report the outcome. */
  async send(body: RequestBody, firstSaveAt?: number, dueAt?: number): Promise<void> {
    const client = this.client;
    if (!client) throw new Error(`no master is running for ${this.folderName}; run "Smooth Reload: Start"`);
    const sent = client.request({ ...body, ...(body.type !== 'status' && body.type !== 'stop' ? { wait: false } : {}) });
    // request() writes the frame synchronously: this is the moment it went on the wire.
    const now = performance.now();
    if (firstSaveAt !== undefined) this.lastSaveToRequestMs = now - firstSaveAt;
    if (dueAt !== undefined) this.lastTimerLateMs = now - dueAt;
    await sent;
  }

  /**
   * Let the master answer requests whose Host is `host` (`name` or `name:port`): the address a
   * port forwarder gives the app. Returns the host names the master now allows (true: any).
   */
  async allowHost(host: string): Promise<string[] | true> {
    const client = this.client;
    if (!client) throw new Error(`no master is running for ${this.folderName}; run "Smooth Reload: Start"`);
    const reply = await client.request<{ allowedHosts: string[] | true }>({ type: 'allow-host', host });
    return reply.allowedHosts;
  }

  /** Report the files of one save burst; the master classifies them as it does its watcher's changes. */
  reportSaves(files: string[], firstSaveAt: number, dueAt?: number): Promise<void> {
    return this.send({ type: 'changed', files }, firstSaveAt, dueAt);
  }

  /** Stop the master: SIGTERM (graceful) for one we started, a `stop` request for an attached one. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.statusTimer = undefined;
    const child = this.child;
    const client = this.client;
    if (!child && !client) {
      this.setPhase('stopped');
      return;
    }
    this.setPhase('stopping');
    if (child) await this.killChild(child);
    else if (client) {
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      await client.request({ type: 'stop' }).catch(() => undefined);
      await Promise.race([closed, new Promise((r) => setTimeout(r, STOP_GRACE_MS))]);
      await client.close();
    }
    this.client = undefined;
    this.workers = 0;
    this.setPhase('stopped');
  }

  /**
   * Leave the master running (attached) or stop it (owned, or launched by Start with Debugger:
   * its debug session ends with the window): what deactivate does.
   */
  async dispose(): Promise<void> {
    if (this.owned || this.debugging) await this.stop();
    else {
      this.stopping = true;
      await this.client?.close();
    }
    this.removeAllListeners();
  }

  private async killChild(child: ChildProcess): Promise<void> {
    const pid = child.pid;
    if (child.exitCode === null && child.signalCode === null && pid) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
      const timedOut = await Promise.race([this.childExit!.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), STOP_GRACE_MS))]);
      if (timedOut) this.emit('output', 'warn', `the master (pid ${pid}) did not stop within ${STOP_GRACE_MS} ms; killing its process group`);
    }
    // Sweep the group: workers of a master that was killed hard would otherwise live on.
    if (pid) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // No process left in the group.
      }
    }
    await this.childExit;
  }

  private setPhase(phase: Phase, emit = true): void {
    this.phase = phase;
    if (phase === 'stopped' || phase === 'starting') {
      this.status = undefined;
      // A master that stopped no longer runs under any debugger; the next start says again.
      if (phase === 'stopped') this.debugging = false;
    }
    if (emit) this.emit('change');
  }
}

function mapState(state: MasterStatus['state']): Phase {
  return state;
}

export type { Finding };
