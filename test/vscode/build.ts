/**
 * Bundles the VS Code test pieces into dist-test/: the suite that runs inside the extension host
 * (vscode and mocha stay external: the host provides one, node_modules the other) and the
 * launcher that runTests starts as its "VS Code executable".
 */
import { build } from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { REPO } from './workspace';

export const OUT = path.join(REPO, 'dist-test');

export { REPO };

export async function buildTests(): Promise<{ suiteIndex: string; multiRootIndex: string; debugIndex: string; launcher: string }> {
  const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: 'inline', logLevel: 'warning', absWorkingDir: REPO } as const;
  // Three suites: the main one (one folder), the multi-root one (a .code-workspace) and the
  // debugger one (Start with Debugger under VS Code's built-in JavaScript debugger).
  for (const suite of ['suite', 'multiroot', 'debug']) {
    const suiteDir = path.join(__dirname, suite);
    const tests = fs.readdirSync(suiteDir).filter((f) => f.endsWith('.ts'));
    await build({
      ...common,
      entryPoints: Object.fromEntries(tests.map((f) => [f.replace(/\.ts$/, ''), path.join(suiteDir, f)])),
      outdir: path.join(OUT, suite),
      external: ['vscode', 'mocha'],
    });
  }
  const launcher = path.join(OUT, 'launcher.js');
  await build({
    ...common,
    entryPoints: [path.join(__dirname, 'launcher.ts')],
    outfile: launcher,
    external: ['playwright-core'],
    banner: { js: '#!/usr/bin/env node' },
  });
  fs.chmodSync(launcher, 0o755);
  return { suiteIndex: path.join(OUT, 'suite', 'index.js'), multiRootIndex: path.join(OUT, 'multiroot', 'index.js'), debugIndex: path.join(OUT, 'debug', 'index.js'), launcher };
}
