/**
 * The "VS Code executable" that `@vscode/test-electron`'s runTests starts where no desktop VS Code
 * can be downloaded: it takes runTests' arguments, starts code-server, opens the workbench in
 * headless Chromium with the smoke-test driver's payload (extensionDevelopmentPath,
 * extensionTestsPath), prints the browser console (the suite's output) and exits with the suite's
 * exit code, which the workbench reports through `codeAutomationExit`.
 * Bundled to dist-test/launcher.js (an executable with a shebang) by test/vscode/build.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import type { ConsoleMessage } from 'playwright-core';
import { launchBrowser, startCodeServer, waitForWorkbench, workbenchUrl } from './code-server';

interface LaunchArgs {
  folder?: string;
  extensionDevelopmentPath?: string;
  extensionTestsPath?: string;
  userDataDir?: string;
  extensionsDir?: string;
}

export function parseLaunchArgs(argv: string[]): LaunchArgs {
  const out: LaunchArgs = {};
  const named: Record<string, keyof LaunchArgs> = {
    '--extensionDevelopmentPath': 'extensionDevelopmentPath',
    '--extensionTestsPath': 'extensionTestsPath',
    '--user-data-dir': 'userDataDir',
    '--extensions-dir': 'extensionsDir',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (named[name]) out[named[name]] = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    else if (!arg.startsWith('-') && !out.folder) out.folder = arg;
    // Other desktop flags (--no-sandbox, --disable-updates, …) mean nothing to code-server.
  }
  return out;
}

/** A domain that never resolves: only code-server's forwarding serves its names. */
const FORWARD_DOMAIN = 'sr-forward.test';

/** The workbench's own noise, not the suite's output. */
const NOISE = /vsda|Failed to load resource|gallery as it is disabled|Creation of workbench contribution|AgentHost|Extension host \(Remote\) is (un)?responsive|Time limit reached when tokenizing/;

/**
 * Print one browser console message as the extension host printed it: the workbench forwards
 * `console.log(fmt, ...args)` as `('%c INFO', 'color: …', fmt, ...args)`.
 */
async function printConsole(msg: ConsoleMessage): Promise<void> {
  let args: unknown[] = await Promise.all(msg.args().map((a) => a.jsonValue().catch(() => String(a))));
  if (!args.length) args = [msg.text()];
  if (typeof args[0] === 'string' && args[0].startsWith('%c')) {
    const level = args[0].slice(2).trim();
    args = args.slice(2);
    if (level && level !== 'INFO' && typeof args[0] === 'string') args[0] = `${level} ${args[0]}`;
  }
  const line = util.format(...args);
  if (NOISE.test(line)) return;
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<number> {
  const args = parseLaunchArgs(process.argv.slice(2));
  if (!args.folder || !args.extensionDevelopmentPath) {
    process.stderr.write('launcher: need a folder and --extensionDevelopmentPath\n');
    return 64;
  }
  const runDir = process.env.SMOOTH_RELOAD_VSCODE_RUN_DIR ?? path.join(path.dirname(path.resolve(args.userDataDir ?? 'vscode-run/user-data')), 'run');
  fs.mkdirSync(runDir, { recursive: true });
  const timeoutMs = Number(process.env.SMOOTH_RELOAD_VSCODE_TIMEOUT_MS ?? 300_000);
  const started = Date.now();
  const server = await startCodeServer({
    runDir,
    ...(args.userDataDir ? { userDataDir: args.userDataDir } : {}),
    ...(args.extensionsDir ? { extensionsDir: args.extensionsDir } : {}),
    // The suites open the app through this forwarding, as on a remote host (docs/extension.md).
    proxyDomain: FORWARD_DOMAIN,
  });
  process.stdout.write(`launcher: code-server on ${server.origin} (${Date.now() - started} ms)\n`);
  const context = await launchBrowser(path.join(runDir, 'chromium-profile'));
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    let finish: (code: number) => void = () => undefined;
    const exitCode = new Promise<number>((resolve) => (finish = resolve));
    await page.exposeFunction('codeAutomationExit', (code: number) => finish(Number(code)));
    page.on('console', (msg) => void printConsole(msg));
    page.on('pageerror', (err) => process.stderr.write(`launcher: page error: ${err.message}\n`));
    await page.goto(workbenchUrl(server, path.resolve(args.folder), { extensionDevelopmentPath: path.resolve(args.extensionDevelopmentPath), ...(args.extensionTestsPath ? { extensionTestsPath: path.resolve(args.extensionTestsPath) } : {}) }), { waitUntil: 'domcontentloaded', timeout: 120_000 });
    await waitForWorkbench(page);
    process.stdout.write(`launcher: workbench loaded (${Date.now() - started} ms)\n`);
    const timer = setTimeout(() => {
      process.stderr.write(`launcher: the suite did not finish within ${timeoutMs} ms\n`);
      finish(124);
    }, timeoutMs);
    const code = await exitCode;
    clearTimeout(timer);
    if (code !== 0) fs.writeFileSync(path.join(runDir, 'last-failure.png'), await page.screenshot().catch(() => Buffer.alloc(0)));
    return code;
  } finally {
    await context.close().catch(() => undefined);
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`launcher: ${err.stack ?? err}\n`);
    process.exit(1);
  },
);
