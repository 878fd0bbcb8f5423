/**
 * `npm run test:vscode`: the extension's suite in a real VS Code through @vscode/test-electron's
 * runTests. Where a desktop VS Code can be downloaded (SMOOTH_RELOAD_VSCODE=download, or when
 * code-server is not installed) runTests downloads it; otherwise runTests starts our launcher
 * (dist-test/launcher.js), which runs the same suite in code-server + headless Chromium.
 * The workspace is a temporary copy of examples/hello with a smooth-reload.config.json.
 */
import { runTests } from '@vscode/test-electron';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildTests } from './build';
import { codeServerInstalled } from './code-server';
import { killLeftoverMaster, makeWorkspace, REPO } from './workspace';

async function main(): Promise<number> {
  const { suiteIndex, launcher } = await buildTests();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'smooth-reload-vscode-'));
  const results = path.join(REPO, 'test-results');
  fs.mkdirSync(results, { recursive: true });
  const workspace = makeWorkspace(root);
  const download = process.env.SMOOTH_RELOAD_VSCODE === 'download' || !codeServerInstalled();
  process.stdout.write(`test:vscode: ${download ? 'downloading a desktop VS Code' : 'code-server (no desktop VS Code download here)'}; workspace ${workspace}\n`);
  let code = 0;
  try {
    await runTests({
      extensionDevelopmentPath: REPO,
      extensionTestsPath: suiteIndex,
      launchArgs: [workspace, `--user-data-dir=${path.join(root, 'user-data')}`, `--extensions-dir=${path.join(root, 'extensions')}`, '--disable-extensions'],
      extensionTestsEnv: { SMOOTH_RELOAD_METRICS_FILE: path.join(results, 'vscode-metrics.json'), SMOOTH_RELOAD_VSCODE_RUN_DIR: path.join(root, 'run') },
      ...(download ? {} : { vscodeExecutablePath: launcher }),
    });
  } catch (err) {
    process.stderr.write(`test:vscode: ${(err as Error).message}\n`);
    code = 1;
    const log = path.join(root, 'run', 'code-server.log');
    if (fs.existsSync(log)) fs.copyFileSync(log, path.join(results, 'vscode-code-server.log'));
    const shot = path.join(root, 'run', 'last-failure.png');
    if (fs.existsSync(shot)) fs.copyFileSync(shot, path.join(results, 'vscode-last-failure.png'));
  } finally {
    const leftover = await killLeftoverMaster(workspace);
    if (leftover) {
      process.stderr.write(`test:vscode: the master (pid ${leftover}) was still running after the suite; killed it\n`);
      code = 1;
    }
    fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`test:vscode: ${err.stack ?? err}\n`);
    process.exit(1);
  },
);
