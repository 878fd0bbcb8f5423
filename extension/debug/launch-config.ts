/**
 * The `node` launch configuration that runs a folder's master under VS Code's JavaScript debugger
 * (js-debug), for "Smooth Reload: Start with Debugger" and the `smooth-reload` launch.json type.
 * Pure (no vscode import), so its fields are unit-tested.
 */
import * as path from 'node:path';
import { MASTER_NODE_FLAGS, masterEnv, MASTER_ONLY_ENV } from '../../server/node-flags';

/** The field our configurations carry through js-debug: the folder whose master it launches. */
export const DEBUG_FOLDER_FIELD = 'smoothReloadFolder';

/** The launch.json type this extension contributes. */
export const DEBUG_TYPE = 'smooth-reload';

export interface DebugLaunchInput {
  folder: string;
  /** Shown in the debug toolbar and the Call Stack view. */
  name: string;
  nodePath: string;
  cliPath: string;
  /** `--port` from the config file (0: the master picks), as Start passes it. */
  port?: number;
  logLevel?: string;
  ignore?: readonly string[];
  /** launch.json `args`: more arguments of `serve` (an entry, `--workers 2`, …). */
  args?: readonly string[];
  /** The environment the master's own variables are computed against (process.env). */
  baseEnv?: NodeJS.ProcessEnv;
}

/** The js-debug configuration: the bundled CLI's `serve` as `program`, every child Node process attached. */
export function nodeLaunchConfig(input: DebugLaunchInput): Record<string, unknown> {
  const dist = path.dirname(input.cliPath);
  // --debug: a worker paused at a breakpoint is never timed out, killed or counted as crashed.
  const args = ['serve', '--debug', '--cwd', input.folder];
  if (input.port !== undefined) args.push('--port', String(input.port));
  if (input.logLevel) args.push('--log-level', input.logLevel);
  for (const glob of input.ignore ?? []) args.push(`--ignore=${glob}`);
  args.push(...(input.args ?? []));
  // Only the variables masterEnv() adds (MALLOC_ARENA_MAX and the list of them, so workers do
  // not inherit them); js-debug merges these over the extension host's environment.
  const full = masterEnv(input.baseEnv ?? process.env);
  const env = Object.fromEntries((full[MASTER_ONLY_ENV] ?? '').split(',').filter(Boolean).map((name) => [name, full[name]!]));
  if (full[MASTER_ONLY_ENV]) env[MASTER_ONLY_ENV] = full[MASTER_ONLY_ENV];
  return {
    type: 'node',
    request: 'launch',
    name: input.name,
    program: input.cliPath,
    args,
    cwd: input.folder,
    runtimeExecutable: input.nodePath,
    runtimeArgs: [...MASTER_NODE_FLAGS],
    env,
    // js-debug's bootloader (NODE_OPTIONS) attaches every Node child of the master, workers and
    // warm standbys of every generation, before their first line of app code runs.
    autoAttachChildProcesses: true,
    // The master's own output (its CLI printer writes to stdout) goes to the Debug Console.
    console: 'internalConsole',
    outputCapture: 'std',
    // The debug toolbar's Stop must not kill the process tree (js-debug's default): the linker
    // stops the master through its control channel, so it drains and stops its workers itself.
    killBehavior: 'none',
    // Never step into Node's internals or our master, bootstrap, standby and shim bundles.
    skipFiles: ['<node_internals>/**', `${dist}/**`],
    // Our bundles' source maps are large and of no use to the user: js-debug does not read them.
    resolveSourceMapLocations: [`${input.folder}/**`, '!**/node_modules/**', `!${dist}/**`],
    [DEBUG_FOLDER_FIELD]: input.folder,
  };
}

/** The folder a debug session launched, if it is one of ours (its configuration carries the field). */
export function debugFolderOf(configuration: Record<string, unknown>): string | undefined {
  const folder = configuration[DEBUG_FOLDER_FIELD];
  return typeof folder === 'string' ? folder : undefined;
}
