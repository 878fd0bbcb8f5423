/**
 * What commands get from the Controller: narrow views of its folders, the output channel and the
 * few services they use, so each command file says what it depends on.
 */
import type * as vscode from 'vscode';
import type { BurstCoalescer } from '../burst';
import type { AttachProcess, NodeCommand } from '../cli-tools';
import type { MasterEvent } from '../../server/protocol';
import type { MasterSession } from '../session';

/** One configured workspace folder: its master session, its save bursts, what the suites read. */
export interface FolderEntry {
  session: MasterSession;
  saves: BurstCoalescer;
  saveRequests: number;
  events: MasterEvent[];
  attach?: AttachProcess;
}

export type Log = vscode.LogOutputChannel;

/** The Controller's folders, as commands see them. */
export interface Folders {
  get(dir: string): FolderEntry | undefined;
  all(): FolderEntry[];
  /** The status bar's folder: the active editor's, else the first running, else the first. */
  current(): FolderEntry | undefined;
  /** Create and drop sessions to match the workspace (after a config file was written). */
  sync(): void;
  /** Give a folder without a config file a session (zero-config Start); sync() keeps it. */
  keepWithoutConfig(dir: string): void;
  /** Re-render the status bar, the Problems panel and the Workers view. */
  render(): void;
}

export interface Services {
  folders: Folders;
  log: Log;
  /** How `dist/cli.js` runs for a folder. */
  nodeCommand(folder: string): NodeCommand;
  /** Open the folder's app in the browser, through the port forwarding when there is one. */
  openApp(entry: FolderEntry): Promise<void>;
}
