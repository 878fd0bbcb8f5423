/**
 * Smooth Reload for VS Code: composes one MasterSession per workspace folder that has a
 * smooth-reload.config.json with the save handler, the status bar, the Problems panel, the output
 * channel and the commands (commands/, one file each). Imports nothing of the master's
 * internals: sessions talk to the master through its control channel.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CONFIG_FILE_NAME } from '../server/config';
import type { MasterEvent } from '../server/protocol';
import { BurstCoalescer } from './burst';
import { CliError } from './cli-tools';
import { ConfigQuickFixes } from './code-actions';
import type { FolderEntry, Folders, Services } from './commands/context';
import { registerCommands } from './commands/index';
import { startMaster } from './commands/start';
import { DebugLinker } from './debug/linker';
import { DiagnosticsView } from './diagnostics';
import { masterEventLine } from './event-lines';
import { nodeCommandFor } from './node-command';
import { AppOpener, type OpenedApp } from './open-app';
import { registerServeTasks } from './serve-task';
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
  /** The status-bar item's tooltip (Markdown). */
  statusBarTooltip(): string | undefined;
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
  /** Every app the extension opened in the browser, oldest first: the URL, asExternalUri's answer, the Host allowed. */
  openedApps(): readonly OpenedApp[];
}

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
    statusBarTooltip: () => c.statusBar.view?.tooltip,
    lastSaveToRequestMs: (folder) => c.entry(folder)?.session.lastSaveToRequestMs,
    lastTimerLateMs: (folder) => c.entry(folder)?.session.lastTimerLateMs,
    saveRequests: (folder) => c.entry(folder)?.saveRequests ?? 0,
    events: (folder) => c.entry(folder)?.events ?? [],
    workersView: () => c.workersView.rows(),
    openedApps: () => c.opener.opened,
  };
}

export async function deactivate(): Promise<void> {
  const c = controller;
  controller = undefined;
  await c?.dispose();
}

/** The folder entries and the wiring between VS Code's events, the sessions and the views. */
class Controller implements Folders {
  readonly log = vscode.window.createOutputChannel('Smooth Reload', { log: true });
  readonly statusBar = new StatusBar();
  readonly opener = new AppOpener(this.log);
  private readonly folders = new Map<string, FolderEntry>();
  /** Folders without a config file that Start ran anyway (zero-config start): they keep their session. */
  private readonly zeroConfig = new Set<string>();
  readonly workersView = new WorkersView(() => [...this.folders.values()].map((e) => e.session));
  private readonly diagnostics: DiagnosticsView;
  private readonly cliPath: string;
  private readonly services: Services;
  private disposed = false;
  private runningContext: boolean | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.cliPath = path.join(context.extensionPath, 'dist', 'cli.js');
    this.diagnostics = new DiagnosticsView(vscode.Uri.joinPath(context.extensionUri, 'docs', 'troubleshooting.md'), this.log, path.dirname(this.cliPath));
    this.services = {
      folders: this,
      log: this.log,
      nodeCommand: (folder) => nodeCommandFor(this.cliPath, folder),
      openApp: (entry) => this.opener.open(entry.session),
    };
  }

  async init(): Promise<void> {
    const { subscriptions } = this.context;
    subscriptions.push(this.log, this.statusBar, this.diagnostics, this.workersView);
    void vscode.commands.executeCommand('setContext', 'smooth-reload.active', true);
    subscriptions.push(
      vscode.workspace.onWillSaveTextDocument((e) => this.saveTarget(e.document)?.saves.willSave(e.document.uri.fsPath)),
      vscode.workspace.onDidSaveTextDocument((doc) => this.saveTarget(doc)?.saves.add(doc.uri.fsPath)),
      vscode.window.onDidChangeActiveTextEditor(() => this.render()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.sync()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('smooth-reload') && this.render()),
      vscode.languages.registerCodeActionsProvider({ scheme: 'file' }, new ConfigQuickFixes(), { providedCodeActionKinds: ConfigQuickFixes.kinds }),
      registerServeTasks(this.services.nodeCommand),
    );
    const configWatcher = vscode.workspace.createFileSystemWatcher(`**/${CONFIG_FILE_NAME}`);
    subscriptions.push(configWatcher, configWatcher.onDidCreate(() => this.sync()), configWatcher.onDidDelete(() => this.sync()));
    const linker = new DebugLinker(this.services);
    linker.register(subscriptions);
    registerCommands(this.services, this.workersView, linker, subscriptions);
    this.sync();
    // A master started from a terminal is used as is; startOnActivation starts the others.
    await Promise.all(
      [...this.folders.values()].map(async (entry) => {
        const attached = await entry.session.attach().catch(() => false);
        if (attached) this.log.info(`${entry.session.folderName}: attached to the running master`);
        else if (readSettings(vscode.Uri.file(entry.session.folder)).startOnActivation) void startMaster(this.services, entry);
      }),
    );
    this.render();
  }

  entry(folder?: string): FolderEntry | undefined {
    if (folder) return this.folders.get(path.resolve(folder));
    return this.current();
  }

  get(dir: string): FolderEntry | undefined {
    return this.folders.get(dir);
  }

  all(): FolderEntry[] {
    return [...this.folders.values()];
  }

  keepWithoutConfig(dir: string): void {
    this.zeroConfig.add(dir);
    this.sync();
  }

  /** Create a session for each folder with a config file; drop those whose folder left the workspace. */
  sync(): void {
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
      const line = masterEventLine(e, this.folders.size > 1 ? `[${name}] ` : '');
      if (line) this.log[line.level](line.text);
    });
    this.folders.set(dir, entry);
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
    if (!readSettings(doc.uri).autoReloadOnSave) return undefined;
    return entry;
  }

  /** The folder the status bar shows: the active editor's, else the first running, else the first. */
  current(): FolderEntry | undefined {
    const uri = vscode.window.activeTextEditor?.document.uri;
    const wf = uri && vscode.workspace.getWorkspaceFolder(uri);
    const active = wf && this.folders.get(wf.uri.fsPath);
    if (active) return active;
    const all = this.all();
    return all.find((e) => e.session.running) ?? all[0];
  }

  render(): void {
    if (this.disposed) return;
    const entry = this.current();
    // For `when` clauses: commands and buttons show where they apply.
    const running = this.all().some((e) => e.session.running);
    if (running !== this.runningContext) {
      this.runningContext = running;
      void vscode.commands.executeCommand('setContext', 'smooth-reload.running', running);
    }
    this.statusBar.render(entry?.session.snapshot(), entry?.session.folder);
    this.diagnostics.render(this.all().map((e) => e.session));
    this.workersView.refresh();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.workersView.dispose();
    const entries = this.all();
    this.folders.clear();
    await Promise.allSettled(
      entries.flatMap((e) => {
        e.saves.dispose();
        return [e.session.dispose(), e.attach?.stop()];
      }),
    );
  }
}

export { CliError };
