/**
 * The master composes the pieces and owns their lifecycle: the front listener, the worker pool,
 * the control channel, the watcher, the state file and the signal handlers. Whatever it starts,
 * `close()` stops, each closer independent of the others.
 */
import * as crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIG_FILE_NAME, configFileError, isLoopback, type ResolvedConfig } from './config';
import { workerSpecFor } from './pool/worker-spec';
import { ControlServer } from './control/server';
import { checkLoadedFiles, readIfPresent } from './doctor';
import { Front } from './front/front';
import { finding } from './finding';
import { hostGuard } from './front/host-guard';
import { HostPolicy } from './front/host-policy';
import { LiveReload, resolveStaticDirs } from './front/live-reload';
import { loadTls, TlsError } from './front/tls';
import type { Logger } from './logger';
import { Pool } from './pool/pool';
import type { ReloadKind } from './pool/reload-queue';
import { PROTOCOL_VERSION, type ChangeOutcome, type Finding, type MasterEvent, type MasterStatus, type ReloadResult, type Request } from './protocol';
import { isAlive, readStateFile, removeStateFile, writeStateFile, StateFileError } from './state-file';
import { describePortHolder } from './port-holder';
import { classifyFiles, createClassifier, type ChangeBatch, type Classifier, type ClassifyOptions } from './watch/classify';
import { CoveredSaves } from './watch/covered-saves';
import { changeReason, decideChanges } from './watch/decide';
import { ProjectWatcher } from './watch/watcher';
import { VERSION } from './version';

export interface MasterOptions {
  config: ResolvedConfig;
  logger: Logger;
  /** Folder with the bundled bootstrap.js and worker-shim.js. */
  distDir: string;
  /** Install SIGUSR1/SIGHUP/SIGTERM/SIGINT handlers (the CLI does; tests embedding a master do not). */
  handleSignals?: boolean;
}

export class MasterStartError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'MasterStartError';
  }
}

export interface MasterEvents {
  event: [event: MasterEvent];
}

export class Master extends EventEmitter<MasterEvents> {
  readonly pool: Pool;
  readonly front: Front;
  readonly control: ControlServer;
  /** Browser live reload (undefined when "liveReload" is false). */
  readonly liveReload: LiveReload | undefined;
  readonly token = crypto.randomBytes(32).toString('hex');
  url = '';
  private watcher: ProjectWatcher | undefined;
  private state: MasterStatus['state'] = 'starting';
  private readonly findings = new Map<string, Finding[]>();
  /** Saves already acted on (reported by the editor or the watcher): the other report of the same save joins it. */
  private readonly covered = new CoveredSaves<Promise<ChangeOutcome>>();
  /** What a changed file asks for: one classifier for the watcher, the editor and the CLI. */
  private readonly classifyOptions: ClassifyOptions;
  private readonly classify: Classifier;
  /** Which Host headers the front answers (DNS rebinding). */
  readonly hosts: HostPolicy;
  private readonly disposers: (() => void)[] = [];
  private closePromise: Promise<void> | undefined;
  private wroteState = false;
  private readonly config: ResolvedConfig;
  private readonly logger: Logger;

  constructor(private readonly options: MasterOptions) {
    super();
    const { config, logger } = options;
    this.config = config;
    this.logger = logger;
    this.classifyOptions = {
      cwd: config.cwd,
      paths: config.watch.paths,
      ignore: config.watch.ignore,
      staticDirs: resolveStaticDirs(config.cwd, config.watch.static),
      restartOn: config.restartOn,
      configFile: path.resolve(config.cwd, config.configFile ?? CONFIG_FILE_NAME),
    };
    this.classify = createClassifier(this.classifyOptions);
    this.hosts = new HostPolicy({ allowedHosts: config.allowedHosts, listenHost: config.host, tls: config.https !== false, port: () => (this.front.server.address() as { port: number } | null)?.port ?? config.port });
    this.pool = new Pool(config, workerSpecFor(config, options.distDir), logger);
    this.front = new Front(this.pool, { holdTimeoutMs: config.reload.holdTimeoutMs, headersTimeoutMs: config.headersTimeoutMs, affinity: config.affinity, tls: config.https !== false, unavailableReason: () => this.unavailableReason() }, logger);
    // First: a request for a host that is not allowed is answered 403 before anything else sees it.
    this.front.use(hostGuard(this.hosts));
    if (config.liveReload) {
      this.liveReload = new LiveReload({ cwd: config.cwd, hosts: this.hosts, logger });
      this.front.use(this.liveReload);
    }
    this.control = new ControlServer(this.token, (r) => this.handle(r), () => ({ kind: 'hello', protocol: PROTOCOL_VERSION, status: this.status() }), logger);
    this.pool.on('event', (e) => this.publish(e));
    this.pool.on('settled', () => this.publish({ kind: 'settled', generation: this.pool.generation }));
    this.pool.on('retired', (w) => void this.front.closeLongConnections(w, config.reload.longConnectionGraceMs));
    // Doctor at run time: a new worker that compiled other content than what is on disk runs stale code.
    this.pool.on('worker-ready', (w) => w.once('loaded', (files) => this.setFindings('doctor-runtime', checkLoadedFiles(files, readIfPresent, { worker: `worker ${w.id} (pid ${w.pid})` }))));
    this.disposers.push(logger.addSink((r) => this.publish({ kind: 'log', level: r.level, message: r.message, ...(r.worker !== undefined ? { worker: r.worker } : {}) })));
  }

  /** Listen, start the first generation, watch. Resolves once serving (even when the first boot failed). */
  async start(): Promise<{ url: string; firstBoot: ReloadResult }> {
    const { config, logger } = this;
    const existing = readStateFile(config.cwd);
    if (existing.ok && existing.state.pid !== process.pid) {
      throw new MasterStartError('SR_ALREADY_RUNNING', `a master is already running for ${config.cwd} (pid ${existing.state.pid}, ${existing.state.url}). Stop it with "smooth-reload stop", or use it: "smooth-reload reload".`);
    }
    if (!existing.ok && existing.code === 'SR_STALE_STATE') {
      logger.info(`removing a stale state file left by a master that died (${existing.message})`);
      removeStateFile(config.cwd);
    }
    if (config.https !== false) {
      try {
        const tls = await loadTls(config.https, config.cwd, config.host);
        this.front.setCertificate(tls.key, tls.cert);
        logger.info(`serving HTTPS with ${tls.source}`);
      } catch (err) {
        if (err instanceof TlsError) throw new MasterStartError(err.code, err.message);
        throw err;
      }
    }
    let port: number;
    try {
      port = await this.front.listen(config.port, config.host);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EADDRINUSE') {
        const holder = describePortHolder(config.port);
        throw new MasterStartError('SR_PORT_IN_USE', `port ${config.port} on ${config.host} is already in use${holder ? ` by ${holder}` : ''}. Stop that process, or pick another port with --port (0 picks a free one).`);
      }
      if (e.code === 'EACCES') {
        throw new MasterStartError('SR_PORT_DENIED', `not allowed to listen on port ${config.port}: ports below 1024 need root or CAP_NET_BIND_SERVICE. Use a port above 1024, e.g. --port 3000.`);
      }
      throw new MasterStartError('SR_LISTEN_FAILED', `cannot listen on ${config.host}:${config.port}: ${e.message}`);
    }
    if (!isLoopback(config.host)) {
      logger.warn(`listening on ${config.host}:${port}, reachable from other machines ("allowRemote"): whoever reaches it can use the app and its live-reload socket. The control channel stays on 127.0.0.1.`);
    }
    const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host;
    this.url = `${config.https !== false ? 'https' : 'http'}://${shownHost === '127.0.0.1' ? 'localhost' : shownHost}:${port}/`;
    await this.control.listen('127.0.0.1');
    try {
      writeStateFile(config.cwd, {
        pid: process.pid,
        url: this.url,
        control: { host: '127.0.0.1', port: this.control.port },
        token: this.token,
        cwd: config.cwd,
        startedAt: Date.now(),
        version: VERSION,
        protocol: PROTOCOL_VERSION,
      });
      this.wroteState = true;
    } catch (err) {
      const message = err instanceof StateFileError ? err.message : String(err);
      logger.error(message);
      this.setFindings('state', [finding('SR_STATE_UNWRITABLE', 'error', message, 'make the .smooth-reload folder writable, or free disk space')]);
    }
    if (this.options.handleSignals) this.installSignals();
    this.setState('starting');
    const firstBoot = await this.pool.start();
    this.setState(firstBoot.ok ? 'ready' : 'failed');
    if (config.watch.enabled) {
      this.watcher = new ProjectWatcher(
        { ...this.classifyOptions, paths: config.watch.paths, debounceMs: config.watch.debounceMs, usePolling: config.watch.usePolling },
        (batch) => void this.applyChanges(batch, []),
        (finding) => this.setFindings('watch', finding ? [finding] : []),
        logger,
      );
      await this.watcher.start();
    }
    return { url: this.url, firstBoot };
  }

  status(): MasterStatus {
    const last = this.pool.lastReload;
    return {
      pid: process.pid,
      url: this.url,
      state: this.state,
      generation: this.pool.generation,
      workers: this.pool.workers(),
      ...(last ? { lastReload: { id: last.id, ok: last.ok, durationMs: last.durationMs, at: last.at, ...(last.finding ? { finding: last.finding } : {}) } } : {}),
      findings: [...this.findings.values()].flat(),
      cwd: this.config.cwd,
      version: VERSION,
      standby: this.pool.standbyInfo(),
      settled: this.pool.settled,
    };
  }

  /** Reload (coalesced). `files` are the changes that asked for it. */
  async reload(kind: ReloadKind, reason: string, files: string[] = []): Promise<ReloadResult> {
    if (this.state !== 'stopping') this.setState('reloading');
    const result = await this.pool.request(kind, reason, files);
    if (this.state !== 'stopping') this.setState(this.pool.reloading ? 'reloading' : this.pool.live.length ? 'ready' : 'failed');
    return result;
  }

  /** Graceful stop: no new connections, in-flight requests finish, workers get SIGTERM. Idempotent. */
  close(): Promise<void> {
    this.closePromise ??= (async () => {
      this.setState('stopping');
      this.publish({ kind: 'stopping' });
      const frontClosed = this.front.close();
      await Promise.allSettled([this.watcher?.close(), this.pool.close()]);
      // Responses still streaming finish; keep-alive sockets close as they go idle.
      await Promise.race([frontClosed, new Promise((r) => setTimeout(r, this.config.reload.drainTimeoutMs).unref())]);
      this.front.closeAllConnections();
      await this.control.close();
      if (this.wroteState) removeStateFile(this.config.cwd);
      for (const dispose of this.disposers) dispose();
    })();
    return this.closePromise;
  }

  // ---------------------------------------------------------------------------

  private async handle(request: Request): Promise<unknown> {
    switch (request.type) {
      case 'status':
        return this.status();
      case 'reload':
      case 'restart':
      case 'rollback': {
        const done = this.reload(request.type, request.type === 'reload' ? (request.reason ?? 'requested') : request.type);
        return request.wait === false ? { accepted: true } : done;
      }
      case 'changed': {
        const files = request.files.map((f) => path.resolve(this.config.cwd, f));
        const { batch, ignored } = classifyFiles(files, this.classify);
        const done = this.applyChanges(batch, ignored);
        return request.wait === false ? { accepted: true } : done;
      }
      case 'allow-host': {
        const added = this.hosts.allow(request.host);
        if (!added) throw Object.assign(new Error(`"${request.host}" is not a host name: give a name such as my-app.example.com or an authority such as my-app.example.com:443`), { code: 'SR_BAD_HOST' });
        this.logger.info(`now answering requests for the host ${added}`);
        return { allowedHosts: this.hosts.list() };
      }
      case 'stop':
        setImmediate(() => void this.close().then(() => this.options.handleSignals && process.exit(0)));
        return { stopping: true };
    }
  }

  /**
   * The one path every change takes, from the watcher or a `changed` request: a save the other
   * report already acted on joins that action; the rest is decided by `decideChanges`.
   */
  private applyChanges(batch: ChangeBatch, ignored: string[]): Promise<ChangeOutcome> {
    const rel = (files: string[]) => files.map((f) => path.relative(this.config.cwd, f));
    const all = [...batch.restart, ...batch.code, ...batch.css, ...batch.asset];
    const joined = all.length ? this.covered.find(all, mtimeOf) : undefined;
    const fresh = (files: string[]) => files.filter((f) => !this.covered.find([f], mtimeOf));
    const decision = decideChanges({ restart: fresh(batch.restart), code: fresh(batch.code), css: fresh(batch.css), asset: fresh(batch.asset), config: batch.config });
    // The options are read once, at start: a changed config file is a note, not a code reload.
    if (decision.config) this.setFindings('config', [configChangedFinding(decision.config)]);
    const base = { ignored: rel(ignored), ...(decision.config ? { configChanged: true } : {}) };
    if (joined && !decision.workers && !decision.browser) return joined.then((outcome) => ({ ...outcome, ...base, joined: true }));
    let outcome: Promise<ChangeOutcome>;
    if (decision.workers) {
      const { kind, files } = decision.workers;
      outcome = this.reload(kind, changeReason(rel(files)), rel(files)).then((reload) => ({ action: kind, reload, ...base }));
    } else if (decision.browser) {
      this.publish({ kind: 'browser-reload', reason: decision.browser.reason, files: rel(decision.browser.files) });
      outcome = Promise.resolve({ action: 'browser', ...base });
    } else {
      return Promise.resolve({ action: 'none', ...base });
    }
    this.covered.record(decision.covered, mtimeOf, outcome);
    return outcome;
  }

  private setFindings(source: string, findings: Finding[]): void {
    this.publish({ kind: 'findings', source, findings });
  }

  private setState(state: MasterStatus['state']): void {
    if (this.state === state) return;
    this.state = state;
    this.publish({ kind: 'state', state, url: this.url, workers: this.pool.live.length });
  }

  private publish(event: MasterEvent): void {
    if (event.kind === 'findings') {
      if (event.findings.length) this.findings.set(event.source, event.findings);
      else this.findings.delete(event.source);
    }
    if (event.kind === 'reload-done' && this.config.liveReload) {
      // Browsers reload after the new code is live, never before.
      queueMicrotask(() => this.publish({ kind: 'browser-reload', reason: 'code' }));
    }
    this.control.broadcast(event);
    this.liveReload?.onEvent(event);
    this.emit('event', event);
  }

  private unavailableReason(): string {
    const finding = this.pool.lastReload?.finding;
    if (this.state === 'stopping') return 'The server is stopping.';
    if (finding) return `The last start failed: ${finding.message}${finding.file ? ` (${finding.file}${finding.line ? `:${finding.line}` : ''})` : ''}`;
    return `No worker became ready within reload.holdTimeoutMs (${this.config.reload.holdTimeoutMs} ms).`;
  }

  private installSignals(): void {
    const onReload = (signal: NodeJS.Signals) => {
      this.logger.info(`${signal}: reloading workers`);
      void this.reload('reload', signal);
    };
    let stopping = false;
    const onStop = (signal: NodeJS.Signals) => {
      if (stopping) {
        this.logger.warn(`${signal} again: stopping now`);
        process.exit(1);
      }
      stopping = true;
      this.logger.info(`${signal}: stopping gracefully (in-flight requests finish first)`);
      void this.close().then(() => process.exit(0));
    };
    for (const s of ['SIGUSR1', 'SIGHUP'] as const) process.on(s, onReload);
    for (const s of ['SIGTERM', 'SIGINT'] as const) process.on(s, onStop);
    this.disposers.push(() => {
      for (const s of ['SIGUSR1', 'SIGHUP'] as const) process.off(s, onReload);
      for (const s of ['SIGTERM', 'SIGINT'] as const) process.off(s, onStop);
    });
  }
}

function mtimeOf(file: string): number | undefined {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

export { isAlive };

/** SR_CONFIG_CHANGED: the file changed under a running master; says whether the new one is even valid. */
function configChangedFinding(file: string): Finding {
  const error = configFileError(file);
  const invalid = error ? ` As it is, it would not load: ${error.message}` : '';
  return finding(
    'SR_CONFIG_CHANGED',
    'warning',
    `${path.basename(file)} changed; the running master keeps the options it started with.${invalid}`,
    'restart the master to apply it: "smooth-reload stop" then "smooth-reload serve" (in VS Code: Smooth Reload: Stop, then Start)',
    { file },
  );
}
