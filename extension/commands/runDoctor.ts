/** Smooth Reload: Run Doctor — the project's checks; findings go to the Problems panel and the output channel. */
import * as vscode from 'vscode';
import { runDoctor as runDoctorInProcess } from '../../server/doctor';
import type { Finding } from '../../server/protocol';
import { runDoctorCli } from '../cli-tools';
import { doctorLine } from '../event-lines';
import type { Services } from './context';
import { pickWorkspaceFolder } from './pick';

/** Returns the findings (for the suite). */
export async function runDoctor({ folders, log, nodeCommand }: Pick<Services, 'folders' | 'log' | 'nodeCommand'>, arg: unknown): Promise<Finding[] | undefined> {
  const wf = await pickWorkspaceFolder(arg);
  if (!wf) return undefined;
  const dir = wf.uri.fsPath;
  // From the palette, offer `doctor --run`: start the app once and SIGTERM it (dist/ holds bootstrap.js next to extension.js).
  const items = [{ label: 'Check the project', run: false }, { label: 'Check, and start the app once to see whether it exits on SIGTERM', description: 'doctor --run', run: true }];
  const run = arg instanceof vscode.Uri ? false : (await vscode.window.showQuickPick(items, { title: 'Smooth Reload: Run Doctor' }))?.run;
  if (run === undefined) return undefined;
  const findings = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Smooth Reload: running the doctor…' }, () =>
    runDoctorInProcess({ dir, ...(run ? { run: { distDir: __dirname, nodePath: nodeCommand(dir).nodePath } } : {}) }).catch((err: Error) => {
      // The doctor is also a CLI command: its own process is the fallback if it fails in here.
      log.warn(`doctor failed in the extension host (${err.message}); running "cli.js doctor" instead`);
      return runDoctorCli(nodeCommand(dir), dir);
    }),
  );
  folders.get(dir)?.session.findings.set('doctor', findings);
  for (const f of findings) log.info(doctorLine(f));
  folders.render();
  const errors = findings.filter((f) => f.severity === 'error').length;
  void vscode.window.showInformationMessage(findings.length ? `Smooth Reload doctor: ${findings.length} finding${findings.length > 1 ? 's' : ''} (${errors} error${errors === 1 ? '' : 's'}), listed in the Problems panel.` : 'Smooth Reload doctor: no problems found.');
  return findings;
}
