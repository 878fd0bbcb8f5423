/**
 * The `smooth-reload` task type (tasks.json `{"type": "smooth-reload", "args": [...]}`):
 * `smooth-reload serve <args>` in the folder, as a background task whose problem matcher
 * (`$smooth-reload`) turns the CLI's findings into problems and knows when a reload starts and
 * ends. Terminating the task (its terminal sends SIGHUP) stops the master: `--stop-on-hup`.
 */
import * as vscode from 'vscode';
import type { NodeCommand } from './cli-tools';

export const TASK_TYPE = 'smooth-reload';

export function registerServeTasks(nodeCommand: (folder: string) => NodeCommand): vscode.Disposable {
  return vscode.tasks.registerTaskProvider(TASK_TYPE, {
    provideTasks: () => (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => serveTask(nodeCommand(f.uri.fsPath), f, { type: TASK_TYPE })),
    resolveTask: (task) => {
      const wf = typeof task.scope === 'object' ? task.scope : vscode.workspace.workspaceFolders?.[0];
      return wf ? serveTask(nodeCommand(wf.uri.fsPath), wf, task.definition) : undefined;
    },
  });
}

function serveTask({ nodePath, cliPath }: NodeCommand, wf: vscode.WorkspaceFolder, definition: vscode.TaskDefinition): vscode.Task {
  const args = Array.isArray(definition.args) ? definition.args.map(String) : [];
  const env: Record<string, string> = nodePath === process.execPath && process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {};
  const task = new vscode.Task(definition, wf, 'serve', TASK_TYPE, new vscode.ProcessExecution(nodePath, [cliPath, 'serve', '--stop-on-hup', ...args], { cwd: wf.uri.fsPath, env }), ['$smooth-reload']);
  task.isBackground = true;
  return task;
}
