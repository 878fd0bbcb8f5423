#!/usr/bin/env node
// One .vsix per platform Smooth Reload runs on (`vsce package --target`), so the Marketplace
// offers none to Windows, where the master refuses to start (server/platform.ts). The bundles are
// the same JavaScript in each; the target only says where the extension may be installed.
//   node scripts/package-targets.mjs [--out DIR] [TARGET ...]   (npm run package:targets)
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TARGETS = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64'];

const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const out = path.resolve(outAt >= 0 ? args.splice(outAt, 2)[1] : path.join(REPO, 'dist-vsix'));
const targets = args.length ? args : TARGETS;
const refused = targets.filter((t) => !TARGETS.includes(t));
if (refused.length) {
  process.stderr.write(`package-targets: not a target Smooth Reload runs on: ${refused.join(', ')} (targets: ${TARGETS.join(', ')}; Windows users run it in WSL, which installs a linux-* build)\n`);
  process.exit(64);
}

const { version } = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
execFileSync(process.execPath, [path.join(REPO, 'scripts', 'build.mjs')], { cwd: REPO, stdio: 'inherit' });
fs.mkdirSync(out, { recursive: true });
const vsce = path.join(REPO, 'node_modules', '.bin', 'vsce');
for (const target of targets) {
  const file = path.join(out, `smooth-reload-${target}-${version}.vsix`);
  execFileSync(vsce, ['package', '--no-dependencies', '--allow-missing-repository', '--readme-path', 'docs/extension.md', '--target', target, '--out', file], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  process.stdout.write(`package-targets: ${path.relative(process.cwd(), file)}\n`);
}
