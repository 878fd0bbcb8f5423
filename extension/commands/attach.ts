/** Smooth Reload: Attach to Running Master — follow a master Smooth Reload does not own (Swoole, Gunicorn, …) through `cli.js attach`. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AttachProcess, ATTACH_PRESETS } from '../cli-tools';
import { attachEventLine } from '../event-lines';
import type { Services } from './context';
import { pickWorkspaceFolder } from './pick';

export async function attach({ folders, log, nodeCommand }: Pick<Services, 'folders' | 'log' | 'nodeCommand'>, subscriptions: vscode.Disposable[], arg: unknown): Promise<void> {
  const wf = await pickWorkspaceFolder(arg);
  if (!wf) return;
  const preset = await vscode.window.showQuickPick(
    ATTACH_PRESETS.map((p) => ({ label: p.name, description: p.description, preset: p })),
    { placeHolder: 'Which kind of master is running?' },
  );
  if (!preset) return;
  const pidFile = await vscode.window.showInputBox({
    prompt: `The ${preset.label} master's pid file (relative to ${wf.name} or absolute)`,
    value: preset.preset.pidFile,
    validateInput: (v) => (v.trim() ? undefined : 'A pid file is required'),
  });
  if (!pidFile) return;
  const dir = wf.uri.fsPath;
  const entry = folders.get(dir);
  await entry?.attach?.stop();
  const proc = new AttachProcess(nodeCommand(dir), dir, preset.label, path.resolve(dir, pidFile.trim()));
  // A configured folder's entry stops it with the session; otherwise deactivation does.
  if (entry) entry.attach = proc;
  else subscriptions.push({ dispose: () => void proc.stop() });
  proc.on('line', (level, line) => log[level](`attach ${preset.label}: ${line}`));
  proc.on('event', (e) => {
    if (entry) {
      if (e.kind === 'reload-failed' && e.finding) entry.session.findings.set('attach', [e.finding]);
      if (e.kind === 'reload-done') entry.session.findings.clear('attach');
      folders.render();
    }
    if (e.kind === 'reload-failed') void vscode.window.showWarningMessage(`Smooth Reload (${preset.label}): reload failed${e.finding ? `: ${e.finding.message}` : ''}`);
    const line = attachEventLine(e, preset.label);
    if (line) log[line.level](line.text);
  });
  proc.on('exit', (code, error) => {
    if (entry?.attach === proc) entry.attach = undefined;
    if (error) {
      log.error(error.message);
      void vscode.window.showErrorMessage(`Smooth Reload: ${error.message}`);
    } else log.info(`attach ${preset.label}: exited (${code})`);
  });
  log.info(`attach ${preset.label}: following ${pidFile}`);
}
