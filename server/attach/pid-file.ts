/**
 * Where the master's pid comes from: the pid file given, or found in the preset's usual places
 * (for Swoole, the `pid_file` of the server script), read and parsed. Pid-file problems are
 * findings (SR_ATTACH_PID_FILE_MISSING / _INVALID), never exceptions.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Finding } from '../protocol';
import type { ResolvedAttach } from './config';
import { swoolePidFileFromScript } from './presets';
import { attachFinding, parsePidFile } from './verify';

export function readMasterPid(config: ResolvedAttach): { pid: number; pidFile: string } | { finding: Finding } {
  const { preset } = config;
  const located = locatePidFile(config);
  if ('tried' in located) return { finding: missingFinding(preset.name, located.tried) };
  const pidFile = located.file;
  let text: string;
  try {
    text = fs.readFileSync(pidFile, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Removed since we looked: the server is stopping.
    if (code === 'ENOENT') return { finding: missingFinding(preset.name, [pidFile]) };
    return { finding: attachFinding('SR_ATTACH_PID_FILE_INVALID', `cannot read pid file ${pidFile}: ${code ?? (err as Error).message}`, "make the pid file readable by the user running Smooth Reload, or run it as the server's user", pidFile) };
  }
  const pid = parsePidFile(text);
  if (pid === undefined) {
    return {
      finding: attachFinding(
        'SR_ATTACH_PID_FILE_INVALID',
        `pid file ${pidFile} does not hold a process id (it holds ${JSON.stringify(text.slice(0, 40))})`,
        `point --pid-file at the file ${preset.name} writes its master pid to`,
        pidFile,
      ),
    };
  }
  return { pid, pidFile };
}

function missingFinding(server: string, tried: string[]): Finding {
  return attachFinding(
    'SR_ATTACH_PID_FILE_MISSING',
    tried.length === 1 ? `pid file ${tried[0]} does not exist: ${server} is not running, or writes its pid elsewhere` : `no ${server} pid file found; looked for ${tried.join(', ')}`,
    `start ${server} with a pid file (${pidFileHow(server)}) and pass it with --pid-file`,
    tried.length === 1 ? tried[0] : undefined,
  );
}

/** The pid file to read: the given one, else the Swoole script's pid_file, else the first usual location that exists. */
function locatePidFile(config: ResolvedAttach): { file: string } | { tried: string[] } {
  if (config.pidFile) return fs.existsSync(config.pidFile) ? { file: config.pidFile } : { tried: [config.pidFile] };
  const candidates: string[] = [];
  if (config.preset.name === 'swoole') candidates.push(...swooleScriptPidFiles(config.cwd, config.script));
  for (const p of config.preset.pidFiles) candidates.push(...expand(path.resolve(config.cwd, p)));
  const found = candidates.find((f) => fs.existsSync(f));
  return found ? { file: found } : { tried: [...new Set(candidates)] };
}

/** pid_file from the given Swoole script, or from PHP files at the top of the project that call set([...]). */
function swooleScriptPidFiles(cwd: string, script: string | undefined): string[] {
  let scripts: string[];
  if (script) scripts = [script];
  else {
    try {
      scripts = fs
        .readdirSync(cwd)
        .filter((f) => f.endsWith('.php'))
        .slice(0, 50)
        .map((f) => path.join(cwd, f));
    } catch {
      scripts = [];
    }
  }
  const out: string[] = [];
  for (const file of scripts) {
    let source = '';
    try {
      source = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const found = swoolePidFileFromScript(source, path.dirname(file));
    if (found) out.push(path.resolve(path.dirname(file), found));
  }
  return out;
}

/** A `*` in the last segment matches any name there; other paths stand as they are. */
function expand(file: string): string[] {
  const base = path.basename(file);
  if (!base.includes('*')) return [file];
  const re = new RegExp('^' + base.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  try {
    return fs
      .readdirSync(path.dirname(file))
      .filter((f) => re.test(f))
      .sort()
      .map((f) => path.join(path.dirname(file), f));
  } catch {
    return [file];
  }
}

function pidFileHow(preset: string): string {
  switch (preset) {
    case 'gunicorn':
      return 'gunicorn --pid gunicorn.pid';
    case 'nginx':
      return '"pid" directive in nginx.conf';
    case 'puma':
      return 'puma --pidfile tmp/pids/puma.pid';
    case 'uwsgi':
      return 'uwsgi --pidfile uwsgi.pid';
    case 'php-fpm':
      return '"pid" in php-fpm.conf';
    default:
      return "'pid_file' => __DIR__ . '/swoole.pid' in $server->set([...])";
  }
}
