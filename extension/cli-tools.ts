/**
 * The CLI commands the extension runs as child processes: `doctor` (until the doctor module can
 * be imported) and `attach` for masters Smooth Reload does not own. No vscode import.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as readline from 'node:readline';
import { Finding, MasterEvent } from '../server/protocol';

export interface NodeCommand {
  nodePath: string;
  cliPath: string;
  env?: NodeJS.ProcessEnv;
}

export class CliError extends Error {
  constructor(
    readonly code: 'SR_CLI_UNKNOWN_COMMAND' | 'SR_CLI_FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

function unknownCommand(stderr: string): boolean {
  return /unknown command|error: unknown/i.test(stderr);
}

/** Parse `doctor --json` output: an array of findings or `{findings: [...]}`; invalid entries are skipped. */
export function parseDoctorOutput(stdout: string): Finding[] {
  const text = stdout.trim();
  if (!text) return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON lines: one finding (or one report) per line.
    json = text
      .split('\n')
      .filter((l) => l.trim().startsWith('{') || l.trim().startsWith('['))
      .flatMap((l) => {
        try {
          return [JSON.parse(l)];
        } catch {
          return [];
        }
      });
  }
  const list = Array.isArray(json) ? json.flatMap((x) => (x && typeof x === 'object' && Array.isArray((x as { findings?: unknown }).findings) ? (x as { findings: unknown[] }).findings : [x])) : json && typeof json === 'object' && Array.isArray((json as { findings?: unknown }).findings) ? (json as { findings: unknown[] }).findings : [];
  return list.flatMap((f) => {
    const parsed = Finding.safeParse(f);
    return parsed.success ? [parsed.data] : [];
  });
}

/** Run `cli.js doctor <dir> --json` and return its findings. */
export function runDoctorCli(cmd: NodeCommand, dir: string, timeoutMs = 60_000): Promise<Finding[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd.nodePath, [cmd.cliPath, 'doctor', dir, '--json'], { cwd: dir, env: { ...process.env, ...cmd.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new CliError('SR_CLI_FAILED', `cannot run "${cmd.nodePath}": ${err.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (unknownCommand(stderr)) return reject(new CliError('SR_CLI_UNKNOWN_COMMAND', 'this build of Smooth Reload has no "doctor" command yet'));
      const findings = parseDoctorOutput(stdout);
      // The doctor exits non-zero when it found errors; that is a result, not a failure.
      if (findings.length || code === 0 || stdout.trim()) return resolve(findings);
      reject(new CliError('SR_CLI_FAILED', `the doctor exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' ') || 'no output'}`));
    });
  });
}

export const ATTACH_PRESETS = [
  { name: 'swoole', description: 'Swoole / Hyperf / Laravel Octane: USR1 reloads workers', pidFile: 'swoole.pid' },
  { name: 'gunicorn', description: 'Gunicorn: HUP reloads workers', pidFile: 'gunicorn.pid' },
  { name: 'nginx', description: 'nginx: HUP reloads configuration and workers', pidFile: 'logs/nginx.pid' },
  { name: 'puma', description: 'Puma: USR1 phased restart', pidFile: 'tmp/pids/server.pid' },
  { name: 'uwsgi', description: 'uWSGI: HUP graceful reload', pidFile: 'uwsgi.pid' },
  { name: 'php-fpm', description: 'PHP-FPM: USR2 graceful reload', pidFile: 'php-fpm.pid' },
] as const;

export interface AttachEvents {
  event: [event: MasterEvent];
  line: [level: 'info' | 'error', line: string];
  exit: [code: number | null, error?: CliError];
}

/** A running `cli.js attach --preset … --pid-file … --json`, emitting its MasterEvent lines. */
export class AttachProcess extends EventEmitter<AttachEvents> {
  private readonly child: ChildProcess;
  private stderr = '';
  readonly exited: Promise<void>;

  constructor(cmd: NodeCommand, cwd: string, preset: string, pidFile: string) {
    super();
    this.child = spawn(cmd.nodePath, [cmd.cliPath, 'attach', '--preset', preset, '--pid-file', pidFile, '--json'], { cwd, env: { ...process.env, ...cmd.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        this.emit('line', 'info', line);
        return;
      }
      const parsed = MasterEvent.safeParse(json);
      if (parsed.success) this.emit('event', parsed.data);
      else this.emit('line', 'info', line);
    });
    readline.createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.stderr += line + '\n';
      this.emit('line', 'error', line);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.emit('exit', null, new CliError('SR_CLI_FAILED', `cannot run "${cmd.nodePath}": ${err.message}`));
        resolve();
      });
      this.child.once('exit', (code) => {
        const error = unknownCommand(this.stderr)
          ? new CliError('SR_CLI_UNKNOWN_COMMAND', 'this build of Smooth Reload has no "attach" command yet: attaching to Swoole, Gunicorn and other masters needs a newer version')
          : code
            ? new CliError('SR_CLI_FAILED', `attach exited with ${code}: ${this.stderr.trim().split('\n').slice(-3).join(' ') || 'no output'}`)
            : undefined;
        this.emit('exit', code, error);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    const pid = this.child.pid;
    if (pid && this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // Gone.
      }
      const t = setTimeout(() => {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // Gone.
        }
      }, 5000);
      await this.exited;
      clearTimeout(t);
    }
  }
}
