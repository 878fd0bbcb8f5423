// Bundles dist/: the extension (vscode external), the CLI with the master, and the two files
// that run inside workers. The server bundles have no `vscode` external, so a stray import of
// vscode from server/ fails this build.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const watch = process.argv.includes('--watch');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  define: { __SMOOTH_RELOAD_VERSION__: JSON.stringify(pkg.version) },
  legalComments: 'none',
};
const entries = [
  { entryPoints: { cli: 'server/cli/index.ts' } },
  { entryPoints: { bootstrap: 'server/runners/node-bootstrap.ts', 'worker-shim': 'server/runners/worker-shim.ts', standby: 'server/runners/standby-main.ts' } },
  { entryPoints: { extension: 'extension/extension.ts' }, external: ['vscode'], optional: true },
];
const { existsSync } = await import('node:fs');
for (const { optional, ...entry } of entries) {
  const files = Object.values(entry.entryPoints);
  if (optional && !files.every((f) => existsSync(f))) continue;
  await build({ ...common, ...entry, outdir: 'dist' });
}
if (watch) console.log('watch mode is not supported; re-run npm run build');
