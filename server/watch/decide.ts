/**
 * What a batch of changes does (pure). Every change takes this path, whoever saw it first: the
 * master's watcher, the editor's save, `smooth-reload changed`. The batch is already classified
 * (classify.ts); this decides, in one place, between a restart, a rolling reload, a browser-only
 * update and nothing, and whether the config file changed.
 */
import type { ChangeBatch } from './classify';

export type WorkerAction = 'restart' | 'reload';

export interface ChangeDecision {
  /** The workers' action and the files that ask for it; undefined when the workers keep running. */
  workers?: { kind: WorkerAction; files: string[] };
  /** A browser-only update (stylesheets swapped, or pages reloaded for other static files). */
  browser?: { reason: 'css' | 'asset'; files: string[] };
  /** The master's own config file changed: a note, never a reload (it is read once, at start). */
  config?: string;
  /** Every file the decision covers (a later report of the same save joins it). */
  covered: string[];
}

export function decideChanges(batch: ChangeBatch): ChangeDecision {
  const decision: ChangeDecision = { covered: [], ...(batch.config.length ? { config: batch.config[0] } : {}) };
  // A restart serves every other change too; a reload serves code, and its browser reload
  // (after the new workers are live) picks up stylesheets and assets saved with it.
  if (batch.restart.length) decision.workers = { kind: 'restart', files: batch.restart };
  else if (batch.code.length) decision.workers = { kind: 'reload', files: batch.code };
  else if (batch.css.length || batch.asset.length) {
    decision.browser = { reason: batch.asset.length ? 'asset' : 'css', files: [...batch.css, ...batch.asset] };
  }
  if (decision.workers || decision.browser) decision.covered = [...batch.restart, ...batch.code, ...batch.css, ...batch.asset];
  return decision;
}

/** The reason a reload shows ("changed a.js, b.js and 3 more"). */
export function changeReason(files: readonly string[]): string {
  const shown = files.length <= 3 ? files.join(', ') : `${files.slice(0, 3).join(', ')} and ${files.length - 3} more`;
  return `changed ${shown}`;
}
