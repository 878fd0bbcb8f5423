/**
 * Real servers for the attach tests (gunicorn, nginx, the PHP Swoole stand-in), each started in its
 * own process group on 127.0.0.1 with an OS-chosen port, and `smooth-reload attach` run as the
 * user would. Every server is stopped by stopAllServers() in afterEach, group and all.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Finding, MasterEvent } from '../../server/protocol';
import { CLI, REPO } from '../helpers/master';
import { isAlive, waitFor } from '../helpers/processes';

export const FIXTURES = path.join(REPO, 'test', 'fixtures', 'attach');
/** Debian's python3 has python3-gunicorn; a python3 first on PATH (pyenv) may not. */
export const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
export const NGINX = fs.existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';

export interface Server {
  proc: ChildProcess;
  port: number;
  url: string;
  pidFile: string;
  output: string[];
}

const servers = new Set<ChildProcess>();
const watchers = new Set<{ stop(): Promise<number | null> }>();

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

/** Start a process in its own group (so stopping it reaches its workers too). */
export function startGroup(cmd: string, args: string[], options: SpawnOptions & { cwd: string }): { proc: ChildProcess; output: string[] } {
  const proc = spawn(cmd, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  proc.stdout!.on('data', (d) => output.push(String(d)));
  proc.stderr!.on('data', (d) => output.push(String(d)));
  servers.add(proc);
  proc.once('exit', () => servers.delete(proc));
  return { proc, output };
}

/** TERM the group, then KILL it if it is still there after a bounded wait. */
export async function stopGroup(proc: ChildProcess): Promise<void> {
  const pgid = proc.pid!;
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pgid, sig);
    } catch {
      // The group is gone.
    }
  };
  signalGroup('SIGTERM');
  const groupGone = () => {
    try {
      process.kill(-pgid, 0);
      return false;
    } catch {
      return true;
    }
  };
  try {
    await waitFor('the server group to exit', groupGone, 8000);
  } catch {
    signalGroup('SIGKILL');
    await waitFor('the server group to die', groupGone, 4000);
  }
  servers.delete(proc);
}

/** Stop every attach watcher, then every server, that a test left running. */
export async function stopAllServers(): Promise<void> {
  await Promise.allSettled([...watchers].map((w) => w.stop()));
  await Promise.allSettled([...servers].map((p) => stopGroup(p)));
}

/** The live children of a process (from /proc, like the code under test, but read here on its own). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid && fields[0] !== 'Z') out.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return out.sort((a, b) => a - b);
}

export function readPid(file: string): number {
  return Number(fs.readFileSync(file, 'utf8').trim());
}

export function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, timeout: 5000 }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject)
      .on('timeout', function (this: http.ClientRequest) {
        this.destroy(new Error('timeout'));
      });
  });
}

/** Wait (bounded) until the server answers and its pid file names a master with `workers` children. */
async function waitReady(server: Server, workers: number, descend = false): Promise<void> {
  await waitFor(
    `the server to write ${server.pidFile} and start ${workers} workers\n${server.output.join('')}`,
    async () => {
      if (server.proc.exitCode !== null) throw new Error(`server exited early (${server.proc.exitCode}):\n${server.output.join('')}`);
      if (!fs.existsSync(server.pidFile)) return false;
      const pid = readPid(server.pidFile);
      let kids = childPids(pid);
      if (descend && kids.length === 1) kids = childPids(kids[0]);
      if (kids.length < workers) return false;
      try {
        return (await get(server.url)).status === 200;
      } catch {
        return false;
      }
    },
    20000,
    50,
  );
}

export async function startGunicorn(dir: string, extraArgs: string[] = []): Promise<Server> {
  const port = await freePort();
  const pidFile = path.join(dir, 'gunicorn.pid');
  const { proc, output } = startGroup(PYTHON, ['-m', 'gunicorn', '--bind', `127.0.0.1:${port}`, '--workers', '2', '--pid', pidFile, '--graceful-timeout', '5', ...extraArgs, 'wsgi_app:app'], { cwd: dir });
  const server = { proc, port, url: `http://127.0.0.1:${port}/`, pidFile, output };
  await waitReady(server, 2);
  return server;
}

/** nginx.conf for a temp prefix; serves `body`, or the given location block contents (FastCGI to PHP-FPM). */
export function nginxConf(dir: string, port: number, body: string, location = `default_type text/plain; return 200 "${body}\\n";`): string {
  return `daemon off;
worker_processes 2;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log;
events { worker_connections 64; }
http {
  access_log ${dir}/logs/access.log;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server {
    listen 127.0.0.1:${port};
    location / { ${location} }
  }
}
`;
}

export async function startNginx(dir: string, body: string, location?: string): Promise<Server> {
  const port = await freePort();
  fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'nginx.conf'), nginxConf(dir, port, body, location));
  // -e: the error log before nginx.conf is read (the default path is not writable by tests).
  const { proc, output } = startGroup(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'logs', 'error.log')], { cwd: dir });
  const server = { proc, port, url: `http://127.0.0.1:${port}/`, pidFile: path.join(dir, 'nginx.pid'), output };
  await waitReady(server, 2);
  return server;
}

/** The first of these executables that exists, or undefined (the test then skips). */
export function which(...candidates: string[]): string | undefined {
  return candidates.find((c) => fs.existsSync(c));
}

/** uWSGI (uwsgi-core + uwsgi-plugin-python3) serving wsgi_app.py over HTTP, with a master FIFO. */
export async function startUwsgi(dir: string, uwsgi: string): Promise<Server & { fifo: string }> {
  const port = await freePort();
  const pidFile = path.join(dir, 'uwsgi.pid');
  const fifo = path.join(dir, 'uwsgi.fifo');
  const { proc, output } = startGroup(
    uwsgi,
    ['--master', '--processes', '2', '--http-socket', `127.0.0.1:${port}`, '--plugin', 'python3', '--wsgi-file', 'wsgi_app.py', '--callable', 'app', '--pidfile', pidFile, '--master-fifo', fifo, '--lazy-apps', '--die-on-term'],
    { cwd: dir },
  );
  const server = { proc, port, url: `http://127.0.0.1:${port}/`, pidFile, output, fifo };
  await waitReady(server, 2);
  return server;
}

/** Puma in cluster mode (2 workers) serving config.ru. */
export async function startPuma(dir: string, puma: string, extraArgs: string[] = []): Promise<Server> {
  const port = await freePort();
  const pidFile = path.join(dir, 'puma.pid');
  const { proc, output } = startGroup(puma, ['--pidfile', pidFile, '-b', `tcp://127.0.0.1:${port}`, ...extraArgs, 'config.ru'], { cwd: dir });
  const server = { proc, port, url: `http://127.0.0.1:${port}/`, pidFile, output };
  await waitReady(server, extraArgs.includes('-w') ? 2 : 0);
  return server;
}

/**
 * PHP-FPM (2 static workers, OPcache never revalidating, so only a reload brings new code) behind
 * nginx, which speaks HTTP and passes every request to index.php.
 */
export async function startPhpFpm(dir: string, fpm: string): Promise<{ fpm: Server; front: Server }> {
  const fpmPort = await freePort();
  const pidFile = path.join(dir, 'php-fpm.pid');
  fs.writeFileSync(
    path.join(dir, 'php-fpm.conf'),
    `[global]
pid = ${pidFile}
error_log = ${dir}/php-fpm.log
daemonize = no
[www]
listen = 127.0.0.1:${fpmPort}
pm = static
pm.max_children = 2
php_admin_flag[opcache.enable] = on
php_admin_flag[opcache.validate_timestamps] = off
php_admin_value[opcache.file_update_protection] = 0
`,
  );
  const asRoot = process.getuid?.() === 0 ? ['-R'] : [];
  const { proc, output } = startGroup(fpm, [...asRoot, '-y', path.join(dir, 'php-fpm.conf')], { cwd: dir });
  const location = `fastcgi_pass 127.0.0.1:${fpmPort}; fastcgi_param SCRIPT_FILENAME ${dir}/index.php; fastcgi_param REQUEST_METHOD $request_method;`;
  const front = await startNginx(path.join(dir, 'front'), '', location);
  const server = { proc, port: fpmPort, url: front.url, pidFile, output };
  await waitReady(server, 2);
  return { fpm: server, front };
}

/** The PHP stand-in for a Swoole server (test/fixtures/attach/swoole_server.php, 2 workers and 1 task worker), copied into dir. */
export async function startSwooleStandIn(dir: string, mode: 'reload' | 'no-reload' | 'preload' = 'reload'): Promise<Server> {
  const port = await freePort();
  const { proc, output } = startGroup('php', ['swoole_server.php', String(port), mode], { cwd: dir });
  const server = { proc, port, url: `http://127.0.0.1:${port}/`, pidFile: path.join(dir, 'swoole.pid'), output };
  await waitReady(server, 3, true);
  return server;
}

export interface AttachRun {
  code: number | null;
  events: MasterEvent[];
  stderr: string;
  /** The finding of the last reload-failed, if any. */
  finding?: Finding;
}

/** `smooth-reload attach --json ...` as a child process, its JSON events collected. */
function spawnAttach(args: string[], cwd: string, uid?: number) {
  const proc = spawn(process.execPath, [CLI, 'attach', '--json', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(uid !== undefined ? { uid, gid: uid } : {}) });
  const events: MasterEvent[] = [];
  const log = { stderr: '' };
  readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
    try {
      events.push(JSON.parse(line));
    } catch {
      log.stderr += line + '\n';
    }
  });
  proc.stderr!.on('data', (d) => (log.stderr += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
  return { proc, events, log, exited };
}

/** `smooth-reload attach --json ... --once` to completion (bounded). */
export async function runAttach(args: string[], options: { cwd: string; uid?: number }): Promise<AttachRun> {
  const { proc, events, log, exited } = spawnAttach(args, options.cwd, options.uid);
  const timer = setTimeout(() => proc.kill('SIGKILL'), 45_000);
  const code = await exited;
  clearTimeout(timer);
  const failed = events.filter((e) => e.kind === 'reload-failed').pop() as Extract<MasterEvent, { kind: 'reload-failed' }> | undefined;
  return { code, events, stderr: log.stderr, ...(failed?.finding ? { finding: failed.finding } : {}) };
}

/** `smooth-reload attach --json` in watch mode, stopped by stop() (or by stopAllServers). */
export function startAttachWatch(args: string[], cwd: string) {
  const { proc, events, log, exited } = spawnAttach(args, cwd);
  const watcher = {
    proc,
    events,
    waitEvent<K extends MasterEvent['kind']>(kind: K, pred: (e: Extract<MasterEvent, { kind: K }>) => boolean = () => true, timeoutMs = 30000) {
      return waitFor(`attach event ${kind}\n${log.stderr}`, () => events.find((e) => e.kind === kind && pred(e as never)) as Extract<MasterEvent, { kind: K }> | undefined, timeoutMs);
    },
    async stop(): Promise<number | null> {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const code = await exited;
      watchers.delete(watcher);
      return code;
    },
  };
  watchers.add(watcher);
  return watcher;
}

export function copyFixtures(dir: string, files: string[]): void {
  for (const f of files) fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
}

export { isAlive, waitFor };
