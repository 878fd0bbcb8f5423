/**
 * `smooth-reload`: parses arguments and prints. No logic here that the extension would need;
 * each command is a thin call into the master, the control client or the doctor.
 */
// First: sets the master's V8 flags before the other modules load (see the file).
import './master-v8-flags';
import * as path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { ConfigInput } from '../config';
import { ControlClient, ControlError } from '../control/client';
import type { LogLevel } from '../logger';
import type { ChangeOutcome, MasterEvent, MasterStatus, ReloadResult } from '../protocol';
import { readStateFile } from '../state-file';
import { VERSION } from '../version';
import { UNSUPPORTED_PLATFORM_EXIT, unsupportedPlatformMessage } from '../platform';
import { CliFailure, EXIT } from './failure';
import { formatChangeOutcome, formatEvent, formatFinding, formatStatus, type Printer } from './format';
import { registerExtraCommands } from './extra';

export { EXIT };

/**
 * The master, its config and everything they bring (chokidar, the front, the doctor) load only
 * for `serve` (doctor and attach likewise load their own): the short client commands (`reload`,
 * `status`, …) start faster without them.
 */
function loadMaster() {
  // require(), not import(): the bundle is CommonJS, and esbuild turns these into lazy module inits.
  const { ConfigError, resolveConfig } = require('../config') as typeof import('../config');
  const { Master, MasterStartError } = require('../master') as typeof import('../master');
  const { Logger } = require('../logger') as typeof import('../logger');
  const { missingProcTools } = require('../procs') as typeof import('../procs');
  return { ConfigError, resolveConfig, Master, MasterStartError, Logger, missingProcTools };
}

function intArg(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}, not "${value}".`);
    return n;
  };
}

function hostsArg(value: string): string[] | true {
  if (value.trim() === 'all') return true;
  const hosts = value.split(',').map((h) => h.trim()).filter(Boolean);
  if (!hosts.length) throw new InvalidArgumentError('give host names separated by commas, e.g. --allowed-hosts my-app.test,.example.com (or "all")');
  return hosts;
}

export function buildProgram(out: Printer): Command {
  const program = new Command('smooth-reload')
    .description('Run your app in workers that reload smoothly when its code changes.')
    .version(VERSION)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.stdout(s), writeErr: (s) => out.stderr(s) });

  program
    .command('serve')
    .description('start the master: serve the app, reload its workers when files change')
    .argument('[entry]', 'the Node entry file (app.js, .mjs, .cjs, .ts); default: package.json "main", the file scripts.dev or scripts.start runs, or index/server/app')
    .option('--command <cmd>', 'run any other stack; the command must listen on $PORT')
    .option('-p, --port <n>', 'public port (0 picks a free one)', intArg('--port', 0, 65535))
    .option('--host <host>', 'address to listen on (loopback unless --allow-remote)')
    .option('--allow-remote', 'allow a non-loopback --host')
    .option('--allowed-hosts <hosts>', 'comma-separated host names answered besides localhost and IP literals (".example.com": a domain and its subdomains; "all": any)', hostsArg)
    .option('--debug', 'workers run under a debugger (VS Code\'s Start with Debugger passes it): a worker stopped at a breakpoint is never timed out or killed')
    .option('--inspect', 'each worker opens its own inspector on a free port (printed, and in "status --json"), for Chrome DevTools or another IDE; implies --debug')
    .option('--https', 'serve TLS with a self-signed certificate made for this project (or "https": {"key", "cert"} in the config file)')
    .option('-w, --workers <n>', 'number of workers', intArg('--workers', 1, 64))
    .option('--no-watch', 'do not watch files (an editor, "smooth-reload changed" or "smooth-reload reload" drives reloads)')
    .option('--ignore <glob...>', 'changes that reload nothing, added to "watch.ignore" (repeatable)')
    .option('--config <file>', 'config file (default: smooth-reload.config.json if present)')
    .option('--cwd <dir>', 'project folder', process.cwd())
    .option('--json', 'print events as JSON lines')
    .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']))
    .option('--node-arg <arg...>', 'extra node arguments for workers, e.g. --node-arg=--import=tsx')
    .option('--stop-on-hup', 'SIGHUP stops the master instead of reloading (a terminal or VS Code task that closes sends it)')
    .action(async (entry: string | undefined, opts) => {
      const unsupported = unsupportedPlatformMessage();
      if (unsupported) throw new CliFailure(unsupported, UNSUPPORTED_PLATFORM_EXIT);
      const overrides: ConfigInput = {
        entry,
        command: opts.command,
        port: opts.port,
        host: opts.host,
        allowRemote: opts.allowRemote,
        allowedHosts: opts.allowedHosts,
        ...(opts.https ? { https: true } : {}),
        ...(opts.debug || opts.inspect ? { debug: true } : {}),
        ...(opts.inspect ? { inspect: true } : {}),
        workers: opts.workers,
        logLevel: opts.logLevel,
        nodeArgs: opts.nodeArg,
        ...(opts.watch === false ? { watch: { enabled: false } } : {}),
      };
      const { ConfigError, resolveConfig, Master, MasterStartError, Logger, missingProcTools } = loadMaster();
      // Without /proc, ps and lsof find workers' children and ports: serve still runs without them, saying what it lacks.
      for (const missing of missingProcTools()) out.stderr(`smooth-reload: warning: ${missing.message}\n`);
      let config: ReturnType<typeof resolveConfig>;
      try {
        config = resolveConfig({ cwd: opts.cwd, configFile: opts.config, overrides, extraIgnore: opts.ignore, zeroConfig: true });
      } catch (err) {
        throw err instanceof ConfigError ? new CliFailure(err.message, EXIT.usage) : err;
      }
      const logger = new Logger(config.logLevel as LogLevel);
      const master = new Master({ config, logger, distDir: distDir(), handleSignals: true });
      if (opts.json) master.on('event', (e) => out.stdout(JSON.stringify(e) + '\n'));
      else {
        master.on('event', (e) => {
          const line = formatEvent(e, config.cwd);
          if (line) out.stdout(line + '\n');
        });
      }
      const runs = config.entry ? path.relative(config.cwd, path.resolve(config.cwd, config.entry)) : config.command;
      // Zero-config start: say which entry was chosen and why, and how a TypeScript entry runs.
      const dropped = config.entryDroppedFlags?.length ? `; not applied from that script: ${config.entryDroppedFlags.join(' ')} (put it in "nodeArgs" if the app needs it)` : '';
      if (opts.json) {
        if (config.entryReason || config.typescript) out.stdout(JSON.stringify({ kind: 'entry', entry: runs, ...(config.entryReason ? { reason: config.entryReason } : {}), ...(config.entryDroppedFlags ? { droppedFlags: config.entryDroppedFlags } : {}), ...(config.typescript ? { typescript: config.typescript } : {}) }) + '\n');
      } else {
        if (config.entryReason) out.stdout(`entry: ${runs}, from ${config.entryReason}${dropped}\n`);
        if (config.typescript) out.stdout(`TypeScript: ${runs} runs through ${config.typescript}\n`);
      }
      if (!opts.json) out.stdout(`Smooth Reload ${VERSION}: ${runs} with ${config.workers} worker${config.workers > 1 ? 's' : ''}${config.watch.enabled ? ', watching for changes' : ''}\n`);
      const { url, firstBoot } = await master.start().catch((err: unknown) => {
        throw err instanceof MasterStartError ? new CliFailure(err.message, EXIT.failed) : err;
      });
      if (opts.stopOnHup) {
        // The master reloads on SIGHUP like nginx; a closing terminal means "stop" instead.
        process.removeAllListeners('SIGHUP');
        process.on('SIGHUP', () => process.kill(process.pid, 'SIGTERM'));
      }
      if (opts.json) out.stdout(JSON.stringify({ kind: 'listening', url }) + '\n');
      else out.stdout(`  ➜ ${url}${firstBoot.ok ? '' : '  (first start failed: serving 503 until a save fixes it)'}\n`);
      // The master runs until a signal or a "stop" request; signal handlers exit the process.
      await new Promise(() => undefined);
    });

  const control = (name: string, description: string) =>
    program
      .command(name)
      .description(description)
      .option('--cwd <dir>', 'project folder of the running master', process.cwd())
      .option('--json', 'print the result as JSON');

  control('reload', 'roll every worker to the new code; exit 0 when done, 1 when rolled back, 2 when no master')
    .option('--no-wait', 'return once the master accepted the request')
    .action(async (opts) => reloadLike(out, opts, { type: 'reload', reason: 'smooth-reload reload', wait: opts.wait }));
  control('changed', 'tell the master these files changed (a build step, a script): it decides as for a change it saw itself')
    .argument('<files...>', 'changed files, relative to --cwd or absolute')
    .option('--no-wait', 'return once the master accepted the report')
    .action(async (files: string[], opts) => changed(out, opts, files));
  control('restart', 'stop every worker, then start fresh ones (for changes a rolling reload cannot pick up)')
    .action(async (opts) => reloadLike(out, opts, { type: 'restart' }));
  control('rollback', "run the previous generation's code again, from the copy its workers kept (your files stay as they are)")
    .action(async (opts) => reloadLike(out, opts, { type: 'rollback' }));
  control('status', 'show the master, its workers and findings')
    .option('--wait-settled', 'first wait until no reload, start, drain or crash restart is under way (exit 1 on timeout)')
    .option('--timeout-ms <n>', 'how long --wait-settled waits', intArg('--timeout-ms', 1, 3_600_000), 30_000)
    .action(async (opts) => {
      const status = await withClient(opts.cwd, (c) => (opts.waitSettled ? waitSettled(c, opts.timeoutMs) : c.request<MasterStatus>({ type: 'status' })));
      out.stdout(opts.json ? JSON.stringify(status) + '\n' : formatStatus(status, opts.cwd));
    });
  control('stop', 'stop the master gracefully (in-flight requests finish)').action(async (opts) => {
    const state = readStateFile(path.resolve(opts.cwd));
    await withClient(opts.cwd, async (c) => {
      const gone = new Promise<void>((resolve) => c.once('close', () => resolve()));
      await c.request({ type: 'stop' });
      await gone;
    });
    out.stdout(opts.json ? JSON.stringify({ stopped: true }) + '\n' : `stopped the master${state.ok ? ` (pid ${state.state.pid})` : ''}\n`);
  });

  registerExtraCommands(program, out);
  return program;
}

async function reloadLike(out: Printer, opts: { cwd: string; json?: boolean }, body: { type: 'reload' | 'restart' | 'rollback'; reason?: string; wait?: boolean }): Promise<void> {
  const result = await withClient(opts.cwd, async (c) => {
    if (!opts.json) {
      c.on('event', (e: MasterEvent) => {
        if (e.kind === 'reload-progress') out.stderr(`  … ${e.step}\n`);
      });
    }
    return c.request<ReloadResult | { accepted: true }>({ ...body });
  });
  if ('accepted' in result) {
    out.stdout(opts.json ? JSON.stringify(result) + '\n' : 'reload requested\n');
    return;
  }
  if (opts.json) out.stdout(JSON.stringify(result) + '\n');
  else if (result.ok) out.stdout(`${body.type} #${result.id} done in ${result.durationMs} ms (generation ${result.generation})\n`);
  else out.stdout(`${body.type} #${result.id} failed, previous workers keep serving:\n${formatFinding(result.finding!, opts.cwd)}\n`);
  if (!result.ok) process.exitCode = EXIT.failed;
}

async function changed(out: Printer, opts: { cwd: string; json?: boolean; wait: boolean }, files: string[]): Promise<void> {
  const cwd = path.resolve(opts.cwd);
  const outcome = await withClient(cwd, (c) => c.request<ChangeOutcome | { accepted: true }>({ type: 'changed', files: files.map((f) => path.resolve(cwd, f)), wait: opts.wait }));
  if (opts.json) out.stdout(JSON.stringify(outcome) + '\n');
  else out.stdout(formatChangeOutcome(outcome) + '\n');
  if (!('accepted' in outcome) && outcome.reload && !outcome.reload.ok) process.exitCode = EXIT.failed;
}

/** The status once the master is settled: now, or at its next `settled` event (counted only after the status it answers). */
async function waitSettled(client: ControlClient, timeoutMs: number): Promise<MasterStatus> {
  let settledSince = false;
  let answered = false;
  let wake: () => void = () => undefined;
  const onEvent = (e: MasterEvent) => {
    if (e.kind !== 'settled' || !answered) return;
    settledSince = true;
    wake();
  };
  client.on('event', onEvent);
  try {
    const first = await client.request<MasterStatus>({ type: 'status' });
    answered = true;
    if (first.settled === undefined) throw new CliFailure(`the master (Smooth Reload ${first.version}) does not report whether it is settled; restart it with this version`, EXIT.failed);
    if (first.settled) return first;
    const timedOut = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(true), timeoutMs);
      wake = () => {
        clearTimeout(timer);
        resolve(false);
      };
      if (settledSince) wake();
    });
    const now = await client.request<MasterStatus>({ type: 'status' });
    if (timedOut && !now.settled) throw new CliFailure(`the master did not settle within ${timeoutMs} ms (state ${now.state}, generation ${now.generation}, ${now.workers.length} worker(s))`, EXIT.failed);
    return now;
  } finally {
    client.off('event', onEvent);
  }
}

async function withClient<T>(cwd: string, fn: (client: ControlClient) => Promise<T>): Promise<T> {
  const state = readStateFile(path.resolve(cwd));
  if (!state.ok) throw new ControlError(state.code, state.message);
  const client = await ControlClient.connect(state.state);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** dist/ holds cli.js, bootstrap.js and worker-shim.js side by side. */
function distDir(): string {
  return __dirname;
}

export async function main(argv: string[], out: Printer): Promise<number> {
  const program = buildProgram(out);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof CliFailure) {
      out.stderr(`smooth-reload: ${err.message}\n`);
      return err.code;
    }
    if (err instanceof ControlError) {
      out.stderr(`smooth-reload: ${err.message}\n`);
      return err.code === 'SR_NO_MASTER' || err.code === 'SR_STALE_STATE' ? EXIT.noMaster : EXIT.failed;
    }
    out.stderr(`smooth-reload: unexpected error: ${(err as Error).stack ?? err}\n`);
    return EXIT.failed;
  }
}

/** Entry point for bin/smooth-reload.js and `node dist/cli.js`. */
export function run(): void {
  // A closed stdout (the editor that started us went away) must not crash a serving master.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  const out: Printer = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };
  main(process.argv.slice(2), out).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) run();
