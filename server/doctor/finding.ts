/** Building blocks the checks share: the finding builder (server/finding.ts), and 1-based positions in text. */

export { finding, type Where } from '../finding';

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
