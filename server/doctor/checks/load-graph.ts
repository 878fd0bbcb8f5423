/**
 * The project files an app loads, followed statically from where it starts: relative `require`,
 * `import … from`, `import()` and `export … from` in JavaScript/TypeScript, `require`/`include` of
 * literal paths (`__DIR__ . '/x.php'`) in PHP (both read from syntax trees, so one in a comment or
 * a string is not one), and `--require`/`--import` of project files in "nodeArgs".
 * Dynamic paths are not followed.
 */
import * as path from 'node:path';
import type { Facts } from '../facts';
import { moduleInfo } from '../js/module';
import { includePath, parsePhp, walkPhp } from '../php/ast';

const JS_EXT = ['', '.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.tsx', '.jsx', '.json', '/index.js', '/index.ts', '/index.mjs'];
const MAX_FILES = 5000;

/** The project file a relative specifier names (undefined for packages and files not in the project). */
export function resolveJs(facts: Facts, from: string, spec: string): string | undefined {
  if (!/^\.{1,2}(\/|$)/.test(spec)) return undefined;
  const base = path.resolve(path.dirname(from), spec);
  // TypeScript sources import './x.js' that is really './x.ts'.
  const candidates = [...JS_EXT.map((e) => base + e), base.replace(/\.(c|m)?js$/, '.$1ts')];
  return candidates.find((c) => facts.texts.has(c) || facts.files.some((f) => f.abs === c && !f.isDir));
}

/** Project files given to node with --require/-r/--import/--loader in "nodeArgs". */
export function preloadedFiles(facts: Facts): string[] {
  const args = facts.config?.nodeArgs ?? [];
  const out: string[] = [];
  args.forEach((arg, i) => {
    const m = /^(?:--require|-r|--import|--loader|--experimental-loader)(?:=(.+))?$/.exec(arg);
    if (!m) return;
    const value = m[1] ?? args[i + 1];
    if (!value || !/^\.{0,2}\//.test(value)) return;
    const abs = path.resolve(facts.dir, value);
    if (facts.files.some((f) => f.abs === abs && !f.isDir)) out.push(abs);
  });
  return out;
}

export function loadGraph(facts: Facts): string[] {
  const seen = new Set<string>();
  const queue = [...facts.runs, ...preloadedFiles(facts)];
  while (queue.length && seen.size < MAX_FILES) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = facts.texts.get(file);
    if (!text) continue;
    if (file.endsWith('.php')) {
      const ast = parsePhp(file, text);
      if (ast) {
        walkPhp(ast, (node) => {
          const rel = node.kind === 'include' ? includePath(node.target as Parameters<typeof includePath>[0]) : undefined;
          if (!rel) return undefined;
          const abs = path.resolve(path.dirname(file), rel.replace(/^\//, ''));
          if (facts.files.some((f) => f.abs === abs)) queue.push(abs);
          return undefined;
        });
      }
    } else {
      for (const { source } of moduleInfo(file, text)?.specifiers ?? []) {
        const abs = resolveJs(facts, file, source);
        if (abs) queue.push(abs);
      }
    }
  }
  return [...seen];
}
