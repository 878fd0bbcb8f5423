/** Smooth Reload: Rollback to Previous Code — back to the previous generation's code snapshot. */
import type { Services } from './context';
import { sendToMaster } from './send';

export function rollback(services: Services, arg: unknown): Promise<void> {
  return sendToMaster(services, arg, { type: 'rollback' });
}
