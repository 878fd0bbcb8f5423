/**
 * `npx tsx bench/debug.ts`: Start with Debugger next to Start, in a real VS Code (code-server and
 * headless Chromium, as `npm run test:vscode`), driven from inside its extension host
 * (test/vscode/debug-bench/index.ts): command → the app's first response, and save in the editor
 * → first response of the new code, on the debugger suite's app (two workers) with a breakpoint
 * set while debugging. Needs `npm run build` first and the tools of test/vscode/code-server.ts.
 *
 *   npx tsx bench/debug.ts [--starts 3] [--saves 5]
 */
import { runTests } from '@vscode/test-electron';
import { build } from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median, percentile } from './analysis';
import { buildTests, OUT } from '../test/vscode/build';
import { codeServerInstalled } from '../test/vscode/code-server';
import { killLeftoverMaster, makeDebugWorkspace, REPO } from '../test/vscode/workspace';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  if (!codeServerInstalled()) throw new Error('code-server is not installed (see /work/shared/real-vscode.md and test/vscode/code-server.ts)');
  const { launcher } = await buildTests();
  const index = path.join(OUT, 'debug-bench', 'index.js');
  await build({ bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning', absWorkingDir: REPO, entryPoints: [path.join(REPO, 'test', 'vscode', 'debug-bench', 'index.ts')], outfile: index, external: ['vscode'] });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'smooth-reload-debug-bench-'));
  const workspace = makeDebugWorkspace(path.join(root, 'app'));
  const metricsFile = path.join(root, 'metrics.json');
  try {
    await runTests({
      extensionDevelopmentPath: REPO,
      extensionTestsPath: index,
      launchArgs: [workspace, `--user-data-dir=${path.join(root, 'user-data')}`, `--extensions-dir=${path.join(root, 'extensions')}`],
      extensionTestsEnv: { SMOOTH_RELOAD_METRICS_FILE: metricsFile, SMOOTH_RELOAD_VSCODE_RUN_DIR: path.join(root, 'run'), SMOOTH_RELOAD_BENCH_STARTS: String(arg('starts', 3)), SMOOTH_RELOAD_BENCH_SAVES: String(arg('saves', 5)) },
      vscodeExecutablePath: launcher,
    });
    const { samples, vscode } = JSON.parse(fs.readFileSync(metricsFile, 'utf8')) as { vscode: string; samples: Record<string, { startMs: number[]; saveMs: number[]; reloadMs: number[]; standby: string[] }> };
    const row = (mode: string, what: 'startMs' | 'saveMs' | 'reloadMs') => {
      const xs = samples[mode][what];
      return `${String(Math.round(median(xs) ?? NaN)).padStart(6)} ms median, p90 ${Math.round(percentile(xs, 90) ?? NaN)} ms (n=${xs.length})`;
    };
    process.stdout.write(`VS Code ${vscode} (code-server), ${os.cpus().length} CPUs, app of the debugger suite (2 workers)\n`);
    process.stdout.write(`                             Start                                 Start with Debugger\n`);
    process.stdout.write(`command → first response  ${row('plain', 'startMs')}   ${row('debugger', 'startMs')}\n`);
    process.stdout.write(`save → new code           ${row('plain', 'saveMs')}   ${row('debugger', 'saveMs')}\n`);
    process.stdout.write(`  of which the reload     ${row('plain', 'reloadMs')}   ${row('debugger', 'reloadMs')}\n`);
    process.stdout.write(`standbys: Start ${samples.plain.standby.join('; ')} | Start with Debugger ${samples.debugger.standby.join('; ')}\n`);
  } finally {
    await killLeftoverMaster(workspace);
    fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench/debug: ${err.stack ?? err}\n`);
  process.exit(1);
});
