/**
 * Code snapshots for rollback. Each Node worker's bootstrap copies every file it compiles (outside
 * node_modules) into its generation's folder, `.smooth-reload/snapshots/gen-N/`, at the moment it
 * compiles it, so even a file required lazily is kept exactly as that generation ran it. A
 * rollback starts workers whose bootstrap compiles those copies instead of the files on disk;
 * the saved sources stay untouched. ES modules are not covered (the bootstrap hooks CommonJS).
 */
import { finding } from '../finding';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { STATE_DIR } from '../state-file';
import { SNAPSHOT_DIR_ENV, SNAPSHOT_FROM_ENV, readSnapshot } from '../runners/snapshot-files';
import type { Finding } from '../protocol';
import type { WorkerSpec } from './worker-spec';

export { SNAPSHOT_DIR_ENV, SNAPSHOT_FROM_ENV, readSnapshot } from '../runners/snapshot-files';

export function snapshotDir(cwd: string, generation: number): string {
  return path.join(cwd, STATE_DIR, 'snapshots', `gen-${generation}`);
}

/** Remove snapshot folders other than the kept generations'. */
export function pruneSnapshots(cwd: string, keepDirs: string[]): void {
  const root = path.join(cwd, STATE_DIR, 'snapshots');
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(root);
  } catch {
    return;
  }
  for (const e of entries) {
    const dir = path.join(root, e);
    if (!keepDirs.includes(dir)) fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface KeptSnapshot {
  generation: number;
  dir: string;
}

/** Which snapshot folders hold the live and the previous generation's code (older ones are deleted). */
export class SnapshotHistory {
  current: KeptSnapshot | undefined;
  previous: KeptSnapshot | undefined;

  constructor(private readonly cwd: string) {}

  /** A generation went live; `reused`: a rollback runs an older generation's folder. */
  keep(generation: number, reused?: KeptSnapshot): void {
    const current = reused ?? { generation, dir: snapshotDir(this.cwd, generation) };
    this.previous = this.current;
    this.current = current;
    pruneSnapshots(this.cwd, [current.dir, ...(this.previous ? [this.previous.dir] : [])]);
  }
}

/** `spec` set to compile a kept snapshot instead of the disk; undefined when the snapshot cannot run it (command workers, an entry it does not hold). */
export function runningSnapshot(spec: WorkerSpec, dir: string): WorkerSpec | undefined {
  if (spec.command || !spec.entry || !readSnapshot(dir).has(spec.entry)) return undefined;
  return { ...spec, env: { ...spec.env, [SNAPSHOT_FROM_ENV]: dir } };
}

/** What a rollback runs: the previous generation's snapshot, or why it cannot (SR_NO_ROLLBACK). */
export function rollbackPlan(spec: WorkerSpec, previous: KeptSnapshot | undefined): { spec: WorkerSpec; files: number } | { cannot: Finding } {
  const cannot = (why: string) => ({
    cannot: finding('SR_NO_ROLLBACK', 'warning', `cannot roll back: ${why}`, 'undo the change in the editor (or with git) and save; the master reloads from disk'),
  });
  if (!previous) return cannot('there is no previous generation (rollback works after at least one successful reload)');
  if (spec.command) return cannot('command workers do not report the files they load, so their code is not kept');
  const running = runningSnapshot(spec, previous.dir);
  if (!running) return cannot(`generation ${previous.generation}'s code was not kept (${path.basename(spec.entry ?? '')} is not a CommonJS file the bootstrap could copy)`);
  return { spec: running, files: readSnapshot(previous.dir).size };
}

/** Each generation keeps a copy of what it compiles, so a later rollback can return to it (Node workers not already running a snapshot). */
export function keepingSnapshot(spec: WorkerSpec, cwd: string, generation: number): WorkerSpec {
  if (spec.command || spec.env[SNAPSHOT_FROM_ENV]) return spec;
  return { ...spec, env: { ...spec.env, [SNAPSHOT_DIR_ENV]: snapshotDir(cwd, generation) } };
}

/**
 * What a replacement for a live worker runs: the live generation's code. After a reload that
 * failed, the disk holds newer (broken) code, so a Node worker starts from the generation's
 * snapshot rather than from the disk.
 */
export function replacementSpec(liveSpec: WorkerSpec, current: KeptSnapshot | undefined): WorkerSpec {
  if (liveSpec.env[SNAPSHOT_FROM_ENV] || !current) return liveSpec;
  return runningSnapshot(liveSpec, current.dir) ?? liveSpec;
}
