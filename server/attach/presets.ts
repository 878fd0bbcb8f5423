/**
 * What Smooth Reload knows about the masters people already run: the signal that reloads their
 * workers, where their pid file usually is, how to recognise their processes, and which files
 * are worth a reload. Pure data plus the Swoole `pid_file` reader (no I/O but what it is given).
 */

export const PRESET_NAMES = ['swoole', 'gunicorn', 'nginx', 'puma', 'uwsgi', 'php-fpm'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** Signals a reload may use; the names are Node's, without the SIG prefix accepted too. */
export const RELOAD_SIGNALS = ['HUP', 'USR1', 'USR2', 'TERM', 'INT', 'QUIT', 'WINCH', 'TTIN', 'TTOU'] as const;
export type ReloadSignal = (typeof RELOAD_SIGNALS)[number];

export interface Preset {
  name: PresetName;
  /** The signal that reloads every worker. */
  signal: ReloadSignal;
  /**
   * Signals that replace only some workers (Swoole USR2: task workers only), so the check is
   * "at least one replaced" rather than "every old worker gone".
   */
  partialSignals: ReloadSignal[];
  /** Usual pid-file locations, relative to the project folder or absolute; `*` matches in the last segment. */
  pidFiles: string[];
  /** Matches the master's command line or process name, to tell it from an unrelated process. */
  processName: RegExp;
  /** Files whose change is worth a reload when `--watch` is not given. */
  watch: string[];
  /** Why the workers may not change after the signal, for this server (the SR_ATTACH_WORKERS_UNCHANGED fix). */
  unchangedHint: string;
  /** Why new workers may still serve old code (the SR_ATTACH_STALE_CODE fix). */
  staleHint: string;
}

const PRESETS: Record<PresetName, Preset> = {
  swoole: {
    name: 'swoole',
    signal: 'USR1',
    partialSignals: ['USR2'],
    pidFiles: ['swoole.pid', 'server.pid', 'runtime/hyperf.pid', 'storage/logs/swoole_http.pid'],
    processName: /php|swoole/i,
    watch: ['**/*.php'],
    unchangedHint:
      'a Swoole server in SWOOLE_BASE mode or with worker_num 1 and no manager cannot reload its workers; a reload already in progress ignores the signal; a worker busy past max_wait_time is killed late. Start the server in SWOOLE_PROCESS mode and check its log',
    staleHint:
      'code included before $server->start() (or by the master and manager) is never reloaded: include your app in onWorkerStart, and turn off OPcache file caching for development (opcache.validate_timestamps=1, opcache.revalidate_freq=0); "smooth-reload doctor" checks both',
  },
  gunicorn: {
    name: 'gunicorn',
    signal: 'HUP',
    partialSignals: [],
    pidFiles: ['gunicorn.pid', 'run/gunicorn.pid', '/run/gunicorn.pid', '/run/gunicorn/gunicorn.pid', '/tmp/gunicorn.pid'],
    processName: /gunicorn/i,
    watch: ['**/*.py'],
    unchangedHint: 'check that the pid file belongs to the running gunicorn (gunicorn --pid FILE) and look at its log: a master still starting or busy reloading ignores HUP',
    staleHint:
      'with preload_app (--preload) the master imports the app once and every new worker forks that old copy: drop --preload for development, or restart gunicorn instead of reloading it',
  },
  nginx: {
    name: 'nginx',
    signal: 'HUP',
    partialSignals: [],
    pidFiles: ['/run/nginx.pid', '/var/run/nginx.pid', 'logs/nginx.pid', '/usr/local/nginx/logs/nginx.pid'],
    processName: /nginx/i,
    watch: ['**/*.conf'],
    unchangedHint:
      'nginx keeps its old workers when the new configuration is invalid: run "nginx -t" with the same -p/-c and read its error_log; with "master_process off" there is nothing to reload',
    staleHint: 'nginx reloads configuration, not the files it serves or proxies: check the upstream app, and caching (proxy_cache, open_file_cache, expires headers)',
  },
  puma: {
    name: 'puma',
    signal: 'USR1',
    partialSignals: [],
    pidFiles: ['tmp/pids/puma.pid', 'tmp/pids/server.pid', 'puma.pid'],
    processName: /puma/i,
    watch: ['**/*.rb', 'config/**/*.yml'],
    unchangedHint:
      'USR1 (phased restart) needs cluster mode (puma -w 2); with preload_app! Puma does a full hot restart instead, which takes longer (raise --timeout)',
    staleHint: 'check that the code you changed is loaded by the app and not by a file Puma reads only once at boot (config/puma.rb, an initializer run before fork)',
  },
  uwsgi: {
    name: 'uwsgi',
    signal: 'HUP',
    partialSignals: [],
    pidFiles: ['uwsgi.pid', '/run/uwsgi/uwsgi.pid', '/tmp/uwsgi.pid'],
    processName: /uwsgi/i,
    watch: ['**/*.py', '**/*.ini'],
    unchangedHint: 'uWSGI needs its master (--master) to reload workers; for a chain reload give --fifo with the path of --master-fifo',
    staleHint: 'with lazy-apps off the app is loaded once by the master and forked: set lazy-apps = true (or use a chain reload, which needs lazy-apps)',
  },
  'php-fpm': {
    name: 'php-fpm',
    signal: 'USR2',
    partialSignals: [],
    pidFiles: ['/run/php/php-fpm.pid', '/run/php/php*-fpm.pid', '/var/run/php-fpm.pid', '/usr/local/var/run/php-fpm.pid', 'php-fpm.pid'],
    processName: /php-fpm/i,
    watch: ['**/*.php', '**/*.ini', '**/*.conf'],
    unchangedHint: 'PHP-FPM restarts its pools on USR2 unless the new configuration is invalid: run "php-fpm -t" and read its error_log; with pm = ondemand an idle pool has no workers to replace',
    staleHint:
      'OPcache with opcache.validate_timestamps=0 keeps serving cached code: set opcache.validate_timestamps=1 and opcache.revalidate_freq=0 for development ("smooth-reload doctor" checks them)',
  },
};

export function getPreset(name: PresetName): Preset {
  return PRESETS[name];
}

/** `SIGHUP`, `sighup`, `hup` → `HUP`; undefined when not a reload signal we know. */
export function normalizeSignal(raw: string): ReloadSignal | undefined {
  const s = raw.trim().toUpperCase().replace(/^SIG/, '');
  return (RELOAD_SIGNALS as readonly string[]).includes(s) ? (s as ReloadSignal) : undefined;
}

/**
 * Read `pid_file` from a Swoole script's `$server->set([...])` (pure: give it the script's text and
 * folder). Understands a quoted path and `__DIR__ . '/x.pid'`; returns undefined for anything else
 * (a constant, a function call), so the caller falls back to the usual locations.
 */
export function swoolePidFileFromScript(source: string, scriptDir: string): string | undefined {
  const m = /['"]pid_file['"]\s*=>\s*([^,\]\n]+)/.exec(source);
  if (!m) return undefined;
  const expr = m[1].trim();
  const quoted = /^(['"])(.*)\1$/.exec(expr);
  if (quoted) return quoted[2];
  const dir = /^__DIR__\s*\.\s*(['"])(.*)\1$/.exec(expr);
  if (dir) return scriptDir.replace(/\/+$/, '') + dir[2];
  const dirname = /^dirname\(__DIR__\)\s*\.\s*(['"])(.*)\1$/.exec(expr);
  if (dirname) return scriptDir.replace(/\/+$/, '').replace(/\/[^/]*$/, '') + dirname[2];
  return undefined;
}
