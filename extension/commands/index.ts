/**
 * Registers every `smooth-reload.*` command (package.json `contributes.commands`), one file per
 * command. A command that throws is reported in the output channel and as an error message.
 */
import * as vscode from 'vscode';
import type { DebugLinker } from '../debug/linker';
import type { WorkersView } from '../workers-view';
import { attach } from './attach';
import type { Services } from './context';
import { copyWorkerPid } from './copyWorkerPid';
import { createConfig } from './createConfig';
import { killWorker } from './killWorker';
import { openBrowser } from './openBrowser';
import { refreshWorkers } from './refreshWorkers';
import { reload } from './reload';
import { restart } from './restart';
import { rollback } from './rollback';
import { runDoctor } from './runDoctor';
import { showOutput } from './showOutput';
import { showWorkers } from './showWorkers';
import { start } from './start';
import { startWithDebugger } from './startWithDebugger';
import { stop } from './stop';
import { toggleReloadOnSave } from './toggleReloadOnSave';

export function registerCommands(services: Services, workersView: WorkersView, linker: DebugLinker, subscriptions: vscode.Disposable[]): void {
  const { folders, log } = services;
  const commands: Record<string, (arg: unknown) => unknown> = {
    start: (arg) => start(services, arg),
    startWithDebugger: (arg) => startWithDebugger(linker, arg),
    stop: (arg) => stop(services, arg),
    reload: (arg) => reload(services, arg),
    restart: (arg) => restart(services, arg),
    rollback: (arg) => rollback(services, arg),
    openBrowser: (arg) => openBrowser(services, arg),
    showOutput: () => showOutput(log),
    showWorkers: () => showWorkers(workersView),
    refreshWorkers: () => refreshWorkers(workersView),
    toggleReloadOnSave: () => toggleReloadOnSave(folders),
    createConfig: (arg) => createConfig(folders, arg),
    killWorker: (arg) => killWorker(log, arg),
    copyWorkerPid: (arg) => copyWorkerPid(arg),
    runDoctor: (arg) => runDoctor(services, arg),
    attach: (arg) => attach(services, subscriptions, arg),
  };
  for (const [id, run] of Object.entries(commands)) {
    subscriptions.push(
      vscode.commands.registerCommand(`smooth-reload.${id}`, async (arg?: unknown) => {
        try {
          return await run(arg);
        } catch (err) {
          log.error(`${id}: ${(err as Error).message}`);
          void vscode.window.showErrorMessage(`Smooth Reload: ${(err as Error).message}`);
          return undefined;
        }
      }),
    );
  }
}
