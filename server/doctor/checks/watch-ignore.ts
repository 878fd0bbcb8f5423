/**
 * SR_WATCH_IGNORES_LOADED: a file the app loads is one the watcher does not see: a "watch.ignore"
 * glob hides it, or it lies outside "watch.paths". Saving it reloads nothing.
 */
import * as path from 'node:path';
import picomatch from 'picomatch';
import type { Finding } from '../../protocol';
import type { Facts } from '../facts';
import { finding, locateJsonValue } from '../finding';
import { loadGraph } from './load-graph';
import { watchScope } from './watch-scope';

const LISTED = 3;

export function checkWatchIgnore(facts: Facts): Finding[] {
  const config = facts.config;
  const scope = watchScope(facts);
  if (!config || !scope.enabled) return [];
  const hidden = loadGraph(facts).filter((f) => !scope.covers(f) && !f.split(path.sep).includes('node_modules'));
  if (!hidden.length) return [];
  const rel = (f: string) => path.relative(facts.dir, f).split(path.sep).join('/');
  const byPattern = new Map<string, string[]>();
  const outside: string[] = [];
  for (const file of hidden) {
    const pattern = scope.ignore.find((g) => picomatch(g, { dot: true })(rel(file)) || picomatch(g, { dot: true })(file));
    if (pattern) byPattern.set(pattern, [...(byPattern.get(pattern) ?? []), file]);
    else outside.push(file);
  }
  const list = (files: string[]) => `${files.slice(0, LISTED).map(rel).join(', ')}${files.length > LISTED ? ` and ${files.length - LISTED} more` : ''}`;
  const out: Finding[] = [];
  for (const [pattern, files] of byPattern) {
    out.push(
      finding(
        'SR_WATCH_IGNORES_LOADED',
        'warning',
        `"watch.ignore" pattern "${pattern}" hides ${list(files)}, which the app loads: saving ${files.length > 1 ? 'them' : 'it'} reloads nothing`,
        `narrow the pattern so it no longer matches ${files.length > 1 ? 'these files' : 'this file'}, or remove it from "watch.ignore"`,
        config.configFile ? { file: config.configFile, ...(locateJsonValue(facts.configText, 'ignore', pattern) ?? {}) } : {},
        files.slice(0, LISTED).map((f) => ({ file: f, message: 'loaded by the app, but not watched' })),
      ),
    );
  }
  // Files the default ignores hide (node_modules, .git) are not the app's own source.
  const mine = outside.filter((f) => scope.classify(f) !== 'ignored' || !scope.roots.some((r) => f.startsWith(r + path.sep)));
  // A watch path that does not exist is SR_WATCH_NO_MATCH's finding; the files it misses are its symptom.
  const rootsExist = scope.roots.every((r) => facts.files.some((f) => f.abs === r));
  if (mine.length && rootsExist) {
    out.push(
      finding(
        'SR_WATCH_IGNORES_LOADED',
        'warning',
        `the app loads ${list(mine)}, outside "watch.paths" (${config.watch.paths.join(', ')}): saving ${mine.length > 1 ? 'them' : 'it'} reloads nothing`,
        `add the folder to "watch.paths" (for example "${path.dirname(rel(mine[0])) || '.'}")`,
        config.configFile ? { file: config.configFile, ...(locateJsonValue(facts.configText, 'paths') ?? {}) } : {},
        mine.slice(0, LISTED).map((f) => ({ file: f, message: 'loaded by the app, but not watched' })),
      ),
    );
  }
  return out;
}
