/** Smooth Reload: Refresh Workers (the Workers view's title button) — ask every running master for its status now. */
import type { WorkersView } from '../workers-view';

export function refreshWorkers(view: Pick<WorkersView, 'pollNow'>): Promise<void> {
  return view.pollNow();
}
