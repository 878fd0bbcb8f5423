/**
 * SR_SIGTERM_NO_EXIT: the Node entry installs a SIGTERM/SIGINT handler that neither exits nor
 * closes anything. Once a handler exists Node no longer exits on the signal by itself, so every
 * reload waits `reload.killTimeoutMs` for the old worker and then SIGKILLs it (in-flight requests
 * and connections die with it). Static: the handler's body, and functions it calls that are
 * defined in the same file; a call into another module is assumed to shut down (no guessing).
 */
import * as path from 'node:path';
import type { Finding } from '../../protocol';
import type { Facts } from '../facts';
import { finding, positionAt } from '../finding';
import { maskSource, matchingBracket } from '../source-scan';

const JS = /\.(c|m)?(j|t)sx?$/;
const SIGNAL_HANDLER = /process\s*\.\s*(?:on|once|addListener|prependListener|prependOnceListener)\s*\(\s*(['"`])(SIGTERM|SIGINT)\1\s*,/g;
/** Calls that end the process or release what keeps it alive. */
const SHUTS_DOWN = /process\s*\.\s*(exit|kill|abort)\b|\.\s*(close|closeAllConnections|destroy|stop|shutdown|end|terminate|disconnect|unref|exit|kill)\w*\s*\(|\bclear(Interval|Timeout)\s*\(/i;
const KEYWORDS = new Set(['if', 'for', 'while', 'switch', 'catch', 'function', 'return', 'typeof', 'new', 'await', 'async', 'setTimeout', 'setImmediate', 'Promise', 'String', 'Number', 'Date', 'JSON', 'require']);

/** Body text of a function defined in the file under `name`, or undefined. */
function definitionOf(text: string, masked: string, name: string): string | undefined {
  const esc = name.replace(/\$/g, '\\$');
  const patterns = [new RegExp(`function\\s*\\*?\\s*${esc}\\s*\\(`), new RegExp(`\\b(?:const|let|var)\\s+${esc}\\s*=\\s*(?:async\\s*)?`), new RegExp(`^\\s*(?:async\\s+)?${esc}\\s*\\([^)]*\\)\\s*\\{`, 'm')];
  for (const p of patterns) {
    const m = p.exec(masked);
    if (!m) continue;
    return expressionBody(text, masked, m.index + m[0].length);
  }
  return undefined;
}

/** The function text starting near `from`: a braced body, or an arrow's expression up to `;`/newline. */
function expressionBody(text: string, masked: string, from: number): string {
  const arrow = masked.indexOf('=>', from);
  const brace = masked.indexOf('{', from);
  const lineEnd = masked.slice(from).search(/[;\n]/);
  if (arrow >= 0 && (brace < 0 || arrow < brace)) {
    const after = masked.slice(arrow + 2).search(/\S/);
    const start = arrow + 2 + Math.max(0, after);
    if (masked[start] !== '{') {
      const end = masked.slice(start).search(/[;\n]/);
      return text.slice(start, end < 0 ? undefined : start + end);
    }
    return text.slice(start, matchingBracket(masked, start) + 1);
  }
  if (brace < 0 || (lineEnd >= 0 && from + lineEnd < brace && masked.slice(from, brace).includes(';'))) return text.slice(from, from + Math.max(lineEnd, 0));
  return text.slice(brace, matchingBracket(masked, brace) + 1);
}

/** Whether the handler text shuts down, following same-file functions up to `depth` calls deep. */
function shutsDown(body: string, text: string, masked: string, depth: number, seen: Set<string>): boolean {
  const mb = maskSource(body);
  if (SHUTS_DOWN.test(mb)) return true;
  if (depth === 0) return false;
  for (const m of mb.matchAll(/(?<![.\w$])([A-Za-z_$][\w$]*)\s*\(/g)) {
    const name = m[1];
    if (KEYWORDS.has(name) || seen.has(name)) continue;
    seen.add(name);
    const def = definitionOf(text, masked, name);
    // Defined elsewhere (imported): it may well close the server; do not claim otherwise.
    if (def === undefined) return true;
    if (shutsDown(def, text, masked, depth - 1, seen)) return true;
  }
  return false;
}

/** Findings for one JavaScript/TypeScript source (exported for unit tests). */
export function checkShutdownSource(file: string, text: string, killTimeoutMs: number): Finding[] {
  const masked = maskSource(text);
  const out: Finding[] = [];
  for (const m of text.matchAll(SIGNAL_HANDLER)) {
    const at = m.index!;
    if (masked[at] !== 'p') continue; // In a comment or a string.
    const open = masked.indexOf('(', at);
    const close = matchingBracket(masked, open);
    if (close < 0) continue;
    const handler = text.slice(at + m[0].length, close).trim();
    const maskedHandler = maskSource(handler);
    let body: string | undefined = handler;
    const ident = /^([A-Za-z_$][\w$.]*)$/.exec(maskedHandler.trim());
    if (ident) {
      // A named function (or a method like server.close bound elsewhere): find it in this file.
      if (ident[1].includes('.')) continue;
      body = definitionOf(text, masked, ident[1]);
      if (body === undefined) continue;
    }
    if (shutsDown(body, text, masked, 2, new Set())) continue;
    out.push(
      finding(
        'SR_SIGTERM_NO_EXIT',
        'warning',
        `${path.basename(file)} handles ${m[2]} but the handler neither exits nor closes the server: with a handler installed Node no longer exits on ${m[2]}, so each reload waits reload.killTimeoutMs (${killTimeoutMs} ms) and then kills the old worker with its open requests`,
        'in the handler, close the server (server.close()) and clear intervals so the process can end, or call process.exit() when the cleanup is done',
        { file, ...positionAt(text, at) },
      ),
    );
  }
  return out;
}

export function checkNodeShutdown(facts: Facts): Finding[] {
  const killTimeoutMs = facts.config?.reload.killTimeoutMs ?? 5000;
  return facts.runs.filter((f) => JS.test(f)).flatMap((file) => {
    const text = facts.texts.get(file);
    return text ? checkShutdownSource(file, text, killTimeoutMs) : [];
  });
}
