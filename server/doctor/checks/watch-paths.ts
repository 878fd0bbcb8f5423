/**
 * SR_WATCH_NO_MATCH: a "watch.paths" entry that matches nothing: a glob (the watcher takes files
 * and folders, not globs), a path that does not exist, or a folder whose every file is ignored.
 */
import * as path from 'node:path';
import type { Finding } from '../../protocol';
import type { Facts } from '../facts';
import { finding, locateJsonValue } from '../finding';
import { watchScope } from './watch-scope';

const GLOB = /[*?[\]{}]/;

export function checkWatchPaths(facts: Facts): Finding[] {
  const config = facts.config;
  if (!config || !config.watch.enabled) return [];
  const scope = watchScope(facts);
  const out: Finding[] = [];
  for (const entry of config.watch.paths) {
    const abs = path.resolve(facts.dir, entry);
    const where = config.configFile ? { file: config.configFile, ...(locateJsonValue(facts.configText, 'paths', entry) ?? {}) } : {};
    const known = facts.files.find((f) => f.abs === abs);
    let problem: string | undefined;
    let severity: 'error' | 'warning' = 'error';
    let fix = `point "watch.paths" at folders or files that exist (for example "src"); use "watch.ignore" to leave files out`;
    if (GLOB.test(entry) && !known) {
      problem = `"watch.paths" entry "${entry}" is a glob, but watch paths are folders or files, so it matches nothing and saves there are not seen`;
      fix = `watch the folder instead (e.g. "${entry.split(/[*?[{]/)[0].replace(/\/$/, '') || '.'}") and leave out files with "watch.ignore"`;
    } else if (!known && !facts.truncated && walked(abs, facts.dir)) {
      problem = `"watch.paths" entry "${entry}" does not exist (${abs}), so nothing is watched there`;
    } else if (known?.isDir && !known.listError && !facts.files.some((f) => !f.isDir && f.abs.startsWith(abs + path.sep) && scope.covers(f.abs))) {
      severity = 'warning';
      problem = `"watch.paths" entry "${entry}" holds no file the watcher would report: every file in it is ignored${scope.ignore.length ? ' (by "watch.ignore" or the defaults)' : ''} or it is empty`;
    }
    if (problem) out.push(finding('SR_WATCH_NO_MATCH', severity, problem, fix, where));
  }
  return out;
}

/** Only paths the walk would have listed can be judged missing from the facts. */
function walked(abs: string, dir: string): boolean {
  return (abs === dir || abs.startsWith(dir + path.sep)) && !path.relative(dir, abs).split(path.sep).some((p) => ['node_modules', 'vendor', '.git', '.smooth-reload', '.venv', 'venv', '__pycache__'].includes(p));
}
