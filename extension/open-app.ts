/**
 * The one way the extension opens an app in the browser. On a remote host (WSL, SSH, containers,
 * Codespaces, code-server) `http://localhost:PORT/` means nothing to the user's browser:
 * `asExternalUri` gives the address the port forwarding serves it at.
 */
import * as vscode from 'vscode';
import type { Log } from './commands/context';
import type { MasterSession } from './session';

/** One opening, for the test API. */
export interface OpenedApp {
  /** The master's own URL. */
  url: string;
  /** What asExternalUri returned for it: what the browser was given. */
  external: string;
}

export class AppOpener {
  private readonly history: OpenedApp[] = [];

  constructor(private readonly log: Log) {}

  get opened(): readonly OpenedApp[] {
    return this.history;
  }

  async open(session: MasterSession): Promise<void> {
    const url = session.snapshot().url;
    if (!url) return;
    const external = await vscode.env.asExternalUri(vscode.Uri.parse(url));
    const record: OpenedApp = { url, external: external.toString(true) };
    this.history.push(record);
    this.log.info(`${session.folderName}: opening ${record.external}`);
    await vscode.env.openExternal(external);
  }
}
