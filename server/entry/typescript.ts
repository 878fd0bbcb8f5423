/**
 * TypeScript entries with no flags: how the workers' Node runs a `.ts` entry when the config and
 * the command line give no loader of their own. In order:
 *  1. tsx from the project's node_modules (or a parent's): `--import tsx`, a preload warm
 *     standbys keep (it compiles files when the app loads them, after the save);
 *  2. the Node that runs the workers strips types itself (Node 22.18+, 23.6+): no flag; older
 *     Node 22 and 23 that have the flag: `--experimental-strip-types`;
 *  3. otherwise an error that says what to install.
 * The decision is pure (`chooseTypeScriptRunner`); `probeTypeScript` gathers its facts.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';

export const TS_ENTRY = /\.(c|m)?ts$/;

/** Node flags that already say how to load TypeScript (or any preload): then nothing is added. */
const LOADER_FLAGS = ['--import', '--require', '-r', '--loader', '--experimental-loader', '--experimental-strip-types', '--experimental-transform-types', '--no-experimental-strip-types'];

export function hasLoaderFlag(args: readonly string[]): boolean {
  return args.some((a) => LOADER_FLAGS.includes(a.split('=')[0]));
}

export interface TypeScriptFacts {
  /** tsx's folder when the project (or a parent folder) has it installed. */
  tsxDir: string | undefined;
  /** The workers' Node: its version and `process.features.typescript` ("strip", "transform", or false/undefined). */
  nodeVersion: string;
  nodeTypeScript: string | undefined;
  /** Whether that Node accepts --experimental-strip-types (Node 22.6+). */
  nodeHasStripFlag: boolean;
}

export type TypeScriptRunner =
  | { ok: true; nodeArgs: string[]; how: string }
  | { ok: false; message: string };

export function chooseTypeScriptRunner(entry: string, nodePath: string, facts: TypeScriptFacts): TypeScriptRunner {
  if (facts.tsxDir) return { ok: true, nodeArgs: ['--import', 'tsx'], how: `tsx from ${facts.tsxDir}` };
  if (facts.nodeTypeScript === 'strip' || facts.nodeTypeScript === 'transform') return { ok: true, nodeArgs: [], how: `Node ${facts.nodeVersion}'s own type stripping` };
  if (facts.nodeHasStripFlag) return { ok: true, nodeArgs: ['--experimental-strip-types'], how: `Node ${facts.nodeVersion}'s --experimental-strip-types` };
  return {
    ok: false,
    message:
      `${entry} is TypeScript and ${nodePath} (Node ${facts.nodeVersion}) cannot run it: install tsx in the project ` +
      `(npm install --save-dev tsx), or run the workers on Node 22.18 or later, which strips types itself ("nodePath"), ` +
      `or name your own loader in "nodeArgs" (for example ["--import", "tsx"])`,
  };
}

/** The facts, from the disk and one run of the workers' Node (about 40 ms, only for .ts entries without a loader flag). */
export function probeTypeScript(cwd: string, nodePath: string): TypeScriptFacts {
  let tsxDir: string | undefined;
  try {
    tsxDir = path.dirname(createRequire(path.join(cwd, 'package.json')).resolve('tsx/package.json'));
  } catch {
    tsxDir = undefined;
  }
  const run = (args: string[]) => spawnSync(nodePath, args, { encoding: 'utf8', timeout: 10_000, env: { ...process.env, NODE_OPTIONS: '' } });
  const probe = run(['-p', 'process.version + " " + String((process.features && process.features.typescript) || "")']);
  const [nodeVersion = 'unknown', nodeTypeScript = ''] = (probe.stdout ?? '').trim().split(' ');
  const major = Number(/^v(\d+)/.exec(nodeVersion)?.[1] ?? 0);
  const nodeHasStripFlag = !nodeTypeScript && major >= 22 && run(['--experimental-strip-types', '-e', '0']).status === 0;
  return { tsxDir, nodeVersion, nodeTypeScript: nodeTypeScript || undefined, nodeHasStripFlag };
}
