/**
 * Smooth Reload for VS Code: composes one MasterSession per workspace folder that has a
 * smooth-reload.config.json with the save handler, the status bar, the Problems panel, the output
 * channel and the commands. The only code that imports `vscode`, and it imports nothing of the
 * master's internals: sessions talk to the master through its control channel.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CONFIG_FILE_NAME, readConfigFile } from '../server/config';
import { runDoctor } from '../server/doctor';
import { discoverEntryIn } from '../server/entry';
import type { Finding, MasterEvent } from '../server/protocol';
import { BurstCoalescer } from './burst';
import { AttachProcess, ATTACH_PRESETS, CliError, runDoctorCli, type NodeCommand } from './cli-tools';
import { ConfigQuickFixes } from './code-actions';
import { DiagnosticsView } from './diagnostics';
import { MasterSession } from './session';
import { readSettings } from './settings';
import { StatusBar } from './status-bar';
import type { SessionSnapshot } from './status-view';
import { WorkersView } from './workers-view';

/** Returned by activate(): read-only views for the extension's own test suite. */
export interface SmoothReloadApi {
  activationMs: number;
  snapshot(folder?: string): SessionSnapshot | undefined;
  statusBarText(): string | undefined;
  /** The command a click on the status-bar item runs. */
  statusBarCommand(): string | undefined;
  /** First save of the last burst → its reload request on the wire, in ms. */
  lastSaveToRequestMs(folder?: string): number | undefined;
  /** How late the debounce timer that sent the last burst fired, in ms. */
  lastTimerLateMs(folder?: string): number | undefined;
  /** Number of reload requests sent because of saves (one per burst). */
  saveRequests(folder?: string): number;
  /** Events the session received, newest last. */
  events(folder?: string): readonly MasterEvent[];
  /** The "Smooth Reload Workers" tree's rows in order: each master, then its workers. */
  workersView(): { label: string; description?: string }[];
}

interface FolderEntry {
  session: MasterSession;
  saves: BurstCoalescer;
  saveRequests: number;
  events: MasterEvent[];
  attach?: AttachProcess;
}

const TASK_TYPE = 'smooth-reload';
const LOG_METHOD = { debug: 'debug', info: 'info', warn: 'warn', error: 'error' } as const;

let controller: Controller | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<SmoothReloadApi> {
  const t0 = performance.now();
  controller = new Controller(context);
  await controller.init();
  const activationMs = Math.round((performance.now() - t0) * 10) / 10;
  controller.log.info(`activated in ${activationMs} ms`);
  const c = controller;
  return {
    activationMs,
    snapshot: (folder) => c.entry(folder)?.session.snapshot(),
    statusBarText: () => c.statusBar.view?.text,
    statusBarCommand: () => c.statusBar.view?.command,
    lastSaveToRequestMs: (folder) => c.entry(folder)?.session.lastSaveToRequestMs,
    lastTimerLateMs: (folder) => c.entry(folder)?.session.lastTimerLateMs,
    saveRequests: (folder) => c.entry(folder)?.saveRequests ?? 0,
    events: (folder) => c.entry(folder)?.events ?? [],
    workersView: () => c.workersView.rows(),
  };
}

export async function deactivate(): Promise<void> {
  const c = controller;
  controller = undefined;
  await c?.dispose();
}

class Controller {
  readonly log = vscode.window.createOutputChannel('Smooth Reload', { log: true });
  readonly statusBar = new StatusBar();
  private readonly folders = new Map<string, FolderEntry>();
  /** Folders without a config file that Start ran anyway (zero-config start): they keep their session. */
  private readonly zeroConfig = new Set<string>();
  readonly workersView = new WorkersView(() => [...this.folders.values()].map((e) => e.session));
  private readonly diagnostics: DiagnosticsView;
  private readonly cliPath: string;
  private disposed = false;
  private runningContext: boolean | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.cliPath = path.join(context.extensionPath, 'dist', 'cli.js');
    this.diagnostics = new DiagnosticsView(vscode.Uri.joinPath(context.extensionUri, 'docs', 'troubleshooting.md'), this.log, path.dirname(this.cliPath));
  }

  async init(): Promise<void> {
    const { subscriptions } = this.context;
    subscriptions.push(this.log, this.statusBar, this.diagnostics, this.workersView);
    void vscode.commands.executeCommand('setContext', 'smooth-reload.active', true);
    subscriptions.push(
      vscode.workspace.onWillSaveTextDocument((e) => this.saveTarget(e.document)?.saves.willSave(e.document.uri.fsPath)),
      vscode.workspace.onDidSaveTextDocument((doc) => this.saveTarget(doc)?.saves.add(doc.uri.fsPath)),
      vscode.window.onDidChangeActiveTextEditor(() => this.render()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.syncFolders()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('smooth-reload') && this.render()),
      vscode.languages.registerCodeActionsProvider({ scheme: 'file' }, new ConfigQuickFixes(), { providedCodeActionKinds: ConfigQuickFixes.kinds }),
    );
    subscriptions.push(
      vscode.tasks.registerTaskProvider(TASK_TYPE, {
        provideTasks: () => (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => this.serveTask(f, { type: TASK_TYPE })),
        resolveTask: (task) => {
          const wf = typeof task.scope === 'object' ? task.scope : vscode.workspace.workspaceFolders?.[0];
          return wf ? this.serveTask(wf, task.definition) : undefined;
        },
      }),
    );
    const configWatcher = vscode.workspace.createFileSystemWatcher(`**/${CONFIG_FILE_NAME}`);
    subscriptions.push(configWatcher, configWatcher.onDidCreate(() => this.syncFolders()), configWatcher.onDidDelete(() => this.syncFolders()));
    this.registerCommands();
    this.syncFolders();
    // A master started from a terminal is used as is; startOnActivation starts the others.
    await Promise.all(
      [...this.folders.values()].map(async (entry) => {
        const attached = await entry.session.attach().catch(() => false);
        if (attached) this.log.info(`${entry.session.folderName}: attached to the running master`);
        else if (readSettings(vscode.Uri.file(entry.session.folder)).startOnActivation) void this.start(entry);
      }),
    );
    this.render();
  }

  entry(folder?: string): FolderEntry | undefined {
    if (folder) return this.folders.get(path.resolve(folder));
    return this.current();
  }

  /** Create a session for each folder with a config file; drop those whose folder left the workspace. */
  private syncFolders(): void {
    const present = new Set<string>();
    for (const wf of vscode.workspace.workspaceFolders ?? []) {
      if (wf.uri.scheme !== 'file') continue;
      const dir = wf.uri.fsPath;
      if (!fs.existsSync(path.join(dir, CONFIG_FILE_NAME)) && !this.zeroConfig.has(dir)) continue;
      present.add(dir);
      if (!this.folders.has(dir)) this.addFolder(dir, wf.name);
    }
    for (const [dir, entry] of this.folders) {
      if (present.has(dir)) continue;
      this.folders.delete(dir);
      void entry.session.dispose();
      entry.saves.dispose();
    }
    this.render();
  }

  private addFolder(dir: string, name: string): void {
    const scope = vscode.Uri.file(dir);
    const session = new MasterSession(dir, name, () => readSettings(scope).autoReloadOnSave);
    const entry: FolderEntry = {
      session,
      saveRequests: 0,
      events: [],
      saves: new BurstCoalescer(
        (burst) => {
          entry.saveRequests++;
          session.reportSaves(burst.files, burst.firstAt, burst.dueAt).catch((err: Error) => this.log.warn(`${name}: reporting saves failed: ${err.message}`));
        },
        () => readSettings(scope).debounceMs,
      ),
    };
    session.on('change', () => this.render());
    session.on('output', (level, line) => this.log[level](`[${name}] ${line}`));
    session.on('event', (e) => {
      entry.events.push(e);
      if (entry.events.length > 500) entry.events.splice(0, entry.events.length - 500);
      this.onMasterEvent(entry, e);
    });
    this.folders.set(dir, entry);
  }

  private onMasterEvent(entry: FolderEntry, e: MasterEvent): void {
    const name = entry.session.folderName;
    const prefix = this.folders.size > 1 ? `[${name}] ` : '';
    switch (e.kind) {
      case 'log':
        this.log[LOG_METHOD[e.level]](`${prefix}${e.worker !== undefined ? `worker ${e.worker}: ` : ''}${e.message}`);
        break;
      case 'reload-start':
        this.log.info(`${prefix}reload #${e.id}: ${e.reason}`);
        break;
      case 'reload-done':
        this.log.info(`${prefix}reload #${e.id} done in ${e.durationMs} ms (generation ${e.generation})`);
        break;
      case 'reload-failed':
        this.log.error(`${prefix}reload #${e.id} failed${e.finding ? `: [${e.finding.code}] ${e.finding.message}${e.finding.file ? ` (${e.finding.file}${e.finding.line ? `:${e.finding.line}` : ''})` : ''}` : ''}; the previous workers keep serving`);
        break;
      case 'worker':
        this.log.debug(`${prefix}worker ${e.id} (generation ${e.generation}${e.pid ? `, pid ${e.pid}` : ''}): ${e.event}${e.detail ? ` — ${e.detail}` : ''}`);
        break;
      default:
        break;
    }
  }

  /**
   * The folder whose master hears of a save of `doc`, if any (running, reload on save on). What
   * the save does (nothing, a stylesheet swap, a reload, a restart) is the master's decision.
   */
  private saveTarget(doc: vscode.TextDocument): FolderEntry | undefined {
    if (doc.uri.scheme !== 'file') return undefined;
    const wf = vscode.workspace.getWorkspaceFolder(doc.uri);
    const entry = wf && this.folders.get(wf.uri.fsPath);
    if (!entry || !entry.session.running) return undefined;
    const settings = readSettings(doc.uri);
    if (!settings.autoReloadOnSave) return undefined;
    return entry;
  }

  /** The folder the status bar shows: the active editor's, else the first running, else the first. */
  private current(): FolderEntry | undefined {
    const uri = vscode.window.activeTextEditor?.document.uri;
    const wf = uri && vscode.workspace.getWorkspaceFolder(uri);
    const active = wf && this.folders.get(wf.uri.fsPath);
    if (active) return active;
    const all = [...this.folders.values()];
    return all.find((e) => e.session.running) ?? all[0];
  }

  private render(): void {
    if (this.disposed) return;
    const entry = this.current();
    // For `when` clauses: commands and buttons show where they apply.
    const running = [...this.folders.values()].some((e) => e.session.running);
    if (running !== this.runningContext) {
      this.runningContext = running;
      void vscode.commands.executeCommand('setContext', 'smooth-reload.running', running);
    }
    this.statusBar.render(entry?.session.snapshot(), entry ? vscode.Uri.file(entry.session.folder) : undefined);
    this.diagnostics.render([...this.folders.values()].map((e) => e.session));
    this.workersView.refresh();
  }

  /**
   * A `smooth-reload` task (tasks.json `{"type": "smooth-reload", "args": [...]}`): `smooth-reload
   * serve <args>` in the folder, as a background task whose problem matcher (`$smooth-reload`)
   * turns the CLI's findings into problems and knows when a reload starts and ends. Terminating
   * the task (its terminal sends SIGHUP) stops the master: `--stop-on-hup`.
   */
  private serveTask(wf: vscode.WorkspaceFolder, definition: vscode.TaskDefinition): vscode.Task {
    const { nodePath, cliPath } = this.nodeCommand(wf.uri.fsPath);
    const args = Array.isArray(definition.args) ? definition.args.map(String) : [];
    const env: Record<string, string> = nodePath === process.execPath && process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {};
    const task = new vscode.Task(definition, wf, 'serve', TASK_TYPE, new vscode.ProcessExecution(nodePath, [cliPath, 'serve', '--stop-on-hup', ...args], { cwd: wf.uri.fsPath, env }), ['$smooth-reload']);
    task.isBackground = true;
    return task;
  }

  private nodeCommand(folder: string): NodeCommand {
    const configured = readSettings(vscode.Uri.file(folder)).nodePath;
    return { nodePath: configured || findNode(), cliPath: this.cliPath };
  }

  private async start(entry: FolderEntry): Promise<void> {
    const { session } = entry;
    const settings = readSettings(vscode.Uri.file(session.folder));
    let port = 0;
    try {
      // A zero-config start has no file: the master picks a free port.
      const file = path.join(session.folder, CONFIG_FILE_NAME);
      const config = fs.existsSync(file) ? readConfigFile(file) : {};
      if (typeof config.port === 'number') port = config.port;
    } catch (err) {
      this.log.warn(`${session.folderName}: ${(err as Error).message}`);
    }
    this.log.info(`${session.folderName}: starting the master`);
    await session.start({
      ...this.nodeCommand(session.folder),
      port,
      ...(settings.logLevel !== 'default' ? { logLevel: settings.logLevel } : {}),
      ...(settings.ignore.length ? { ignore: settings.ignore } : {}),
    });
    const snap = session.snapshot();
    if (snap.phase === 'crashed') {
      const choice = await vscode.window.showErrorMessage(`Smooth Reload could not start the master for ${session.folderName}: ${snap.error ?? 'unknown error'}`, 'Show Output');
      if (choice) this.log.show();
      return;
    }
    this.log.info(`${session.folderName}: ${snap.owned ? 'started' : 'attached to'} the master at ${snap.url ?? '?'}`);
    if (settings.openBrowserOnStart && snap.url) void vscode.env.openExternal(vscode.Uri.parse(snap.url));
  }

  /** The folder a command acts on: the argument, the only one, the active editor's, or a pick. */
  private async pick(arg: unknown, runningOnly = false): Promise<FolderEntry | undefined> {
    // A row of the Workers view (its item menus) carries its session.
    const rowFolder = (arg as { session?: { folder?: unknown } } | undefined)?.session?.folder;
    if (typeof rowFolder === 'string' && this.folders.has(rowFolder)) return this.folders.get(rowFolder);
    if (arg instanceof vscode.Uri) {
      const wf = vscode.workspace.getWorkspaceFolder(arg);
      const hit = wf && this.folders.get(wf.uri.fsPath);
      if (hit) return hit;
    }
    const candidates = [...this.folders.values()].filter((e) => !runningOnly || e.session.running);
    if (candidates.length === 0) {
      if (this.folders.size === 0) await this.offerConfig();
      else void vscode.window.showInformationMessage('Smooth Reload: no master is running. Run "Smooth Reload: Start" first.');
      return undefined;
    }
    if (candidates.length === 1) return candidates[0];
    const active = this.current();
    if (active && candidates.includes(active)) return active;
    const picked = await vscode.window.showQuickPick(
      candidates.map((e) => ({ label: e.session.folderName, description: e.session.snapshot().phase, entry: e })),
      { placeHolder: 'Which folder?' },
    );
    return picked?.entry;
  }

  /**
   * Start's folder: like pick(), but a folder without a config file is started the way
   * `smooth-reload serve` starts it (zero-config start: the entry from package.json or a
   * conventional name), and the choice is offered to be saved as a config file.
   */
  private async pickForStart(arg: unknown): Promise<FolderEntry | undefined> {
    let wf: vscode.WorkspaceFolder | undefined;
    if (arg instanceof vscode.Uri) {
      wf = vscode.workspace.getWorkspaceFolder(arg);
      if (!wf || this.folders.has(wf.uri.fsPath)) return this.pick(arg);
    } else if (this.folders.size === 0) {
      const all = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
      const active = vscode.window.activeTextEditor && vscode.workspace.getWorkspaceFolder(vscode.window.activeTextEditor.document.uri);
      wf = all.length === 1 ? all[0] : active ?? (all.length ? await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Folder to start' }) : undefined);
      if (!wf) return undefined;
    } else return this.pick(arg);
    const dir = wf.uri.fsPath;
    const found = discoverEntryIn(dir);
    if (!found.ok) {
      this.log.error(`${wf.name}: ${found.message}`);
      const choice = await vscode.window.showErrorMessage(`Smooth Reload: ${found.message.split('\n')[0]}`, 'Create Config File', 'Show Output');
      if (choice === 'Create Config File') await vscode.commands.executeCommand('smooth-reload.createConfig', wf.uri);
      else if (choice) this.log.show();
      return undefined;
    }
    this.log.info(`${wf.name}: no ${CONFIG_FILE_NAME}; starting ${found.entry}, from ${found.reason}`);
    this.zeroConfig.add(dir);
    this.syncFolders();
    const folder = wf;
    void vscode.window
      .showInformationMessage(`Smooth Reload runs ${found.entry} (from ${found.reason}). Save this choice in ${CONFIG_FILE_NAME}?`, 'Save')
      .then((choice) => choice && vscode.commands.executeCommand('smooth-reload.createConfig', folder.uri));
    return this.folders.get(dir);
  }

  private async offerConfig(): Promise<void> {
    const choice = await vscode.window.showInformationMessage(`Smooth Reload needs a ${CONFIG_FILE_NAME} in the workspace folder (it names the app to run).`, 'Create Config File');
    if (choice) await vscode.commands.executeCommand('smooth-reload.createConfig');
  }

  /** Write a config file naming the entry a zero-config start would choose (app.js when none), and open it. */
  private async createConfig(arg?: unknown): Promise<void> {
    const wf =
      arg instanceof vscode.Uri
        ? vscode.workspace.getWorkspaceFolder(arg)
        : (vscode.workspace.workspaceFolders?.length ?? 0) > 1
          ? await vscode.window.showWorkspaceFolderPick({ placeHolder: `Folder for ${CONFIG_FILE_NAME}` })
          : vscode.workspace.workspaceFolders?.[0];
    if (!wf) return;
    const file = vscode.Uri.joinPath(wf.uri, CONFIG_FILE_NAME);
    if (!fs.existsSync(file.fsPath)) {
      const found = discoverEntryIn(wf.uri.fsPath);
      const entry = found.ok ? found.entry : 'app.js';
      const config = { entry, port: 3000, workers: 2 };
      await vscode.workspace.fs.writeFile(file, Buffer.from(JSON.stringify(config, null, 2) + '\n'));
    }
    await vscode.window.showTextDocument(file);
    this.syncFolders();
  }

  private registerCommands(): void {
    const reg = (id: string, fn: (arg?: unknown) => unknown) =>
      this.context.subscriptions.push(
        vscode.commands.registerCommand(`smooth-reload.${id}`, async (arg?: unknown) => {
          try {
            return await fn(arg);
          } catch (err) {
            this.log.error(`${id}: ${(err as Error).message}`);
            void vscode.window.showErrorMessage(`Smooth Reload: ${(err as Error).message}`);
            return undefined;
          }
        }),
      );
    const send = async (arg: unknown, type: 'reload' | 'restart' | 'rollback') => {
      const entry = await this.pick(arg);
      if (!entry) return;
      if (!entry.session.running) return this.start(entry);
      entry.saves.cancel(); // this request covers the pending saves
      await entry.session.send(type === 'reload' ? { type, reason: 'Reload Now (VS Code)' } : { type });
    };
    reg('start', async (arg) => {
      const entry = await this.pickForStart(arg);
      if (entry) await this.start(entry);
    });
    reg('stop', async (arg) => {
      const entry = await this.pick(arg, true);
      if (!entry) return;
      entry.saves.cancel();
      await entry.session.stop();
      this.log.info(`${entry.session.folderName}: stopped the master`);
    });
    reg('reload', (arg) => send(arg, 'reload'));
    reg('restart', (arg) => send(arg, 'restart'));
    reg('rollback', (arg) => send(arg, 'rollback'));
    reg('openBrowser', async (arg) => {
      const entry = await this.pick(arg, true);
      const url = entry?.session.snapshot().url;
      if (url) await vscode.env.openExternal(vscode.Uri.parse(url));
    });
    reg('showOutput', () => this.log.show());
    reg('showWorkers', () => this.workersView.show());
    reg('refreshWorkers', () => this.workersView.pollNow());
    reg('toggleReloadOnSave', async () => {
      const c = vscode.workspace.getConfiguration('smooth-reload');
      const next = !c.get('autoReloadOnSave', true);
      await c.update('autoReloadOnSave', next, vscode.ConfigurationTarget.Workspace);
      if (!next) for (const e of this.folders.values()) e.saves.cancel();
      void vscode.window.showInformationMessage(`Smooth Reload: reload on save is ${next ? 'on' : 'off'}.`);
      this.render();
    });
    reg('createConfig', (arg) => this.createConfig(arg));
    // The Workers view's worker rows: { worker: { pid } }.
    const rowPid = (arg: unknown) => (arg as { worker?: { pid?: unknown } } | undefined)?.worker?.pid;
    reg('killWorker', (arg) => {
      const pid = rowPid(arg);
      if (typeof pid !== 'number') return;
      try {
        process.kill(pid, 'SIGKILL'); // the master replaces it, as after any crash
        this.log.info(`killed worker pid ${pid}`);
      } catch (err) {
        this.log.warn(`cannot kill pid ${pid}: ${(err as Error).message}`);
      }
    });
    reg('copyWorkerPid', async (arg) => {
      const pid = rowPid(arg);
      if (typeof pid === 'number') await vscode.env.clipboard.writeText(String(pid));
    });
    reg('runDoctor', (arg) => this.runDoctor(arg));
    reg('attach', (arg) => this.attachForeign(arg));
  }

  /** Returns the findings (for the suite); they go to the Problems panel and the output channel. */
  private async runDoctor(arg: unknown): Promise<Finding[] | undefined> {
    const wf = arg instanceof vscode.Uri ? vscode.workspace.getWorkspaceFolder(arg) : vscode.workspace.workspaceFolders?.length === 1 ? vscode.workspace.workspaceFolders[0] : await vscode.window.showWorkspaceFolderPick();
    if (!wf) return undefined;
    const dir = wf.uri.fsPath;
    // From the palette, offer `doctor --run`: start the app once and SIGTERM it (dist/ holds bootstrap.js next to extension.js).
    const items = [{ label: 'Check the project', run: false }, { label: 'Check, and start the app once to see whether it exits on SIGTERM', description: 'doctor --run', run: true }];
    const run = arg instanceof vscode.Uri ? false : (await vscode.window.showQuickPick(items, { title: 'Smooth Reload: Run Doctor' }))?.run;
    if (run === undefined) return undefined;
    const findings = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Smooth Reload: running the doctor…' }, () =>
      runDoctor({ dir, ...(run ? { run: { distDir: __dirname, nodePath: this.nodeCommand(dir).nodePath } } : {}) }).catch((err: Error) => {
        // The doctor is also a CLI command: its own process is the fallback if it fails in here.
        this.log.warn(`doctor failed in the extension host (${err.message}); running "cli.js doctor" instead`);
        return runDoctorCli(this.nodeCommand(dir), dir);
      }),
    );
    const entry = this.folders.get(dir);
    if (entry) entry.session.findings.set('doctor', findings);
    for (const f of findings) this.log.info(`doctor: [${f.code}] ${f.severity}: ${f.message}${f.file ? ` (${f.file}${f.line ? `:${f.line}` : ''})` : ''}`);
    this.render();
    const errors = findings.filter((f) => f.severity === 'error').length;
    void vscode.window.showInformationMessage(findings.length ? `Smooth Reload doctor: ${findings.length} finding${findings.length > 1 ? 's' : ''} (${errors} error${errors === 1 ? '' : 's'}), listed in the Problems panel.` : 'Smooth Reload doctor: no problems found.');
    return findings;
  }

  /** Follow a master Smooth Reload does not own (Swoole, Gunicorn, …) through `cli.js attach`. */
  private async attachForeign(arg: unknown): Promise<void> {
    const wf = arg instanceof vscode.Uri ? vscode.workspace.getWorkspaceFolder(arg) : vscode.workspace.workspaceFolders?.length === 1 ? vscode.workspace.workspaceFolders[0] : await vscode.window.showWorkspaceFolderPick();
    if (!wf) return;
    const preset = await vscode.window.showQuickPick(
      ATTACH_PRESETS.map((p) => ({ label: p.name, description: p.description, preset: p })),
      { placeHolder: 'Which kind of master is running?' },
    );
    if (!preset) return;
    const pidFile = await vscode.window.showInputBox({
      prompt: `The ${preset.label} master's pid file (relative to ${wf.name} or absolute)`,
      value: preset.preset.pidFile,
      validateInput: (v) => (v.trim() ? undefined : 'A pid file is required'),
    });
    if (!pidFile) return;
    const dir = wf.uri.fsPath;
    const entry = this.folders.get(dir);
    await entry?.attach?.stop();
    const proc = new AttachProcess(this.nodeCommand(dir), dir, preset.label, path.resolve(dir, pidFile.trim()));
    if (entry) entry.attach = proc;
    else this.context.subscriptions.push({ dispose: () => void proc.stop() });
    proc.on('line', (level, line) => this.log[level](`attach ${preset.label}: ${line}`));
    proc.on('event', (e) => {
      if (entry) {
        if (e.kind === 'reload-failed' && e.finding) entry.session.findings.set('attach', [e.finding]);
        if (e.kind === 'reload-done') entry.session.findings.clear('attach');
        this.render();
      }
      if (e.kind === 'reload-failed') void vscode.window.showWarningMessage(`Smooth Reload (${preset.label}): reload failed${e.finding ? `: ${e.finding.message}` : ''}`);
      if (e.kind === 'log') this.log[LOG_METHOD[e.level]](`attach ${preset.label}: ${e.message}`);
      else if (e.kind.startsWith('reload-')) this.log.info(`attach ${preset.label}: ${JSON.stringify(e)}`);
    });
    proc.on('exit', (code, error) => {
      if (entry?.attach === proc) entry.attach = undefined;
      if (error) {
        this.log.error(error.message);
        void vscode.window.showErrorMessage(`Smooth Reload: ${error.message}`);
      } else this.log.info(`attach ${preset.label}: exited (${code})`);
    });
    this.log.info(`attach ${preset.label}: following ${pidFile}`);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.workersView.dispose();
    const entries = [...this.folders.values()];
    this.folders.clear();
    await Promise.allSettled(
      entries.flatMap((e) => {
        e.saves.dispose();
        return [e.session.dispose(), e.attach?.stop()];
      }),
    );
  }
}

/** `node` from PATH when it exists there, else the extension host's own binary run as Node. */
function findNode(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, process.platform === 'win32' ? 'node.exe' : 'node');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // Keep looking.
    }
  }
  return process.execPath;
}

export { CliError };
