/** Smooth Reload: Full Restart — stop every worker, then start fresh ones (for changes a rolling reload cannot pick up). */
import type { Services } from './context';
import { sendToMaster } from './send';

export function restart(services: Services, arg: unknown): Promise<void> {
  return sendToMaster(services, arg, { type: 'restart' });
}
