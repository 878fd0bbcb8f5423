/**
 * The doctor: why a reload did not (or will not) take effect, as findings with file, line and fix.
 * `runDoctor` is what the CLI and the editor call; `checkLoadedFiles` is the runtime check the
 * master runs on each new worker. No editor imports: this runs anywhere the master runs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIG_FILE_NAME, ConfigError, resolveConfig, type ResolvedConfig } from '../config';
import type { Finding } from '../protocol';
import { gatherFacts, type Facts } from './facts';
import { finding, locateJsonValue } from './finding';
import { checkMasterProcess } from './checks/master-process';
import { checkNodeShutdown } from './checks/node-shutdown';
import { checkOpcache } from './checks/opcache';
import { checkPort } from './checks/port';
import { checkPreloadedCode } from './checks/preload';
import { checkReadable } from './checks/readable';
import { checkRootOwned } from './checks/root-owned';
import { checkStaleBuild } from './checks/stale-build';
import { checkStateDir } from './checks/state-dir';
import { checkSwoole } from './checks/swoole';
import { checkWatchIgnore } from './checks/watch-ignore';
import { checkWatchLimit } from './checks/watch-limit';
import { checkWatchMount } from './checks/watch-mount';
import { checkWatchPaths } from './checks/watch-paths';

import { runEntryOnce, type RunReport } from './run-entry';

export { checkLoadedFiles, readIfPresent, type ReadFile } from './checks/loaded-files';
export type { RunReport } from './run-entry';
export { gatherFacts, type Facts } from './facts';

/** Every static check, each a pure function of the facts. */
export const CHECKS: readonly ((facts: Facts) => Finding[])[] = [
  checkStaleBuild,
  checkPreloadedCode,
  checkOpcache,
  checkNodeShutdown,
  checkSwoole,
  checkReadable,
  checkStateDir,
  checkRootOwned,
  checkPort,
  checkMasterProcess,
  checkWatchLimit,
  checkWatchMount,
  checkWatchPaths,
  checkWatchIgnore,
];

export interface DoctorOptions {
  /** The project folder. */
  dir: string;
  /** The resolved config; read from the folder's smooth-reload.config.json when not given. */
  config?: ResolvedConfig;
  /**
   * `doctor --run`: also start the app once in a throwaway worker, SIGTERM it and report whether
   * it exited. `distDir` holds bootstrap.js and worker-shim.js (the CLI's or the extension's dist/).
   */
  run?: {
    distDir: string;
    /** Node for the worker when the config names none (the editor's setting; its host's own binary is Electron). */
    nodePath?: string;
  };
}

export interface DoctorReport {
  findings: Finding[];
  /** Set with `run`, once the app could be started (or failed to). */
  run?: RunReport;
}

const RANK = { error: 0, warning: 1, info: 2 } as const;

/** Run every check on the project; errors first. Never throws for a broken project: that is a finding. */
export async function runDoctor(options: DoctorOptions): Promise<Finding[]> {
  return (await doctorReport(options)).findings;
}

/** The findings, and with `run` what the app did on SIGTERM. */
export async function doctorReport(options: DoctorOptions): Promise<DoctorReport> {
  const dir = path.resolve(options.dir);
  if (!isDir(dir)) {
    return { findings: [finding('SR_NO_PROJECT', 'error', `${dir} is not a folder the doctor can look into`, 'pass the project folder: smooth-reload doctor path/to/project', {})] };
  }
  const findings: Finding[] = [];
  let config = options.config;
  if (!config && fs.existsSync(path.join(dir, CONFIG_FILE_NAME))) {
    try {
      config = resolveConfig({ cwd: dir });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      findings.push(configFinding(err));
    }
  }
  const facts = await gatherFacts({ dir, ...(config ? { config } : {}) });
  for (const check of CHECKS) findings.push(...check(facts));
  let run: RunReport | undefined;
  if (options.run && !findings.some((f) => f.code === 'SR_CONFIG_INVALID')) {
    // The entry as `serve` would find and run it (a TypeScript entry through its loader).
    let runConfig: ResolvedConfig | undefined;
    try {
      runConfig = resolveConfig({ cwd: dir, zeroConfig: true });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      findings.push(finding('SR_RUN_NOTHING', 'error', `doctor --run cannot start the app: ${err.message}`, 'set "entry" (or "command") in smooth-reload.config.json', err.file ? { file: err.file } : {}));
    }
    if (runConfig) {
      run = await runEntryOnce({ config: runConfig, distDir: options.run.distDir, ...(options.run.nodePath ? { nodePath: options.run.nodePath } : {}) });
      findings.push(...run.findings);
    }
  }
  return { findings: findings.sort((a, b) => RANK[a.severity] - RANK[b.severity]), ...(run ? { run } : {}) };
}

function configFinding(err: ConfigError): Finding {
  let at: { line: number; column: number } | undefined;
  if (err.file && err.key) {
    try {
      at = locateJsonValue(fs.readFileSync(err.file, 'utf8'), err.key.split('.').pop()!);
    } catch {
      // The message says the file cannot be read.
    }
  }
  return finding('SR_CONFIG_INVALID', 'error', err.message, 'fix the setting named in the message; docs/configuration.md lists every key', err.file ? { file: err.file, ...(at ?? {}) } : {});
}

function isDir(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
