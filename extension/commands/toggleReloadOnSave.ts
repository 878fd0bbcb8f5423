/** Smooth Reload: Toggle Reload on Save — flips `smooth-reload.autoReloadOnSave` for the workspace. */
import * as vscode from 'vscode';
import type { Folders } from './context';

export async function toggleReloadOnSave(folders: Folders): Promise<void> {
  const c = vscode.workspace.getConfiguration('smooth-reload');
  const next = !c.get('autoReloadOnSave', true);
  await c.update('autoReloadOnSave', next, vscode.ConfigurationTarget.Workspace);
  // Saves already waiting in a burst are not sent once reload on save is off.
  if (!next) for (const e of folders.all()) e.saves.cancel();
  void vscode.window.showInformationMessage(`Smooth Reload: reload on save is ${next ? 'on' : 'off'}.`);
  folders.render();
}
