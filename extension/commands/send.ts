/** What Reload Now, Full Restart and Rollback share: a request to the folder's master, or Start when none runs. */
import type { Services } from './context';
import { pickFolder } from './pick';
import { startMaster } from './start';

export type WorkersRequest = { type: 'reload'; reason: string } | { type: 'restart' } | { type: 'rollback' };

export async function sendToMaster(services: Services, arg: unknown, request: WorkersRequest): Promise<void> {
  const entry = await pickFolder(services.folders, arg);
  if (!entry) return;
  if (!entry.session.running) return startMaster(services, entry);
  entry.saves.cancel(); // this request covers the pending saves
  await entry.session.send(request);
}
