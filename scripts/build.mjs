// Bundles dist/: the extension (vscode external), the CLI with the master, and the three files
// that run inside workers (the bootstrap, the command shim, a warm standby's main). The server
// bundles have no `vscode` external, so a stray import of vscode from server/ fails this build.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const watch = process.argv.includes('--watch');
// zod bundles 64 translations of its messages (about 360 KB of the CLI); the master reports in
// English only, so every locale but `en` becomes an empty module (3 MB less master RSS at idle).
const onlyEnglishZod = {
  name: 'only-english-zod',
  setup(b) {
    b.onLoad({ filter: /zod.v4.locales.[a-zA-Z-]+\.js$/ }, (args) =>
      /[\\/](en|index)\.js$/.test(args.path) ? undefined : { contents: 'export default function () { return {}; }', loader: 'js' },
    );
  },
};
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  define: { __SMOOTH_RELOAD_VERSION__: JSON.stringify(pkg.version) },
  legalComments: 'none',
  plugins: [onlyEnglishZod],
};
const entries = [
  { entryPoints: { cli: 'server/cli/index.ts' } },
  { entryPoints: { bootstrap: 'server/runners/node-bootstrap.ts', 'worker-shim': 'server/runners/worker-shim.ts', standby: 'server/runners/standby-main.ts', 'make-cert': 'server/front/make-cert.ts' } },
  { entryPoints: { extension: 'extension/extension.ts' }, external: ['vscode'], optional: true },
];
const { existsSync } = await import('node:fs');
for (const { optional, ...entry } of entries) {
  const files = Object.values(entry.entryPoints);
  if (optional && !files.every((f) => existsSync(f))) continue;
  await build({ ...common, ...entry, outdir: 'dist' });
}
// dist/smooth-reload.config.schema.json (contributes.jsonValidation): the JSON schema of the config
// file, from the same zod schemas the master validates with (scripts/config-schema.ts).
{
  const { createRequire } = await import('node:module');
  const { writeFileSync } = await import('node:fs');
  const out = await build({ ...common, sourcemap: false, entryPoints: ['scripts/config-schema.ts'], write: false, outdir: 'dist' });
  const mod = { exports: {} };
  new Function('module', 'exports', 'require', out.outputFiles[0].text)(mod, mod.exports, createRequire(import.meta.url));
  const doc = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
  writeFileSync('dist/smooth-reload.config.schema.json', JSON.stringify(mod.exports.configJsonSchema(doc), null, 2) + '\n');
}
if (watch) console.log('watch mode is not supported; re-run npm run build');
