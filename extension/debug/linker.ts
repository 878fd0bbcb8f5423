/**
 * Start with Debugger: the `smooth-reload` launch type, resolved into js-debug's `node` launch of
 * the bundled master (launch-config.ts), and the link between that debug session and the folder's
 * MasterSession:
 * - once the master wrote its state file, the session attaches to it as to a master started from
 *   a terminal, so the status bar, the Workers view and the Problems panel work as usual;
 * - the debug session ends (the debug toolbar's Stop) → the master is stopped through the control
 *   channel, so it drains like any stop;
 * - the master stops (Smooth Reload: Stop, or it exits) → the debug session is stopped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CONFIG_FILE_NAME, readConfigFile } from '../../server/config';
import { discoverEntryIn } from '../../server/entry';
import { readStateFile } from '../../server/state-file';
import type { FolderEntry, Services } from '../commands/context';
import { readSettings } from '../settings';
import { DEBUG_TYPE, debugFolderOf, nodeLaunchConfig } from './launch-config';

/** Longest wait from the debug session's start to the master's state file. */
const ATTACH_TIMEOUT_MS = 60_000;
/** How long after a debug session ended before its master served a late master is still stopped. */
const LATE_MASTER_MS = 10_000;

interface Link {
  /** The top-level debug session, once VS Code started it. */
  debug?: vscode.DebugSession;
  ended: boolean;
  /** The master served and the MasterSession attached to it. */
  served: boolean;
  /** Resolves true once the MasterSession is attached, false when the debug session ended first. */
  attached: Promise<boolean>;
  settle(ok: boolean): void;
  stopListening?: () => void;
}

export class DebugLinker implements vscode.DebugConfigurationProvider {
  private readonly links = new Map<string, Link>();

  constructor(private readonly services: Services) {}

  register(subscriptions: vscode.Disposable[]): void {
    subscriptions.push(
      vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, this),
      vscode.debug.onDidStartDebugSession((s) => this.onStart(s)),
      vscode.debug.onDidTerminateDebugSession((s) => void this.onTerminate(s)),
    );
  }

  /** The configuration "Add Configuration…" writes into a new launch.json. */
  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return [{ type: DEBUG_TYPE, request: 'launch', name: 'Smooth Reload: Start with Debugger' }];
  }

  /** `{ type: "smooth-reload" }` → js-debug's `node` launch of the folder's master. */
  async resolveDebugConfiguration(wf: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    if (config.type !== DEBUG_TYPE) return config;
    const { log, nodeCommand } = this.services;
    const folder = wf ?? (vscode.workspace.workspaceFolders?.length === 1 ? vscode.workspace.workspaceFolders[0] : undefined);
    if (!folder || folder.uri.scheme !== 'file') {
      void vscode.window.showErrorMessage('Smooth Reload: Start with Debugger needs a workspace folder (open a folder, or put the configuration in a folder\'s launch.json).');
      return undefined;
    }
    const dir = folder.uri.fsPath;
    const entry = this.entryFor(dir);
    if (!entry) return undefined;
    const state = readStateFile(dir);
    if (entry.session.running || state.ok || this.links.get(dir)?.debug) {
      const pid = state.ok ? ` (pid ${state.state.pid})` : '';
      void vscode.window.showErrorMessage(`Smooth Reload: a master already runs for ${folder.name}${pid}. Stop it, then Start with Debugger.`);
      return undefined;
    }
    const settings = readSettings(folder.uri);
    const args = Array.isArray(config.args) ? (config.args as unknown[]).map(String) : [];
    const resolved = nodeLaunchConfig({
      folder: dir,
      name: typeof config.name === 'string' && config.name ? config.name : `Smooth Reload: ${folder.name}`,
      ...nodeCommand(dir),
      ...(args.some((a) => a === '--port' || a.startsWith('--port=')) ? {} : { port: configPort(dir, log) }),
      ...(settings.logLevel !== 'default' ? { logLevel: settings.logLevel } : {}),
      ignore: settings.ignore,
      args,
    });
    // A link whose launch never started a session (js-debug failed to launch) gives way.
    this.links.get(dir)?.settle(false);
    this.links.set(dir, newLink());
    log.info(`${folder.name}: starting the master under the debugger`);
    return resolved as vscode.DebugConfiguration;
  }

  /** Resolves true once `dir`'s master runs under the debugger and the session is attached. */
  whenAttached(dir: string): Promise<boolean> {
    return this.links.get(dir)?.attached ?? Promise.resolve(false);
  }

  /** The folder's entry; a folder without a config file gets one when `serve` can find its entry. */
  private entryFor(dir: string): FolderEntry | undefined {
    const { folders, log } = this.services;
    const known = folders.get(dir);
    if (known) return known;
    if (!fs.existsSync(path.join(dir, CONFIG_FILE_NAME))) {
      const found = discoverEntryIn(dir);
      if (!found.ok) {
        log.error(`${path.basename(dir)}: ${found.message}`);
        void vscode.window.showErrorMessage(`Smooth Reload: ${found.message.split('\n')[0]}`);
        return undefined;
      }
      folders.keepWithoutConfig(dir);
    } else folders.sync();
    return folders.get(dir);
  }

  private onStart(debug: vscode.DebugSession): void {
    const dir = debugFolderOf(debug.configuration);
    // js-debug starts a child session per attached process; only the top-level one is ours.
    if (!dir || debug.parentSession) return;
    const link = this.links.get(dir);
    if (!link || link.debug) return;
    link.debug = debug;
    void this.attachWhenListening(dir, link);
  }

  private async attachWhenListening(dir: string, link: Link): Promise<void> {
    const { folders, log } = this.services;
    const deadline = Date.now() + ATTACH_TIMEOUT_MS;
    while (!link.ended && !readStateFile(dir).ok && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const entry = folders.get(dir);
    if (link.ended || !entry) return link.settle(false);
    if (!readStateFile(dir).ok) {
      log.error(`${entry.session.folderName}: the master under the debugger wrote no state file within ${ATTACH_TIMEOUT_MS} ms; see the Debug Console`);
      if (link.debug) void vscode.debug.stopDebugging(link.debug);
      return link.settle(false);
    }
    const attached = await entry.session.attach().catch((err: Error) => {
      log.error(`${entry.session.folderName}: cannot attach to the master under the debugger: ${err.message}`);
      return false;
    });
    if (!attached || link.ended) {
      if (link.debug) void vscode.debug.stopDebugging(link.debug);
      return link.settle(false);
    }
    entry.session.setDebugging(true);
    link.served = true;
    // The master went away (Stop, or it exited): end the debug session with it.
    const onChange = () => {
      const phase = entry.session.snapshot().phase;
      if ((phase === 'stopped' || phase === 'crashed') && link.debug && !link.ended) void vscode.debug.stopDebugging(link.debug);
    };
    entry.session.on('change', onChange);
    link.stopListening = () => entry.session.off('change', onChange);
    log.info(`${entry.session.folderName}: the master runs under the debugger at ${entry.session.snapshot().url ?? '?'}`);
    link.settle(true);
  }

  private async onTerminate(debug: vscode.DebugSession): Promise<void> {
    const dir = debugFolderOf(debug.configuration);
    if (!dir || debug.parentSession) return;
    const link = this.links.get(dir);
    if (!link || (link.debug && link.debug !== debug)) return;
    this.links.delete(dir);
    link.ended = true;
    link.stopListening?.();
    link.settle(false);
    const entry = this.services.folders.get(dir);
    if (!entry) return;
    if (!link.served) {
      // Ended before the master served: it failed to start (its output is in the Debug Console),
      // or the session was stopped while it started, and it may still come up: stop it then.
      this.services.log.warn(`${entry.session.folderName}: the debug session ended before the master served; the Debug Console has its output`);
      await this.stopLateMaster(dir, entry);
      return;
    }
    // The debug session ended first (its Stop button, or the launch failed): stop the master too.
    if (entry.session.running) {
      entry.saves.cancel();
      await entry.session.stop();
      this.services.log.info(`${entry.session.folderName}: the debug session ended; stopped the master`);
    }
    entry.session.setDebugging(false);
  }

  /** A master that writes its state file within LATE_MASTER_MS of its debug session's end is stopped. */
  private async stopLateMaster(dir: string, entry: FolderEntry): Promise<void> {
    const deadline = Date.now() + LATE_MASTER_MS;
    while (Date.now() < deadline && !this.links.has(dir) && !entry.session.running) {
      if (readStateFile(dir).ok) {
        if (await entry.session.attach().catch(() => false)) await entry.session.stop();
        this.services.log.info(`${entry.session.folderName}: stopped the master its ended debug session had started`);
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function newLink(): Link {
  let settle: (ok: boolean) => void = () => undefined;
  const attached = new Promise<boolean>((resolve) => (settle = resolve));
  return { ended: false, served: false, attached, settle: (ok) => settle(ok) };
}

/** `port` of the folder's config file (0 when absent: the master picks a free port), as Start passes it. */
function configPort(dir: string, log: Services['log']): number {
  try {
    const file = path.join(dir, CONFIG_FILE_NAME);
    const config = fs.existsSync(file) ? readConfigFile(file) : {};
    return typeof config.port === 'number' ? config.port : 0;
  } catch (err) {
    log.warn(`${path.basename(dir)}: ${(err as Error).message}`);
    return 0;
  }
}
