/** For suites in the extension host: the activated extension's test API and the first workspace folder. */
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import type { SmoothReloadApi } from '../../extension/extension';

export const EXTENSION_ID = 'smooth-reload.smooth-reload';

export async function activateSmoothReload(): Promise<{ api: SmoothReloadApi; folder: string }> {
  const ext = vscode.extensions.getExtension<SmoothReloadApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is loaded`);
  return { api: await ext.activate(), folder: vscode.workspace.workspaceFolders![0].uri.fsPath };
}
