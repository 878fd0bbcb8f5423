/** The extension's settings (contributes.configuration in package.json), read fresh on each use. */
import * as vscode from 'vscode';

export interface Settings {
  autoReloadOnSave: boolean;
  debounceMs: number;
  nodePath: string;
  ignore: string[];
  openBrowserOnStart: boolean;
  logLevel: 'default' | 'debug' | 'info' | 'warn' | 'error';
  startOnActivation: boolean;
}

export function readSettings(scope?: vscode.ConfigurationScope): Settings {
  const c = vscode.workspace.getConfiguration('smooth-reload', scope);
  return {
    autoReloadOnSave: c.get('autoReloadOnSave', true),
    debounceMs: Math.max(0, c.get('debounceMs', 50)),
    nodePath: c.get('nodePath', '').trim(),
    ignore: c.get<string[]>('ignore', []),
    openBrowserOnStart: c.get('openBrowserOnStart', false),
    logLevel: c.get('logLevel', 'default'),
    startOnActivation: c.get('startOnActivation', false),
  };
}
