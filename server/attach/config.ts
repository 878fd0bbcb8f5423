/**
 * Options of `smooth-reload attach`: the `attach` section of smooth-reload.config.json merged
 * with the command-line flags (flags win), validated once into a frozen object.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import { z } from 'zod';
import { CONFIG_FILE_NAME, ConfigError, readConfigFile } from '../config';
import { getPreset, normalizeSignal, PRESET_NAMES, type Preset, type ReloadSignal } from './presets';
import { parseExpect } from './verify';

export const AttachConfig = z
  .object({
    preset: z.enum(PRESET_NAMES),
    /** The master's pid file; default: the preset's usual locations (Swoole: the script's pid_file). */
    pidFile: z.string().min(1).optional(),
    /** Swoole: the server script whose `set([...])` names pid_file. */
    script: z.string().min(1).optional(),
    /** Reload signal instead of the preset's (HUP, USR1, USR2, …). */
    signal: z
      .string()
      .refine((s) => normalizeSignal(s) !== undefined, { message: 'not a reload signal: use HUP, USR1, USR2, TERM, INT, QUIT, WINCH, TTIN or TTOU' })
      .optional(),
    /** uWSGI: its master FIFO (--master-fifo); a reload then writes "c" (chain reload) to it instead of signalling. */
    fifo: z.string().min(1).optional(),
    /** URL probed after the workers are replaced; must answer 2xx/3xx. */
    health: z
      .string()
      .refine((u) => /^https?:\/\/[^/]/.test(u), { message: 'must be an http:// or https:// URL' })
      .optional(),
    /** Text (or /regex/) the health response must contain, to tell new code from old. */
    expect: z.string().min(1).optional(),
    /** Globs (relative to the project folder) whose changes trigger a reload. */
    watch: z.array(z.string().min(1)).min(1).optional(),
    ignore: z.array(z.string()).default([]),
    debounceMs: z.number().int().nonnegative().default(200),
    /** How long to wait for workers to be replaced, and then for the health URL. */
    timeoutMs: z.number().int().positive().default(20_000),
    /** Text or /regex/ the master's command line must match (default: the preset's program name). */
    processName: z.string().min(1).optional(),
    usePolling: z.boolean().default(false),
  })
  .strict();
export type AttachConfigInput = z.input<typeof AttachConfig>;

/** The flag behind each key, to name the one at fault. */
const FLAGS: Record<string, string> = { pidFile: '--pid-file', timeoutMs: '--timeout', debounceMs: '--debounce', processName: '--process-name', usePolling: '--polling' };

export interface ResolvedAttach {
  readonly cwd: string;
  readonly configFile?: string;
  readonly preset: Preset;
  /** Absolute, when given. */
  readonly pidFile?: string;
  readonly script?: string;
  readonly signal: ReloadSignal;
  /** The signal replaces only some workers (Swoole USR2). */
  readonly partial: boolean;
  readonly fifo?: string;
  readonly health?: string;
  readonly expect?: RegExp | string;
  readonly watch: readonly string[];
  readonly ignore: readonly string[];
  readonly debounceMs: number;
  readonly timeoutMs: number;
  readonly processName: RegExp;
  readonly usePolling: boolean;
}

export interface ResolveAttachOptions {
  cwd: string;
  /** Explicit config file; otherwise smooth-reload.config.json in cwd when it has an `attach` section. */
  configFile?: string;
  /** From the flags; undefined values leave the file's. */
  overrides?: Partial<AttachConfigInput>;
}

/** Merge the file's `attach` section and the flags, validate, resolve paths. Throws ConfigError naming the key. */
export function resolveAttach(options: ResolveAttachOptions): ResolvedAttach {
  const cwd = path.resolve(options.cwd);
  let configFile = options.configFile ? path.resolve(cwd, options.configFile) : undefined;
  if (!configFile && fs.existsSync(path.join(cwd, CONFIG_FILE_NAME))) configFile = path.join(cwd, CONFIG_FILE_NAME);
  let fromFile: Record<string, unknown> = {};
  if (configFile) {
    const section = (readConfigFile(configFile) as Record<string, unknown>).attach;
    if (section !== undefined && (section === null || typeof section !== 'object' || Array.isArray(section))) {
      throw new ConfigError(`invalid configuration in ${configFile}: "attach" must be an object like {"preset": "gunicorn", "pidFile": "gunicorn.pid"}`, configFile, 'attach');
    }
    fromFile = (section as Record<string, unknown>) ?? {};
  }
  const merged: Record<string, unknown> = { ...fromFile };
  for (const [key, value] of Object.entries(options.overrides ?? {})) if (value !== undefined) merged[key] = value;
  const source = configFile && Object.keys(fromFile).length ? `${configFile} ("attach") and command-line options` : 'command-line options';
  if (merged.preset === undefined) {
    throw new ConfigError(`no preset: pass --preset ${PRESET_NAMES.join('|')}, or set "attach": {"preset": …} in ${CONFIG_FILE_NAME}`, configFile, 'attach.preset');
  }
  const parsed = AttachConfig.safeParse(merged);
  if (!parsed.success) {
    const name = (key: string) => (options.overrides?.[key as keyof AttachConfigInput] !== undefined ? (FLAGS[key] ?? `--${key}`) : `"attach.${key}"`);
    const lines = parsed.error.issues.map((i) => `${name(String(i.path[0] ?? ''))}${i.path.length > 1 ? ` (${i.path.slice(1).join('.')})` : ''}: ${i.message}`);
    throw new ConfigError(`invalid attach options in ${source}:\n  - ${lines.join('\n  - ')}`, configFile, `attach.${parsed.error.issues[0]?.path.join('.')}`);
  }
  const c = parsed.data;
  const preset = getPreset(c.preset);
  const signal = c.signal ? normalizeSignal(c.signal)! : preset.signal;
  if (c.fifo && preset.name !== 'uwsgi') {
    throw new ConfigError(`"attach.fifo" is for uWSGI's master FIFO, but the preset is ${preset.name}: remove it, or use --preset uwsgi`, configFile, 'attach.fifo');
  }
  if (c.expect && !c.health) {
    throw new ConfigError('"attach.expect" needs "attach.health" (--health URL): the expected text is looked for in that URL\'s response', configFile, 'attach.expect');
  }
  const processName = c.processName ? toRegExp(c.processName) : preset.processName;
  return Object.freeze({
    cwd,
    ...(configFile ? { configFile } : {}),
    preset,
    ...(c.pidFile ? { pidFile: path.resolve(cwd, c.pidFile) } : {}),
    ...(c.script ? { script: path.resolve(cwd, c.script) } : {}),
    signal,
    partial: preset.partialSignals.includes(signal),
    ...(c.fifo ? { fifo: path.resolve(cwd, c.fifo) } : {}),
    ...(c.health ? { health: c.health } : {}),
    ...(c.expect ? { expect: parseExpect(c.expect) } : {}),
    watch: c.watch ?? preset.watch,
    ignore: c.ignore,
    debounceMs: c.debounceMs,
    timeoutMs: c.timeoutMs,
    processName,
    usePolling: c.usePolling,
  });
}

function toRegExp(raw: string): RegExp {
  const parsed = parseExpect(raw);
  return typeof parsed === 'string' ? new RegExp(parsed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i') : parsed;
}
