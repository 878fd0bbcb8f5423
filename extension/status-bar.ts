/** The status-bar item (id `reload`): renders a SessionSnapshot through statusView(). */
import * as vscode from 'vscode';
import { OPEN_APP_COMMAND, openAppLink, statusView, type SessionSnapshot, type StatusView } from './status-view';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('reload', vscode.StatusBarAlignment.Left, 50);
  private current: StatusView | undefined;

  constructor() {
    this.item.name = 'Smooth Reload';
    this.item.show();
  }

  /** `folder`: the workspace folder the snapshot is of, for the click and the tooltip's app link. */
  render(snapshot: SessionSnapshot | undefined, folder: string | undefined): void {
    const view = statusView(snapshot, Date.now(), folder ? openAppLink(folder) : undefined);
    this.current = view;
    this.item.text = view.text;
    const tooltip = new vscode.MarkdownString(view.tooltip, true);
    // The URL's link runs Open in Browser; no other command can run from the tooltip.
    tooltip.isTrusted = { enabledCommands: [OPEN_APP_COMMAND] };
    this.item.tooltip = tooltip;
    this.item.backgroundColor = view.background ? new vscode.ThemeColor(`statusBarItem.${view.background}Background`) : undefined;
    this.item.command = { title: view.command === 'smooth-reload.start' ? 'Start' : 'Reload Now', command: view.command, arguments: folder ? [vscode.Uri.file(folder)] : [] };
  }

  get view(): StatusView | undefined {
    return this.current;
  }

  dispose(): void {
    this.item.dispose();
  }
}
