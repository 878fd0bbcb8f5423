/**
 * Findings → diagnostic data, and the mechanical quick fixes some findings allow. Pure: the
 * vscode layer (diagnostics.ts, code-actions.ts) only turns these values into API objects.
 */
import * as path from 'node:path';
import type { Finding, Severity } from '../server/protocol';

export const DIAGNOSTIC_SOURCE = 'Smooth Reload';

/** A range with 0-based lines and characters, as VS Code wants them. */
export interface Range0 {
  startLine: number;
  startCharacter: number;
  endLine: number;
  endCharacter: number;
}

export interface DiagnosticData {
  /** Absolute path of the file the diagnostic goes on. */
  file: string;
  range: Range0;
  severity: Severity;
  message: string;
  code: string;
  /** Fragment of docs/troubleshooting.md that explains the code. */
  docsFragment: string;
  related: { file: string; line: number; message: string }[];
  /** True when the finding named no file and was put on the config file. */
  onConfigFile: boolean;
}

/** A finding whose line is known but not its column covers the whole line (VS Code clamps the end). */
const LINE_END = 10_000;

export function docsFragment(code: string): string {
  return code.toLowerCase();
}

/**
 * Map one finding. Lines in findings are 1-based; relative files resolve against `folder`.
 * A finding without a file goes on `configFile`; with neither, there is no diagnostic (undefined)
 * and the caller shows it in the output channel instead. Related places inside `internalDir`
 * (the extension's dist/) are dropped.
 */
export function findingToDiagnostic(f: Finding, folder: string, configFile?: string, internalDir?: string): DiagnosticData | undefined {
  const file = f.file ? path.resolve(folder, f.file) : configFile;
  if (!file) return undefined;
  const onConfigFile = !f.file;
  const line = onConfigFile ? 0 : Math.max(0, (f.line ?? 1) - 1);
  const character = onConfigFile ? 0 : Math.max(0, (f.column ?? 1) - 1);
  const endLine = !onConfigFile && f.endLine ? f.endLine - 1 : line;
  const endCharacter = !onConfigFile && f.endColumn ? f.endColumn - 1 : f.column && !f.endLine ? character + 1 : LINE_END;
  return {
    file,
    range: { startLine: line, startCharacter: character, endLine: Math.max(line, endLine), endCharacter },
    severity: f.severity,
    message: f.fix ? `${f.message}\nFix: ${f.fix}` : f.message,
    code: f.code,
    docsFragment: docsFragment(f.code),
    related: (f.related ?? [])
      .map((r) => ({ file: path.resolve(folder, r.file), line: Math.max(0, (r.line ?? 1) - 1), message: r.message }))
      // Frames inside Smooth Reload's own bundle (the worker bootstrap) say nothing about the app.
      .filter((r) => !internalDir || !r.file.startsWith(internalDir + path.sep)),
    onConfigFile,
  };
}

/**
 * One folder's findings, by source. A `findings` event replaces its source's list (an empty
 * list clears it); reload failures live under the source "reload" until the next good reload.
 */
export class FindingStore {
  private readonly bySource = new Map<string, Finding[]>();

  set(source: string, findings: readonly Finding[]): void {
    if (findings.length) this.bySource.set(source, [...findings]);
    else this.bySource.delete(source);
  }

  clear(source?: string): void {
    if (source === undefined) this.bySource.clear();
    else this.bySource.delete(source);
  }

  all(): Finding[] {
    const seen = new Set<string>();
    const out: Finding[] = [];
    for (const f of [...this.bySource.values()].flat()) {
      // The same finding may come from two sources (status.findings and a reload-failed event).
      const key = `${f.code}\0${f.file ?? ''}\0${f.line ?? ''}\0${f.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(f);
    }
    return out;
  }

  get size(): number {
    return this.all().length;
  }
}

// ---- quick fixes ------------------------------------------------------------

/** A mechanical edit of smooth-reload.config.json: set a key (dotted path) or remove one. */
export type ConfigFix = { title: string; set: string; value: unknown } | { title: string; remove: string };

/** The quick fix a finding allows, if any. */
export function quickFixFor(f: Finding): ConfigFix | undefined {
  const text = `${f.message} ${f.fix ?? ''}`;
  if (f.code === 'SR_WATCH_LIMIT' || /"?watch\.usePolling"?\s*:\s*true/.test(text)) {
    return { title: 'Set "watch": {"usePolling": true} in smooth-reload.config.json', set: 'watch.usePolling', value: true };
  }
  if (f.code === 'SR_PORT_IN_USE') return { title: 'Set "port": 0 (pick a free port) in smooth-reload.config.json', set: 'port', value: 0 };
  const unknownKey = /unknown key "([\w.$]+)"/.exec(text);
  if (unknownKey) return { title: `Remove the unknown key "${unknownKey[1]}" from smooth-reload.config.json`, remove: unknownKey[1] };
  return undefined;
}

/** Apply a fix to the config file's text; returns the new text (2-space JSON) or throws on invalid JSON. */
export function applyConfigFix(text: string, fix: ConfigFix): string {
  const json = (text.trim() ? JSON.parse(text) : {}) as Record<string, unknown>;
  const keys = ('set' in fix ? fix.set : fix.remove).split('.');
  let obj: Record<string, unknown> = json;
  for (const k of keys.slice(0, -1)) {
    const next = obj[k];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      if ('remove' in fix) return JSON.stringify(json, null, 2) + '\n';
      obj[k] = {};
    }
    obj = obj[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1];
  if ('set' in fix) obj[last] = fix.value;
  else delete obj[last];
  return JSON.stringify(json, null, 2) + '\n';
}
