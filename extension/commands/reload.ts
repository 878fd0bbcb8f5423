/** Smooth Reload: Reload Now — a rolling reload of every worker, whatever changed. */
import type { Services } from './context';
import { sendToMaster } from './send';

export function reload(services: Services, arg: unknown): Promise<void> {
  return sendToMaster(services, arg, { type: 'reload', reason: 'Reload Now (VS Code)' });
}
