/**
 * The "Smooth Reload Workers" tree: per folder its master, under it each worker of the master's
 * last status reply (rows from workers-view-model.ts). Refreshed on the sessions' changes; while
 * the view is visible it also asks the running masters for their status every 2 s.
 */
import * as vscode from 'vscode';
import type { WorkerInfo } from '../server/protocol';
import type { MasterSession } from './session';
import { masterRow, workerRow, workersOf, type WorkersRow } from './workers-view-model';

export const WORKERS_VIEW_ID = 'smooth-reload.workers';
export const POLL_MS = 2000;

type Node = { kind: 'master'; session: MasterSession } | { kind: 'worker'; session: MasterSession; worker: WorkerInfo };

export class WorkersView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: vscode.TreeView<Node>;
  private readonly subscriptions: vscode.Disposable[] = [];
  private poll: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private disposed = false;

  constructor(private readonly sessions: () => MasterSession[]) {
    this.view = vscode.window.createTreeView(WORKERS_VIEW_ID, { treeDataProvider: this, showCollapseAll: false });
    this.subscriptions.push(this.view, this.changed, this.view.onDidChangeVisibility(() => this.syncPolling()));
    this.syncPolling();
  }

  get visible(): boolean {
    return this.view.visible;
  }

  /** Re-render soon: a burst of session changes (log events) is one tree refresh. */
  refresh(): void {
    if (this.disposed) return;
    this.pending ??= setTimeout(() => {
      this.pending = undefined;
      this.changed.fire();
    }, 50);
  }

  /** Ask every running master for its status now (the view's refresh button); the replies re-render. */
  pollNow(): Promise<void> {
    // One request per master at a time: a master slow to answer is not asked again meanwhile.
    this.polling ??= Promise.all(this.sessions().filter((s) => s.running).map((s) => s.refreshStatus()))
      .then(
        () => this.refresh(),
        () => undefined,
      )
      .finally(() => (this.polling = undefined));
    return this.polling;
  }

  private syncPolling(): void {
    if (this.view.visible && !this.poll) {
      this.poll = setInterval(() => void this.pollNow(), POLL_MS);
      void this.pollNow();
    } else if (!this.view.visible && this.poll) {
      clearInterval(this.poll);
      this.poll = undefined;
    }
  }

  getChildren(node?: Node): Node[] {
    if (!node) return this.sessions().map((session) => ({ kind: 'master', session }));
    if (node.kind === 'worker') return [];
    return workersOf(node.session.snapshot()).map((worker) => ({ kind: 'worker', session: node.session, worker }));
  }

  getTreeItem(node: Node): vscode.TreeItem {
    const row = this.row(node);
    const hasChildren = node.kind === 'master' && workersOf(node.session.snapshot()).length > 0;
    const item = new vscode.TreeItem(row.label, hasChildren ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    item.id = node.kind === 'master' ? `master:${node.session.folder}` : `worker:${node.session.folder}:${node.worker.id}:${node.worker.generation}`;
    item.description = row.description;
    item.tooltip = row.tooltip;
    item.iconPath = new vscode.ThemeIcon(row.icon);
    item.contextValue = node.kind === 'master' ? `master-${node.session.running ? 'running' : 'stopped'}` : 'worker';
    return item;
  }

  private row(node: Node): WorkersRow {
    return node.kind === 'master' ? masterRow(node.session.snapshot()) : workerRow(node.worker);
  }

  /** For the test API: the rows in tree order (masters, each followed by its workers). */
  rows(): { label: string; description?: string }[] {
    return this.getChildren()
      .flatMap((master) => [master, ...this.getChildren(master)])
      .map((n) => {
        const { label, description } = this.row(n);
        return { label, description };
      });
  }

  /** Show and focus the view. */
  async show(): Promise<void> {
    await vscode.commands.executeCommand(`${WORKERS_VIEW_ID}.focus`);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.poll) clearInterval(this.poll);
    if (this.pending) clearTimeout(this.pending);
    this.poll = this.pending = undefined;
    for (const d of this.subscriptions) d.dispose();
  }
}
