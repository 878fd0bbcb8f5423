import * as v8 from 'node:v8';

/**
 * Node flags for the master process, used wherever Smooth Reload spawns one (the extension, the
 * benchmark, the soak, `npm run demo`). V8 reads the semi-space size when the heap is set up, so it
 * must be on the command line (`v8.setFlagsFromString` at run time changed nothing in the bench);
 * a master started without these flags sets MASTER_RUNTIME_V8_FLAGS on itself instead (below).
 * - `--max-semi-space-size=2`: the master proxies every request; under load V8 grows its young
 *   generation to 16 MB per semi-space, which took the master from 68 MB to 102 MB RSS in a 5 s,
 *   50-connection autocannon run. 2 MB semi-spaces keep it near its idle size.
 * - `--heap-growing-percent=20`: with small semi-spaces, per-connection objects are promoted, and
 *   the old generation grew to 52 MB (master RSS 110 MB) in the bench's `Connection: close` phase
 *   before its first full GC. Growing the heap by 20% at a time instead of V8's default factor
 *   kept it at about 25 MB.
 * Measured with `npm run bench -- --tools sr-save --skip-proxy` (master peak RSS: 2 MB semi-spaces
 * alone 110 MB; with 20% growth 80-81 MB, with 10% or 5% the same) and the master's CPU time per
 * proxied request over 30,000 requests (V8 defaults 105-111 µs, these flags 114 µs). 1 MB
 * semi-spaces kept the peak at 79 MB but cost 138-141 µs per request: more scavenges.
 */
export const MASTER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--heap-growing-percent=20'];

/**
 * V8 flags the master sets on itself at start (`v8.setFlagsFromString`, first thing in the CLI:
 * server/cli/master-v8-flags.ts), so that a master started from a terminal with no flags at all
 * (`smooth-reload serve app.js`) stays as small as one started with MASTER_NODE_FLAGS. Only flags
 * V8 reads after start-up can work this way; `--max-semi-space-size` is read once, when the heap
 * is set up, so at run time it changes nothing (measured on Node 20, 22 and 24).
 * - `--semi-space-growth-factor=1`: V8 reads it each time it considers growing the young
 *   generation, and grows it whenever the bytes that survived scavenges since the last growth
 *   exceed its size, which a long-running master always reaches: without flags its semi-spaces
 *   went 4 → 8 → 16 MB during 200 reloads under light keep-alive load, 24 MB of its 73 → 102 MB
 *   RSS growth (the rest: old-generation garbage awaiting a full GC, 2 MB outside the V8 heap;
 *   docs/benchmarks.md, "Master memory from a terminal"). With factor 1 they stay at the
 *   size they start with, 1 MB, so set before the CLI's modules load (loading them alone grows
 *   them to 2 MB, 4 MB on Node 24).
 * - `--heap-growing-percent=20`: read each time V8 sets the old generation's next limit (as in
 *   MASTER_NODE_FLAGS).
 * A flag is left out when the command line or NODE_OPTIONS already sets it or a semi-space size
 * (MASTER_NODE_FLAGS' `--max-semi-space-size=2` keeps its 2 MB semi-spaces, a user's own choice
 * is kept too).
 */
export const MASTER_RUNTIME_V8_FLAGS: readonly string[] = ['--semi-space-growth-factor=1', '--heap-growing-percent=20'];

/** Flags (by name) that, when already given, leave the runtime flag of that key out. */
const RUNTIME_FLAG_OVERRIDDEN_BY: Readonly<Record<string, readonly string[]>> = {
  '--semi-space-growth-factor': ['--semi-space-growth-factor', '--max-semi-space-size', '--min-semi-space-size'],
  '--heap-growing-percent': ['--heap-growing-percent'],
};

/** `--max_semi_space_size=4` and `--max-semi-space-size 4` both give `--max-semi-space-size`. */
function flagName(arg: string): string {
  return arg.split('=')[0].replace(/_/g, '-');
}

/**
 * The runtime flags to apply given the node arguments the process was started with
 * (`process.execArgv`) and NODE_OPTIONS: those the user or the launcher did not set already.
 */
export function masterRuntimeV8Flags(execArgv: readonly string[], nodeOptions = ''): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].filter((a) => a.startsWith('--')).map(flagName));
  return MASTER_RUNTIME_V8_FLAGS.filter((flag) => !RUNTIME_FLAG_OVERRIDDEN_BY[flagName(flag)].some((name) => given.has(name)));
}

/**
 * Applies masterRuntimeV8Flags() to this process and returns what it applied. For the master
 * only: every flag is process-wide and holds until the process exits.
 */
export function applyMasterRuntimeV8Flags(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const flags = masterRuntimeV8Flags(execArgv, nodeOptions);
  if (flags.length) v8.setFlagsFromString(flags.join(' '));
  return flags;
}

/**
 * Environment for the master process alone, set by the extension, the benchmark and the soak
 * (`npm run demo` passes only the flags above).
 * - `MALLOC_ARENA_MAX=2`: glibc gives each thread that allocates its own malloc arena (up to 8 per
 *   CPU); the master's native allocations (sockets, parsers, write requests) then spread over
 *   several arenas that are not given back. Under the bench's `Connection: close` load the
 *   master peaked at 78 MB RSS with the default and 73-74 MB with 2 arenas (1 arena: 72 MB), at
 *   the same CPU per request (62-64 µs). Measured with a 5 s, 50-client `Connection: close` loop
 *   and a 4 s autocannon run against `serve --workers 2`.
 * A value the user already set is kept, and then reaches the workers as before.
 */
const MASTER_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
/** Names the variables set for the master alone, so it does not pass them on to the app's workers. */
export const MASTER_ONLY_ENV = 'SMOOTH_RELOAD_MASTER_ONLY_ENV';

/** `base` with the master's own variables added (those the user has not set). */
export function masterEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const added = Object.keys(MASTER_ENV).filter((name) => base[name] === undefined);
  if (!added.length) return { ...base };
  return { ...base, ...Object.fromEntries(added.map((name) => [name, MASTER_ENV[name]])), [MASTER_ONLY_ENV]: added.join(',') };
}

/** The master's environment as its workers get it: without what was set for the master alone. */
export function withoutMasterOnlyEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out = { ...env } as Record<string, string>;
  for (const name of (env[MASTER_ONLY_ENV] ?? '').split(',')) if (name) delete out[name];
  delete out[MASTER_ONLY_ENV];
  return out;
}
