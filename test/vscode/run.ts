/**
 * `npm run test:vscode`: the extension's suite in a real VS Code through @vscode/test-electron's
 * runTests. Where a desktop VS Code can be downloaded (SMOOTH_RELOAD_VSCODE=download, or when
 * code-server is not installed) runTests downloads it; otherwise runTests starts our launcher
 * (dist-test/launcher.js), which runs the same suite in code-server + headless Chromium.
 * Two runs: the main suite on a temporary copy of examples/hello with a smooth-reload.config.json,
 * the multi-root suite on a .code-workspace of three folders, and the debugger suite on an app with
 * a breakpoint route (SMOOTH_RELOAD_VSCODE_SUITE=main, multi-root or debug runs one).
 */
import { runTests } from '@vscode/test-electron';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildTests } from './build';
import { codeServerInstalled } from './code-server';
import { killLeftoverMaster, makeDebugWorkspace, makeMultiRootWorkspace, makeWorkspace, REPO } from './workspace';

async function main(): Promise<number> {
  const { suiteIndex, multiRootIndex, debugIndex, launcher } = await buildTests();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'smooth-reload-vscode-'));
  const results = path.join(REPO, 'test-results');
  fs.mkdirSync(results, { recursive: true });
  const workspace = makeWorkspace(root);
  const download = process.env.SMOOTH_RELOAD_VSCODE === 'download' || !codeServerInstalled();
  process.stdout.write(`test:vscode: ${download ? 'downloading a desktop VS Code' : 'code-server (no desktop VS Code download here)'}; workspace ${workspace}\n`);
  let code = 0;
  const multi = makeMultiRootWorkspace(path.join(root, 'multi'));
  const debugWs = makeDebugWorkspace(path.join(root, 'debug-ws'));
  const runs = [
    { name: 'main', workspace, tests: suiteIndex, folders: [workspace] },
    { name: 'multi-root', workspace: multi.file, tests: multiRootIndex, folders: multi.folders },
    { name: 'debug', workspace: debugWs, tests: debugIndex, folders: [debugWs] },
  ];
  for (const run of runs) {
    if (process.env.SMOOTH_RELOAD_VSCODE_SUITE && process.env.SMOOTH_RELOAD_VSCODE_SUITE !== run.name) continue;
    const dataDir = path.join(root, run.name);
    try {
      await runTests({
        extensionDevelopmentPath: REPO,
        extensionTestsPath: run.tests,
        launchArgs: [run.workspace, `--user-data-dir=${path.join(dataDir, 'user-data')}`, `--extensions-dir=${path.join(dataDir, 'extensions')}`, '--disable-extensions'],
        extensionTestsEnv: { SMOOTH_RELOAD_METRICS_FILE: path.join(results, run.name === 'main' ? 'vscode-metrics.json' : `vscode-${run.name}-metrics.json`), SMOOTH_RELOAD_VSCODE_RUN_DIR: path.join(dataDir, 'run') },
        ...(download ? {} : { vscodeExecutablePath: launcher }),
      });
    } catch (err) {
      process.stderr.write(`test:vscode (${run.name}): ${(err as Error).message}\n`);
      code = 1;
      const log = path.join(dataDir, 'run', 'code-server.log');
      if (fs.existsSync(log)) fs.copyFileSync(log, path.join(results, `vscode-${run.name}-code-server.log`));
      const shot = path.join(dataDir, 'run', 'last-failure.png');
      if (fs.existsSync(shot)) fs.copyFileSync(shot, path.join(results, `vscode-${run.name}-last-failure.png`));
    } finally {
      for (const folder of run.folders) {
        const leftover = await killLeftoverMaster(folder);
        if (leftover) {
          process.stderr.write(`test:vscode (${run.name}): the master of ${folder} (pid ${leftover}) was still running after the suite; killed it\n`);
          code = 1;
        }
      }
    }
  }
  fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`test:vscode: ${err.stack ?? err}\n`);
    process.exit(1);
  },
);
