/** Zero-config start against the disk: the pure choices of discover.ts and typescript.ts, fed by a folder. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { discoverEntry, type EntryChoice, type EntryNotFound } from './discover';

export { discoverEntry, filesRunBy, type EntryChoice, type EntryNotFound } from './discover';
export { chooseTypeScriptRunner, hasLoaderFlag, probeTypeScript, TS_ENTRY, type TypeScriptFacts, type TypeScriptRunner } from './typescript';

/** Choose the entry of the project in `cwd` (see discover.ts for the order). */
export function discoverEntryIn(cwd: string): EntryChoice | EntryNotFound {
  let packageJson: string | undefined;
  try {
    packageJson = fs.readFileSync(path.join(cwd, 'package.json'), 'utf8');
  } catch {
    packageJson = undefined;
  }
  return discoverEntry({
    packageJson,
    isFile: (rel) => {
      try {
        return fs.statSync(path.resolve(cwd, rel)).isFile();
      } catch {
        return false;
      }
    },
  });
}
