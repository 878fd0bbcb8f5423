/** Facts about the project's files: a bounded walk with stat, and the text of source-like files. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileFact } from './types';

/** Never walked: dependencies and version control are not the app's own source. */
const SKIP = new Set(['node_modules', '.git', '.smooth-reload', 'vendor', '__pycache__', '.venv', 'venv']);
const TEXT = /\.(js|mjs|cjs|jsx|ts|mts|cts|tsx|json|map|php|py|ini|conf)$/i;
const MAX_ENTRIES = 50_000;
const MAX_TEXT_BYTES = 512 * 1024;
const MAX_TEXTS = 5_000;

function toFact(abs: string, rel: string, st: fs.Stats): FileFact {
  return { abs, rel, isDir: st.isDirectory(), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtimeMs: st.mtimeMs, size: st.size };
}

export function statFact(abs: string, dir: string): FileFact | undefined {
  try {
    return toFact(abs, path.relative(dir, abs).split(path.sep).join('/'), fs.lstatSync(abs));
  } catch {
    return undefined;
  }
}

/** Breadth-first walk of `dir` (symlinks are not followed). The root itself is the first fact. */
export function walkProject(dir: string): { files: FileFact[]; truncated: boolean } {
  const files: FileFact[] = [];
  const root = statFact(dir, dir);
  if (!root) return { files, truncated: false };
  files.push({ ...root, rel: '.' });
  const queue: FileFact[] = [files[0]];
  while (queue.length) {
    const folder = queue.shift()!;
    let names: string[];
    try {
      names = fs.readdirSync(folder.abs).sort();
    } catch (err) {
      folder.listError = (err as NodeJS.ErrnoException).code ?? 'EIO';
      continue;
    }
    for (const name of names) {
      if (SKIP.has(name)) continue;
      if (files.length >= MAX_ENTRIES) return { files, truncated: true };
      const abs = path.join(folder.abs, name);
      let st: fs.Stats;
      try {
        st = fs.lstatSync(abs);
      } catch {
        continue;
      }
      if (st.isSymbolicLink()) continue;
      const fact = toFact(abs, path.relative(dir, abs).split(path.sep).join('/'), st);
      files.push(fact);
      if (fact.isDir) queue.push(fact);
    }
  }
  return { files, truncated: false };
}

/** Read the source-like files the checks look into; unreadable ones are left out. */
export function readTexts(files: FileFact[], extra: string[]): Map<string, string> {
  const texts = new Map<string, string>();
  const wanted = files.filter((f) => !f.isDir && f.size <= MAX_TEXT_BYTES && TEXT.test(f.abs)).map((f) => f.abs);
  for (const abs of [...extra, ...wanted]) {
    if (texts.size >= MAX_TEXTS) break;
    if (texts.has(abs)) continue;
    try {
      texts.set(abs, fs.readFileSync(abs, 'utf8'));
    } catch {
      // Unreadable or gone: the permission checks report it from its mode.
    }
  }
  return texts;
}
