/** Smooth Reload: Show Workers — show and focus the "Smooth Reload Workers" view. */
import type { WorkersView } from '../workers-view';

export function showWorkers(view: Pick<WorkersView, 'show'>): Promise<void> {
  return view.show();
}
