/** Which folder a command acts on. */
import * as vscode from 'vscode';
import { CONFIG_FILE_NAME } from '../../server/config';
import type { FolderEntry, Folders } from './context';

/** A configured folder: the argument (a Workers-view row or a Uri), the only one, the active editor's, or a pick. */
export async function pickFolder(folders: Folders, arg: unknown, runningOnly = false): Promise<FolderEntry | undefined> {
  // A row of the Workers view (its item menus) carries its session.
  const rowFolder = (arg as { session?: { folder?: unknown } } | undefined)?.session?.folder;
  const row = typeof rowFolder === 'string' ? folders.get(rowFolder) : undefined;
  if (row) return row;
  if (arg instanceof vscode.Uri) {
    const wf = vscode.workspace.getWorkspaceFolder(arg);
    const hit = wf && folders.get(wf.uri.fsPath);
    if (hit) return hit;
  }
  const all = folders.all();
  const candidates = all.filter((e) => !runningOnly || e.session.running);
  if (candidates.length === 0) {
    if (all.length === 0) await offerConfig();
    else void vscode.window.showInformationMessage('Smooth Reload: no master is running. Run "Smooth Reload: Start" first.');
    return undefined;
  }
  if (candidates.length === 1) return candidates[0];
  const active = folders.current();
  if (active && candidates.includes(active)) return active;
  const picked = await vscode.window.showQuickPick(
    candidates.map((e) => ({ label: e.session.folderName, description: e.session.snapshot().phase, entry: e })),
    { placeHolder: 'Which folder?' },
  );
  return picked?.entry;
}

/** Any workspace folder (configured or not): the argument's, the only one, or a pick. */
export async function pickWorkspaceFolder(arg: unknown, placeHolder?: string): Promise<vscode.WorkspaceFolder | undefined> {
  if (arg instanceof vscode.Uri) return vscode.workspace.getWorkspaceFolder(arg);
  const all = vscode.workspace.workspaceFolders ?? [];
  if (all.length <= 1) return all[0];
  return vscode.window.showWorkspaceFolderPick(placeHolder ? { placeHolder } : undefined);
}

async function offerConfig(): Promise<void> {
  const choice = await vscode.window.showInformationMessage(`Smooth Reload needs a ${CONFIG_FILE_NAME} in the workspace folder (it names the app to run).`, 'Create Config File');
  if (choice) await vscode.commands.executeCommand('smooth-reload.createConfig');
}
