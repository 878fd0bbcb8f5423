/**
 * SR_OPCACHE_STALE: OPcache is on for the PHP CLI (`opcache.enable_cli=1`, what Swoole, RoadRunner
 * and Octane workers run under) and does not check files for changes (`validate_timestamps=0`)
 * or checks them only every `revalidate_freq` seconds, so reloaded workers keep serving the
 * cached opcodes of the old file. Read from the ini files `php --ini` lists, later files winning.
 */
import type { Finding } from '../../protocol';
import type { Facts, PhpFacts } from '../facts';
import { finding } from '../finding';

/** PHP's default revalidate_freq; anything longer is a visible delay after a save. */
const DEFAULT_REVALIDATE_S = 2;

export interface IniSetting {
  value: string;
  file: string;
  line: number;
}

/** The effective opcache.* settings with where each was set (later files and lines win). */
export function iniSettings(iniFiles: PhpFacts['iniFiles']): Map<string, IniSetting> {
  const settings = new Map<string, IniSetting>();
  for (const { path: file, text } of iniFiles) {
    text.split('\n').forEach((raw, i) => {
      const m = /^\s*([\w.]+)\s*=\s*(.*?)\s*$/.exec(raw.replace(/\s;.*$|^\s*;.*$/, ''));
      if (!m) return;
      settings.set(m[1].toLowerCase(), { value: m[2].replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1'), file, line: i + 1 });
    });
  }
  return settings;
}

export function iniBool(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  const v = value.trim().toLowerCase();
  if (['1', 'on', 'yes', 'true'].includes(v)) return true;
  if (['0', 'off', 'no', 'false', 'none', ''].includes(v)) return false;
  return fallback;
}

export function checkOpcache(facts: Facts): Finding[] {
  const php = facts.php;
  if (!php) return [];
  const settings = iniSettings(php.iniFiles);
  const loaded = php.modules.length
    ? php.modules.includes('Zend OPcache')
    : php.iniFiles.some((f) => /^\s*zend_extension\s*=\s*["']?[^\n;]*opcache/im.test(f.text));
  if (!loaded) return [];
  const enable = settings.get('opcache.enable');
  const cli = settings.get('opcache.enable_cli');
  if (!iniBool(enable?.value, true) || !cli || !iniBool(cli.value, false)) return [];
  const validate = settings.get('opcache.validate_timestamps');
  const related = [{ file: cli.file, line: cli.line, message: 'opcache.enable_cli is turned on here' }];
  if (validate && !iniBool(validate.value, true)) {
    return [
      finding(
        'SR_OPCACHE_STALE',
        'error',
        `OPcache is on for the PHP CLI with opcache.validate_timestamps=0: long-running PHP workers (Swoole, RoadRunner, Octane) never see a saved file and keep running the cached old code`,
        `set opcache.validate_timestamps=1 and opcache.revalidate_freq=0 in ${validate.file} for development (or opcache.enable_cli=0)`,
        { file: validate.file, line: validate.line },
        related,
      ),
    ];
  }
  const freq = settings.get('opcache.revalidate_freq');
  const seconds = freq ? Number(freq.value) : DEFAULT_REVALIDATE_S;
  if (freq && Number.isFinite(seconds) && seconds > DEFAULT_REVALIDATE_S) {
    return [
      finding(
        'SR_OPCACHE_STALE',
        'warning',
        `OPcache is on for the PHP CLI with opcache.revalidate_freq=${seconds}: for up to ${seconds} s after a save, reloaded PHP workers keep running the cached old code`,
        `set opcache.revalidate_freq=0 in ${freq.file} for development (or opcache.enable_cli=0)`,
        { file: freq.file, line: freq.line },
        related,
      ),
    ];
  }
  return [];
}
