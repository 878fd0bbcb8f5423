/**
 * SR_STALE_BUILD: the app runs compiled output (dist/, build/, out/, or tsconfig's outDir) and a
 * source file was saved after its compiled file was written, so a reload restarts old code.
 * Sources are found from the source map next to the compiled file (or inline), else by mirroring
 * tsconfig's rootDir onto outDir.
 */
import * as path from 'node:path';
import type { Finding } from '../../protocol';
import type { Facts, FileFact } from '../facts';
import { finding } from '../finding';
import { stripJsonComments } from '../source-scan';

const OUT_NAMES = ['dist', 'build', 'out'];
const COMPILED = /\.(c|m)?js$/;
/** Coarse file systems and a build that reads then writes: only a clear second counts. */
const TOLERANCE_MS = 1000;
const MAX_FINDINGS = 10;

interface TsDirs {
  outDir?: string;
  rootDir?: string;
}

/** tsconfig.json compilerOptions.outDir/rootDir (comments and trailing commas tolerated). */
export function tsDirs(facts: Facts): TsDirs {
  const text = facts.texts.get(path.join(facts.dir, 'tsconfig.json'));
  if (!text) return {};
  try {
    const json = JSON.parse(stripJsonComments(text)) as { compilerOptions?: TsDirs };
    const o = json.compilerOptions ?? {};
    return {
      ...(typeof o.outDir === 'string' ? { outDir: path.resolve(facts.dir, o.outDir) } : {}),
      ...(typeof o.rootDir === 'string' ? { rootDir: path.resolve(facts.dir, o.rootDir) } : {}),
    };
  } catch {
    return {};
  }
}

function inside(file: string, dir: string): boolean {
  return file.startsWith(dir + path.sep);
}

/** Sources a compiled file came from, by its source map (a .map file beside it, or inline). */
export function mapSources(facts: Facts, compiled: string): string[] {
  const code = facts.texts.get(compiled) ?? '';
  const url = /\/\/[#@] sourceMappingURL=(\S+)\s*$/.exec(code)?.[1];
  let mapText: string | undefined;
  let mapFile = `${compiled}.map`;
  if (url?.startsWith('data:')) {
    const b64 = /;base64,(.*)$/.exec(url)?.[1];
    mapText = b64 ? Buffer.from(b64, 'base64').toString('utf8') : undefined;
    mapFile = compiled;
  } else {
    if (url) mapFile = path.resolve(path.dirname(compiled), decodeURIComponent(url));
    mapText = facts.texts.get(mapFile);
  }
  if (!mapText) return [];
  try {
    const map = JSON.parse(mapText) as { sources?: unknown; sourceRoot?: unknown };
    if (!Array.isArray(map.sources)) return [];
    const root = typeof map.sourceRoot === 'string' ? map.sourceRoot : '';
    return map.sources
      .filter((s): s is string => typeof s === 'string' && !/^[a-z]+:/i.test(s))
      .map((s) => path.resolve(path.dirname(mapFile), root, s))
      .filter((s) => inside(s, facts.dir) && !s.includes(`${path.sep}node_modules${path.sep}`));
  } catch {
    return [];
  }
}

/** The TypeScript source mirrored from outDir onto rootDir (dist/a/b.js → src/a/b.ts). */
function mirroredSources(compiled: string, ts: TsDirs): string[] {
  if (!ts.outDir || !ts.rootDir || !inside(compiled, ts.outDir)) return [];
  const rel = path.relative(ts.outDir, compiled);
  const stem = path.join(ts.rootDir, rel.replace(COMPILED, ''));
  const ext = path.extname(compiled);
  return ext === '.mjs' ? [`${stem}.mts`] : ext === '.cjs' ? [`${stem}.cts`] : [`${stem}.ts`, `${stem}.tsx`];
}

export function checkStaleBuild(facts: Facts): Finding[] {
  const ts = tsDirs(facts);
  const outDirs = [...new Set([...(ts.outDir ? [ts.outDir] : []), ...OUT_NAMES.map((n) => path.join(facts.dir, n))])];
  // Only when the app actually runs compiled output: a dist/ nobody runs is not stale code.
  const running = outDirs.filter((d) => facts.runs.some((f) => inside(f, d)));
  if (!running.length) return [];
  const byPath = new Map<string, FileFact>(facts.files.map((f) => [f.abs, f]));
  const stale: { compiled: FileFact; source: FileFact }[] = [];
  for (const compiled of facts.files) {
    if (compiled.isDir || !COMPILED.test(compiled.abs) || !running.some((d) => inside(compiled.abs, d))) continue;
    let sources = mapSources(facts, compiled.abs);
    if (!sources.length) sources = mirroredSources(compiled.abs, ts);
    const newest = sources
      .map((s) => byPath.get(s))
      .filter((s): s is FileFact => !!s && !s.isDir && !running.some((d) => inside(s.abs, d)))
      .sort((a, b) => b.mtimeMs - a.mtimeMs)[0];
    if (newest && newest.mtimeMs > compiled.mtimeMs + TOLERANCE_MS) stale.push({ compiled, source: newest });
  }
  const build = buildCommand(facts);
  return stale.slice(0, MAX_FINDINGS).map(({ compiled, source }) => {
    const behind = Math.round((source.mtimeMs - compiled.mtimeMs) / 1000);
    return finding(
      'SR_STALE_BUILD',
      'warning',
      `${source.rel} was saved ${describeSeconds(behind)} after ${compiled.rel} was built; the app runs ${compiled.rel.split('/')[0]}/, so a reload restarts the old compiled code${stale.length > MAX_FINDINGS ? ` (${stale.length} stale files in all)` : ''}`,
      `rebuild (${build}), and keep the build running in watch mode next to Smooth Reload (for example "tsc --watch"); or run the source directly: set "entry" to the .ts file with "nodeArgs": ["--import", "tsx"]`,
      { file: source.abs, line: 1 },
      [{ file: compiled.abs, message: 'the compiled file the app runs' }],
    );
  });
}

function buildCommand(facts: Facts): string {
  const pkg = facts.texts.get(path.join(facts.dir, 'package.json'));
  try {
    if (pkg && typeof (JSON.parse(pkg) as { scripts?: { build?: unknown } }).scripts?.build === 'string') return '"npm run build"';
  } catch {
    // Broken package.json: npm reports that itself.
  }
  return 'for TypeScript, "npx tsc"';
}

function describeSeconds(s: number): string {
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}
