/** Smooth Reload: Copy PID (a worker row's menu in the Workers view). */
import * as vscode from 'vscode';
import { workerRowPid } from './killWorker';

export async function copyWorkerPid(arg: unknown): Promise<void> {
  const pid = workerRowPid(arg);
  if (pid !== undefined) await vscode.env.clipboard.writeText(String(pid));
}
