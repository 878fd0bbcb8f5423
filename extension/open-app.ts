/**
 * The one way the extension opens an app in the browser. On a remote host (WSL, SSH, containers,
 * Codespaces, code-server) `http://localhost:PORT/` means nothing to the user's browser:
 * `asExternalUri` gives the address the port forwarding serves it at. Browsers send that
 * address's host as Host, which the master refuses unless allowed (DNS-rebinding protection),
 * so the master is told to allow it (`allow-host`) before the browser opens it.
 */
import * as vscode from 'vscode';
import { CONFIG_FILE_NAME } from '../server/config';
import { hostToAllow } from './forwarded-host';
import type { Log } from './commands/context';
import type { MasterSession } from './session';

/** One opening, for the test API. */
export interface OpenedApp {
  /** The master's own URL. */
  url: string;
  /** What asExternalUri returned for it: what the browser was given. */
  external: string;
  /** The Host the master was asked to allow, when the external address differs. */
  allowedHost?: string;
  /** The host names the master allowed after that request (true: any). */
  allowedHosts?: string[] | true;
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
    const local = vscode.Uri.parse(url);
    const external = await vscode.env.asExternalUri(local).then(undefined, (err: Error) => {
      this.log.warn(`${session.folderName}: VS Code gave no forwarded address for ${url} (${err.message}); opening it as is`);
      return local;
    });
    const record: OpenedApp = { url, external: external.toString(true) };
    const host = hostToAllow(url, record.external);
    if (host) {
      try {
        record.allowedHosts = await session.allowHost(host);
        record.allowedHost = host;
        this.log.info(`${session.folderName}: the app is forwarded to ${record.external}; the master now answers Host ${host}`);
      } catch (err) {
        // Open anyway: a master of an older version, or one that refuses, still serves localhost.
        this.log.warn(`${session.folderName}: the master did not allow Host ${host} (${(err as Error).message}); if the browser gets 403, add "${host}" to "allowedHosts" in ${CONFIG_FILE_NAME}`);
      }
    }
    this.history.push(record);
    this.log.info(`${session.folderName}: opening ${record.external}`);
    await vscode.env.openExternal(external);
  }
}
