/** Quick fixes for findings whose fix is a mechanical edit of smooth-reload.config.json. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CONFIG_FILE_NAME } from '../server/config';
import { DIAGNOSTIC_SOURCE, applyConfigFix, quickFixFor } from './findings-map';

export class ConfigQuickFixes implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  async provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): Promise<vscode.CodeAction[]> {
    const folder = vscode.workspace.getWorkspaceFolder(document.uri);
    if (!folder) return [];
    const configUri = vscode.Uri.file(path.join(folder.uri.fsPath, CONFIG_FILE_NAME));
    const actions: vscode.CodeAction[] = [];
    for (const diag of context.diagnostics) {
      if (diag.source !== DIAGNOSTIC_SOURCE) continue;
      const code = typeof diag.code === 'object' ? String(diag.code.value) : String(diag.code ?? '');
      const fix = quickFixFor({ code, severity: 'error', message: diag.message });
      if (!fix) continue;
      let text: string;
      try {
        text = (await vscode.workspace.openTextDocument(configUri)).getText();
      } catch {
        text = '{}';
      }
      let next: string;
      try {
        next = applyConfigFix(text, fix);
      } catch {
        continue; // the config file is not valid JSON: no mechanical fix
      }
      const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
      action.diagnostics = [diag];
      action.isPreferred = true;
      const edit = new vscode.WorkspaceEdit();
      const doc = await vscode.workspace.openTextDocument(configUri).then(
        (d) => d,
        () => undefined,
      );
      if (doc) edit.replace(configUri, new vscode.Range(0, 0, doc.lineCount, 0), next);
      else edit.createFile(configUri, { contents: Buffer.from(next) });
      action.edit = edit;
      actions.push(action);
    }
    return actions;
  }
}
