/**
 * Whether a warm standby may run this app (pure). A standby boots Node and its preloads ahead of
 * the save, so anything a preload reads (the app's own files, an env file) would be as old as the
 * standby. Only preloads that compile code on demand are safe: they read the app's files when the
 * entry runs, after `go`.
 */
import * as path from 'node:path';

/** Preloads known to read nothing of the app at preload time: they register compilers and hooks. */
export const SAFE_PRELOADS = new Set([
  'tsx',
  'tsx/cjs',
  'tsx/esm',
  'ts-node/register',
  'ts-node/register/transpile-only',
  'ts-node/esm',
  '@swc-node/register',
  'esbuild-register',
  '@babel/register',
  'source-map-support/register',
]);

/** The packages of those preloads: a path inside one of them (`…/node_modules/tsx/dist/loader.mjs`) is as safe. */
const SAFE_PACKAGES = new Set(['tsx', 'ts-node', '@swc-node/register', 'esbuild-register', '@babel/register', 'source-map-support']);

/**
 * VS Code's JavaScript debugger attaches child processes through NODE_OPTIONS
 * (`--require …/ms-vscode.js-debug/src/bootloader.js`): it connects the inspector and reads
 * nothing of the app, so a standby started under it is attached before the app's code runs.
 */
const JS_DEBUG_BOOTLOADER = /[\\/]ms-vscode\.js-debug(?:-nightly)?(?:-[\d.]+)?[\\/]src[\\/]bootloader\.js$/;

function isSafePreload(value: string): boolean {
  if (SAFE_PRELOADS.has(value) || JS_DEBUG_BOOTLOADER.test(value)) return true;
  const inPackage = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(path.normalize(value.replace(/^file:\/\//, '')));
  return !!inPackage && SAFE_PACKAGES.has(inPackage[1].replace(/\\/g, '/'));
}

const PRELOAD_FLAGS = ['--require', '-r', '--import', '--loader', '--experimental-loader'];
const ENV_FILE_FLAGS = ['--env-file', '--env-file-if-exists'];

/** Why a standby cannot be used with these Node arguments, or undefined when it can. */
export function standbyBlocker(nodeArgs: readonly string[], nodeOptions = ''): string | undefined {
  for (const [where, args] of [['nodeArgs', nodeArgs], ['NODE_OPTIONS', splitOptions(nodeOptions)]] as const) {
    for (let i = 0; i < args.length; i++) {
      const [flag, inline] = splitFlag(args[i]);
      if (ENV_FILE_FLAGS.includes(flag)) return `${where} has ${flag}: Node reads that file at start, so only a fresh process sees its changes`;
      if (!PRELOAD_FLAGS.includes(flag)) continue;
      const value = inline ?? args[++i] ?? '';
      if (!isSafePreload(value)) return `${where} preloads ${value || '(nothing)'} (${flag}), which may read app files at start; only fresh processes see their changes`;
    }
  }
  return undefined;
}

function splitFlag(arg: string): [string, string | undefined] {
  const eq = arg.indexOf('=');
  return arg.startsWith('--') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
}

/** NODE_OPTIONS as Node splits it: on spaces, with double quotes grouping. */
function splitOptions(options: string): string[] {
  return (options.match(/"[^"]*"|\S+/g) ?? []).map((s) => s.replace(/^"|"$/g, ''));
}

/** Why the pool runs no standbys at all for this config, or undefined when it may. */
export function standbyOffReason(o: { enabled: boolean; command: boolean; nodeArgs: readonly string[]; nodeOptions: string }): string | undefined {
  if (!o.enabled) return 'reload.standby is false';
  if (o.command) return 'command workers start their own program';
  return standbyBlocker(o.nodeArgs, o.nodeOptions);
}

/** What happens to the standbys on a pool event. */
export type StandbyEvent =
  /** A reload batch or a crash/recycle replacement ended: refill, after a delay (the new workers' first requests go first). */
  | 'settling'
  /** A full restart begins: a booted process may hold what changed (restartOn files), so only fresh processes. */
  | 'restart'
  /** A standby could not work for this app (a preload compiled app code, Node exited at start): off for good. */
  | 'problem'
  | 'close';

export function standbyAction(event: StandbyEvent, state: { off: boolean; closing: boolean }): 'refill' | 'drop' | 'none' {
  if (event === 'settling') return state.off || state.closing ? 'none' : 'refill';
  return 'drop';
}

/** How many standbys to boot: one per worker, counting those booting or parked. */
export function standbysToBoot(workers: number, kept: number): number {
  return Math.max(0, workers - kept);
}
