/** PHP's own account of its configuration: the ini files `php --ini` lists, and `php -m`. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { PhpFacts } from './types';

/** The ini files in load order, from `php --ini` output (the main php.ini, then the scanned ones). */
export function parsePhpIni(output: string): string[] {
  const files: string[] = [];
  const loaded = /^Loaded Configuration File:\s*(.+)$/m.exec(output);
  if (loaded && !/\(none\)/.test(loaded[1])) files.push(loaded[1].trim());
  const at = output.indexOf('Additional .ini files parsed:');
  const extra = at < 0 ? '' : output.slice(at + 'Additional .ini files parsed:'.length).split(/\n\s*\n/)[0].trim();
  if (extra && !extra.startsWith('(none)')) {
    for (const part of extra.split(',')) {
      const file = part.trim();
      if (file) files.push(file);
    }
  }
  return files;
}

/** Undefined when php is not installed (or does not answer within a few seconds). */
export function phpFacts(cwd: string, php = 'php'): PhpFacts | undefined {
  const run = (args: string[]) => spawnSync(php, args, { cwd, encoding: 'utf8', timeout: 5000, env: process.env });
  const ini = run(['--ini']);
  if (ini.error || ini.status !== 0) return undefined;
  const iniFiles: PhpFacts['iniFiles'] = [];
  for (const file of parsePhpIni(ini.stdout)) {
    try {
      iniFiles.push({ path: file, text: fs.readFileSync(file, 'utf8') });
    } catch {
      // Listed but unreadable: PHP could not read it either.
    }
  }
  const m = run(['-m']);
  const modules = m.status === 0 ? m.stdout.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('[')) : [];
  return { iniFiles, modules };
}
