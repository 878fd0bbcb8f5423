/** Smooth Reload: Start — start (or attach to) a folder's master; a folder without a config file starts zero-config. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CONFIG_FILE_NAME, readConfigFile } from '../../server/config';
import { discoverEntryIn } from '../../server/entry';
import { unsupportedPlatformMessage } from '../../server/platform';
import { readSettings } from '../settings';
import type { FolderEntry, Services } from './context';
import { pickFolder } from './pick';

export async function start(services: Services, arg: unknown): Promise<void> {
  const entry = await pickForStart(services, arg);
  if (entry) await startMaster(services, entry);
}

/** Start the folder's master with the settings; on failure, say why; then open the app if `openBrowserOnStart`. */
export async function startMaster({ log, nodeCommand, openApp }: Services, entry: FolderEntry): Promise<void> {
  const { session } = entry;
  // Windows: the master refuses (signals, process groups, /bin/sh); say so here, with what to do.
  const refusal = unsupportedPlatformMessage();
  if (refusal) {
    log.warn(refusal);
    void vscode.window.showErrorMessage(refusal);
    return;
  }
  const settings = readSettings(vscode.Uri.file(session.folder));
  let port = 0;
  try {
    // A zero-config start has no file: the master picks a free port.
    const file = path.join(session.folder, CONFIG_FILE_NAME);
    const config = fs.existsSync(file) ? readConfigFile(file) : {};
    if (typeof config.port === 'number') port = config.port;
  } catch (err) {
    log.warn(`${session.folderName}: ${(err as Error).message}`);
  }
  log.info(`${session.folderName}: starting the master`);
  await session.start({
    ...nodeCommand(session.folder),
    port,
    ...(settings.logLevel !== 'default' ? { logLevel: settings.logLevel } : {}),
    ...(settings.ignore.length ? { ignore: settings.ignore } : {}),
  });
  const snap = session.snapshot();
  if (snap.phase === 'crashed') {
    const choice = await vscode.window.showErrorMessage(`Smooth Reload could not start the master for ${session.folderName}: ${snap.error ?? 'unknown error'}`, 'Show Output');
    if (choice) log.show();
    return;
  }
  log.info(`${session.folderName}: ${snap.owned ? 'started' : 'attached to'} the master at ${snap.url ?? '?'}`);
  if (settings.openBrowserOnStart && snap.url) openApp(entry).catch((err: Error) => log.warn(`${session.folderName}: cannot open the app: ${err.message}`));
}

/**
 * Start's folder: like pickFolder(), but a folder without a config file is started the way
 * `smooth-reload serve` starts it (zero-config start: the entry from package.json or a
 * conventional name), and the choice is offered to be saved as a config file.
 */
async function pickForStart({ folders, log }: Services, arg: unknown): Promise<FolderEntry | undefined> {
  let wf: vscode.WorkspaceFolder | undefined;
  if (arg instanceof vscode.Uri) {
    wf = vscode.workspace.getWorkspaceFolder(arg);
    if (!wf || folders.get(wf.uri.fsPath)) return pickFolder(folders, arg);
  } else if (folders.all().length === 0) {
    const all = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    const active = vscode.window.activeTextEditor && vscode.workspace.getWorkspaceFolder(vscode.window.activeTextEditor.document.uri);
    wf = all.length === 1 ? all[0] : active ?? (all.length ? await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Folder to start' }) : undefined);
    if (!wf) return undefined;
  } else return pickFolder(folders, arg);
  const dir = wf.uri.fsPath;
  const found = discoverEntryIn(dir);
  if (!found.ok) {
    log.error(`${wf.name}: ${found.message}`);
    const choice = await vscode.window.showErrorMessage(`Smooth Reload: ${found.message.split('\n')[0]}`, 'Create Config File', 'Show Output');
    if (choice === 'Create Config File') await vscode.commands.executeCommand('smooth-reload.createConfig', wf.uri);
    else if (choice) log.show();
    return undefined;
  }
  log.info(`${wf.name}: no ${CONFIG_FILE_NAME}; starting ${found.entry}, from ${found.reason}`);
  folders.keepWithoutConfig(dir);
  const folder = wf;
  void vscode.window
    .showInformationMessage(`Smooth Reload runs ${found.entry} (from ${found.reason}). Save this choice in ${CONFIG_FILE_NAME}?`, 'Save')
    .then((choice) => choice && vscode.commands.executeCommand('smooth-reload.createConfig', folder.uri));
  return folders.get(dir);
}
