/** What the watcher covers, as the master's watcher would see it (shared by the watch checks). */
import * as path from 'node:path';
import { createClassifier, type Classifier } from '../../watch/classify';
import type { Facts, FileFact } from '../facts';

export interface WatchScope {
  roots: string[];
  ignore: string[];
  usePolling: boolean;
  enabled: boolean;
  classify: Classifier;
  /** True when the watcher would see changes to this path. */
  covers(abs: string): boolean;
  /** Files and folders the watcher would watch. */
  watched: FileFact[];
}

export function watchScope(facts: Facts): WatchScope {
  const w = facts.config?.watch;
  const roots = (w?.paths ?? ['.']).map((p) => path.resolve(facts.dir, p));
  const ignore = w?.ignore ?? [];
  const classify = createClassifier({ cwd: facts.dir, ignore, staticDirs: [], restartOn: [] });
  const under = (abs: string) => roots.some((r) => abs === r || abs.startsWith(r + path.sep));
  const covers = (abs: string) => under(abs) && (roots.includes(abs) || classify(abs) !== 'ignored');
  return { roots, ignore, usePolling: w?.usePolling ?? false, enabled: w?.enabled ?? true, classify, covers, watched: facts.files.filter((f) => covers(f.abs)) };
}
