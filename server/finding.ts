/**
 * The one way to build a finding: every finding carries its code's docs link (the code's section
 * in docs/troubleshooting.md, or docs/attach.md for `SR_ATTACH_*`), a fix, and a position only
 * when it has a file. `test/unit/findings-built-once.test.ts` keeps finding literals out of
 * the rest of server/.
 */
import type { Finding, Severity } from './protocol';

export interface Where {
  file?: string;
  line?: number;
  column?: number;
}

/** The docs section that explains `code`. */
export function docsLink(code: string): string {
  return `${code.startsWith('SR_ATTACH_') ? 'docs/attach.md' : 'docs/troubleshooting.md'}#${code.toLowerCase()}`;
}

export function finding(code: string, severity: Severity, message: string, fix: string, where: Where = {}, related?: Finding['related']): Finding {
  return {
    code,
    severity,
    message,
    ...(where.file ? { file: where.file } : {}),
    ...(where.file && where.line ? { line: where.line } : {}),
    ...(where.file && where.line && where.column ? { column: where.column } : {}),
    fix,
    docs: docsLink(code),
    ...(related?.length ? { related } : {}),
  };
}

/** A bug in Smooth Reload itself, not in the app. */
export function internalFinding(message: string): Finding {
  return finding('SR_INTERNAL', 'error', message, 'this is a bug in Smooth Reload: please report it with the master\'s output (smooth-reload serve --log-level debug)');
}
