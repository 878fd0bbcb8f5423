/** Smooth Reload: Show Output — the "Smooth Reload" output channel. */
import type { Log } from './context';

export function showOutput(log: Log): void {
  log.show();
}
