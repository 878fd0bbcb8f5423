/** Smooth Reload: Stop — stop a running master (SIGTERM for one we started, a `stop` request for an attached one). */
import type { Services } from './context';
import { pickFolder } from './pick';

export async function stop({ folders, log }: Pick<Services, 'folders' | 'log'>, arg: unknown): Promise<void> {
  const entry = await pickFolder(folders, arg, true);
  if (!entry) return;
  entry.saves.cancel();
  await entry.session.stop();
  log.info(`${entry.session.folderName}: stopped the master`);
}
