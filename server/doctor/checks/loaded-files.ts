/**
 * SR_STALE_CODE (runtime): a worker compiled a file whose content is not what is on disk now.
 * Workers report each file they compiled with the sha1 of the compiled text; right after a reload
 * these must match the files on disk, or the worker runs code that the save did not reach (a build
 * or generator that rewrote the file after the worker loaded it, a cache in front of the file).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Finding } from '../../protocol';
import { finding } from '../finding';

/** Contents on disk now, or undefined when the file is gone or unreadable. */
export type ReadFile = (file: string) => string | Buffer | undefined;

export interface LoadedFilesOptions {
  /** Shown in the message ("worker 3 (pid 1234)"). */
  worker?: string;
  /**
   * Files whose compiled text is a transform of the file on disk (TypeScript through tsx, say), so
   * their hash never matches. By default only plain .js/.cjs files are compared.
   */
  comparable?: (file: string) => boolean;
}

const sha1 = (data: string | Buffer) => crypto.createHash('sha1').update(data).digest('hex');
const PLAIN = /\.(c?js)$/;
const MAX_FINDINGS = 10;

export function checkLoadedFiles(files: { file: string; sha1: string }[], readFile: ReadFile, options: LoadedFilesOptions = {}): Finding[] {
  const comparable = options.comparable ?? ((f: string) => PLAIN.test(f));
  const stale: string[] = [];
  for (const { file, sha1: loaded } of files) {
    if (!comparable(file) || !path.isAbsolute(file)) continue;
    const disk = readFile(file);
    if (disk === undefined) continue;
    const text = typeof disk === 'string' ? disk : disk.toString('utf8');
    // Node strips a byte-order mark before it compiles; the hash may be of either form.
    if (loaded === sha1(disk) || loaded === sha1(text) || loaded === sha1(text.replace(/^\uFEFF/, ''))) continue;
    stale.push(file);
  }
  const who = options.worker ?? 'a worker';
  return stale.slice(0, MAX_FINDINGS).map((file) =>
    finding(
      'SR_STALE_CODE',
      'warning',
      `${who} runs a different version of ${path.basename(file)} than the one on disk: the file changed after the worker loaded it${stale.length > MAX_FINDINGS ? ` (${stale.length} files in all)` : ''}`,
      'save again (or run "smooth-reload reload") once whatever writes this file (a build, a code generator) has finished; if it keeps happening, make that step finish before the reload, or add its output to "restartOn"',
      { file, line: 1 },
    ),
  );
}

/** The `ReadFile` the master uses: the file's bytes, or undefined when it is gone or unreadable. */
export function readIfPresent(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}
