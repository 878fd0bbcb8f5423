/**
 * Smooth Reload: Start with Debugger — start a folder's master under VS Code's JavaScript debugger
 * (the `smooth-reload` launch type, debug/linker.ts): every worker is attached before its code
 * runs. Resolves once the master serves and the session is attached (true), or the launch failed.
 */
import * as vscode from 'vscode';
import { unsupportedPlatformMessage } from '../../server/platform';
import type { DebugLinker } from '../debug/linker';
import { DEBUG_TYPE } from '../debug/launch-config';
import { pickWorkspaceFolder } from './pick';

export async function startWithDebugger(linker: DebugLinker, arg: unknown): Promise<boolean> {
  const refusal = unsupportedPlatformMessage();
  if (refusal) {
    void vscode.window.showErrorMessage(refusal);
    return false;
  }
  // A row of the Workers view carries its session's folder; a Uri (explorer, status bar) its own.
  const rowFolder = (arg as { session?: { folder?: unknown } } | undefined)?.session?.folder;
  const wf = typeof rowFolder === 'string' ? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(rowFolder)) : await pickWorkspaceFolder(arg, 'Folder to debug');
  if (!wf) return false;
  const started = await vscode.debug.startDebugging(wf, { type: DEBUG_TYPE, request: 'launch', name: `Smooth Reload: ${wf.name}` });
  if (!started) return false;
  return linker.whenAttached(wf.uri.fsPath);
}
