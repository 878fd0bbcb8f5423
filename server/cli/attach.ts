/**
 * `smooth-reload attach`: reload a master someone else started (gunicorn, nginx, Swoole, …) and
 * verify the reload took effect. `--once` reloads once; otherwise it watches and reloads on change.
 * Exit codes (--once): 0 verified, 1 not verified (the finding says why), 2 no master to signal
 * (pid file missing, unreadable or stale), 64 bad options.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { AttachConfigInput, ResolvedAttach } from '../attach/config';
import { PRESET_NAMES } from '../attach/presets';
import type { AttachCode } from '../attach/verify';
import type { LogLevel } from '../logger';
import type { MasterEvent } from '../protocol';
import { CliFailure, EXIT } from './failure';
import { formatEvent, formatFinding, type Printer } from './format';

const ATTACH_EXIT = { ok: 0, failed: 1, noMaster: 2 } as const;

function msArg(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 3_600_000) throw new InvalidArgumentError(`${name} must be milliseconds from 0 to 3600000, not "${value}".`);
    return n;
  };
}

export function registerAttachCommand(program: Command, out: Printer): void {
  program
    .command('attach')
    .description('reload a master you already run (gunicorn, nginx, Swoole, …) when files change, and verify each reload took effect')
    .addOption(new Option('--preset <name>', 'the server').choices([...PRESET_NAMES]))
    .option('--pid-file <file>', "the master's pid file (default: the preset's usual locations)")
    .option('--signal <signal>', "reload signal instead of the preset's (HUP, USR1, USR2, …)")
    .option('--health <url>', 'URL that must answer 2xx/3xx after the workers are replaced')
    .option('--expect <text>', 'text, or /regex/, the --health response must contain (tells new code from old)')
    .option('--watch <globs...>', "files whose change triggers a reload (default: the preset's, e.g. **/*.py)")
    .option('--once', 'reload once, verify, and exit: 0 verified, 1 not verified, 2 no master to signal')
    .option('--json', 'print events as JSON lines (reload-start, reload-progress, reload-done / reload-failed, findings, log)')
    .option('--cwd <dir>', 'project folder', process.cwd())
    .option('--config <file>', 'config file with an "attach" section (default: smooth-reload.config.json if present)')
    .option('--timeout <ms>', 'how long to wait for the workers to be replaced, then for --health', msArg('--timeout'))
    .option('--debounce <ms>', 'quiet time after a change before reloading', msArg('--debounce'))
    .option('--fifo <file>', "uWSGI: its --master-fifo; a reload writes \"c\" (chain reload) to it instead of a signal")
    .option('--script <file>', "Swoole: the server script whose set([...]) names 'pid_file'")
    .option('--process-name <text>', "text or /regex/ the master's command line must match (default: the server's name)")
    .option('--polling', 'watch by polling (network drives, containers)')
    .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .action(async (opts) => {
      // Loaded here, not at start: the watcher and config schemas are for this command only.
      const { Attacher } = require('../attach/attach') as typeof import('../attach/attach');
      const { resolveAttach } = require('../attach/config') as typeof import('../attach/config');
      const { PID_FILE_CODES } = require('../attach/verify') as typeof import('../attach/verify');
      const { ConfigError } = require('../config') as typeof import('../config');
      const { Logger } = require('../logger') as typeof import('../logger');
      const overrides: Partial<AttachConfigInput> = {
        preset: opts.preset,
        pidFile: opts.pidFile,
        signal: opts.signal,
        health: opts.health,
        expect: opts.expect,
        watch: opts.watch,
        timeoutMs: opts.timeout,
        debounceMs: opts.debounce,
        fifo: opts.fifo,
        script: opts.script,
        processName: opts.processName,
        usePolling: opts.polling,
      };
      let config: ResolvedAttach;
      try {
        config = resolveAttach({ cwd: opts.cwd, configFile: opts.config, overrides });
      } catch (err) {
        // The extension reads stdout: tell it too, then let main() print it and exit 64.
        if (opts.json) out.stdout(JSON.stringify({ kind: 'log', level: 'error', message: (err as Error).message } satisfies MasterEvent) + '\n');
        throw err instanceof ConfigError ? new CliFailure(err.message, EXIT.usage) : err;
      }
      const logger = new Logger(opts.logLevel as LogLevel);
      const print = opts.json ? (e: MasterEvent) => out.stdout(JSON.stringify(e) + '\n') : (e: MasterEvent) => printHuman(out, e, config.cwd);
      logger.addSink((r) => print({ kind: 'log', level: r.level, message: r.message }));
      const attacher = new Attacher(config, logger, print);

      if (opts.once) {
        const result = await attacher.reload(`smooth-reload attach --once (${config.preset.name})`);
        process.exitCode = result.ok ? ATTACH_EXIT.ok : PID_FILE_CODES.includes(result.finding?.code as AttachCode) ? ATTACH_EXIT.noMaster : ATTACH_EXIT.failed;
        return;
      }

      const seen = attacher.inspect();
      if ('finding' in seen) {
        // Not fatal while watching: the server may be started (or fixed) after us.
        if (opts.json) print({ kind: 'findings', source: 'attach', findings: [seen.finding] });
        else out.stdout(formatFinding(seen.finding, config.cwd) + '\n');
        logger.warn(`not attached yet (${seen.finding.code}); reloads will be tried on the next change`);
      } else {
        logger.info(`attached to ${config.preset.name} master ${seen.pid} with ${seen.workers.length} worker${seen.workers.length === 1 ? '' : 's'}; reload: ${config.fifo ? `"c" to ${config.fifo}` : `SIG${config.signal}`}`);
      }
      await attacher.watch();
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void attacher.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}

function printHuman(out: Printer, e: MasterEvent, cwd: string): void {
  if (e.kind === 'reload-progress') {
    out.stderr(`  … ${e.step}\n`);
    return;
  }
  if (e.kind === 'reload-failed') {
    out.stdout(`[${new Date().toTimeString().slice(0, 8)}] ✗ reload #${e.id} not verified after ${e.durationMs} ms\n${e.finding ? formatFinding(e.finding, cwd) + '\n' : ''}`);
    return;
  }
  // A failed reload's finding was just printed with it.
  if (e.kind === 'findings' && e.source === 'attach') return;
  const line = formatEvent(e, cwd);
  if (line) out.stdout(line + '\n');
}
