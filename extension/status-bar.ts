/** The status-bar item (id `reload`): renders a SessionSnapshot through statusView(). */
import * as vscode from 'vscode';
import { statusView, type SessionSnapshot, type StatusView } from './status-view';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('reload', vscode.StatusBarAlignment.Left, 50);
  private current: StatusView | undefined;

  constructor() {
    this.item.name = 'Smooth Reload';
    this.item.show();
  }

  render(snapshot: SessionSnapshot | undefined, folder: vscode.Uri | undefined): void {
    const view = statusView(snapshot);
    this.current = view;
    this.item.text = view.text;
    const tooltip = new vscode.MarkdownString(view.tooltip, true);
    tooltip.isTrusted = false;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = view.background ? new vscode.ThemeColor(`statusBarItem.${view.background}Background`) : undefined;
    this.item.command = { title: view.command === 'smooth-reload.start' ? 'Start' : 'Reload Now', command: view.command, arguments: folder ? [folder] : [] };
  }

  get view(): StatusView | undefined {
    return this.current;
  }

  dispose(): void {
    this.item.dispose();
  }
}
