/** Smooth Reload: Open in Browser — the running master's app, through the port forwarding when there is one (open-app.ts). */
import type { Services } from './context';
import { pickFolder } from './pick';

export async function openBrowser({ folders, openApp }: Pick<Services, 'folders' | 'openApp'>, arg: unknown): Promise<void> {
  const entry = await pickFolder(folders, arg, true);
  if (entry?.session.snapshot().url) await openApp(entry);
}
