/** How the extension runs `dist/cli.js`: the `smooth-reload.nodePath` setting, else `node` from PATH, else the editor's own runtime. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { NodeCommand } from './cli-tools';
import { readSettings } from './settings';

/** The Node binary and CLI for a folder (the setting is per folder). */
export function nodeCommandFor(cliPath: string, folder: string): NodeCommand {
  const configured = readSettings(vscode.Uri.file(folder)).nodePath;
  return { nodePath: configured || findNode(), cliPath };
}

/** `node` from PATH when it exists there, else the extension host's own binary run as Node. */
function findNode(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, process.platform === 'win32' ? 'node.exe' : 'node');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // Keep looking.
    }
  }
  return process.execPath;
}
