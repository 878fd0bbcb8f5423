/** Building blocks the checks share: a finding with its docs anchor, and 1-based positions in text. */
import type { Finding, Severity } from '../protocol';

export interface Where {
  file?: string;
  line?: number;
  column?: number;
}

/** A finding whose docs link is the code's section in docs/troubleshooting.md. */
export function finding(code: string, severity: Severity, message: string, fix: string, where: Where = {}, related?: Finding['related']): Finding {
  return {
    code,
    severity,
    message,
    ...(where.file ? { file: where.file } : {}),
    ...(where.file && where.line ? { line: where.line } : {}),
    ...(where.file && where.line && where.column ? { column: where.column } : {}),
    fix,
    docs: `docs/troubleshooting.md#${code.toLowerCase()}`,
    ...(related?.length ? { related } : {}),
  };
}

/** 1-based line and column of a character offset. */
export function positionAt(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < index && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: index - lineStart + 1 };
}

/**
 * Where a JSON string value (a config entry) sits in the config file, for findings that point
 * at a setting: the first `"value"` after `"key"`. Undefined when it is not in the file.
 */
export function locateJsonValue(text: string | undefined, key: string, value?: string): { line: number; column: number } | undefined {
  if (!text) return undefined;
  const keyAt = text.indexOf(JSON.stringify(key));
  if (keyAt < 0) return undefined;
  if (value === undefined) return positionAt(text, keyAt);
  const valueAt = text.indexOf(JSON.stringify(value), keyAt);
  return valueAt < 0 ? positionAt(text, keyAt) : positionAt(text, valueAt);
}
