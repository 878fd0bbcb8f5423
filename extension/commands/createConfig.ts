/** Smooth Reload: Create Config File — write a config naming the entry a zero-config start would choose (app.js when none), and open it. */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { CONFIG_FILE_NAME } from '../../server/config';
import { discoverEntryIn } from '../../server/entry';
import type { Folders } from './context';
import { pickWorkspaceFolder } from './pick';

export async function createConfig(folders: Pick<Folders, 'sync'>, arg: unknown): Promise<void> {
  const wf = await pickWorkspaceFolder(arg, `Folder for ${CONFIG_FILE_NAME}`);
  if (!wf) return;
  const file = vscode.Uri.joinPath(wf.uri, CONFIG_FILE_NAME);
  if (!fs.existsSync(file.fsPath)) {
    const found = discoverEntryIn(wf.uri.fsPath);
    const entry = found.ok ? found.entry : 'app.js';
    const config = { entry, port: 3000, workers: 2 };
    await vscode.workspace.fs.writeFile(file, Buffer.from(JSON.stringify(config, null, 2) + '\n'));
  }
  await vscode.window.showTextDocument(file);
  folders.sync();
}
