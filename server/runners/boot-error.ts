/**
 * Turn the tail of a crashed worker's stderr into a finding: the error message and the app's
 * file and line. Pure, so each runtime's format is tested on real output.
 * Understands Node (CJS arrow header, ESM `file://` header, stack frames), Python tracebacks
 * and PHP fatal errors.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BootError {
  message: string;
  file?: string;
  line?: number;
  column?: number;
  /** Further frames of the app's own code, innermost first. */
  frames: { file: string; line: number; column?: number }[];
}

const NODE_HEADER = /^(file:\/\/\/?[^\s:]+|\/[^:\n]+|[A-Za-z]:\\[^:\n]+):(\d+)$/;
const NODE_FRAME = /^\s+at (?:.*? \()?(file:\/\/[^\s)]+|\/[^\s):]+):(\d+):(\d+)\)?$/;
const NODE_ERROR = /^(?:Uncaught )?([A-Z]\w*(?:Error|Exception)|Error)(?: \[[A-Z_0-9]+\])?: (.*)$/;
const PY_FRAME = /^\s*File "([^"]+)", line (\d+)/;
const PY_ERROR = /^([A-Z]\w*(?:Error|Exception|Interrupt)|SystemExit)(?:: (.*))?$/;
const PHP_ERROR = /PHP (?:Parse|Fatal) error:\s+(.*?) in (\/\S+)(?: on line |:)(\d+)/;

function toPath(file: string): string {
  return file.startsWith('file://') ? fileURLToPath(file) : file;
}

function isAppFile(file: string): boolean {
  return !file.startsWith('node:') && !file.includes(`${path.sep}node_modules${path.sep}`) && !/smooth-reload[\\/]dist[\\/]/.test(file);
}

export function parseBootError(stderr: string): BootError | undefined {
  const lines = stderr.replace(/\r/g, '').split('\n');

  const php = lines.map((l) => PHP_ERROR.exec(l)).find(Boolean);
  if (php) return { message: php[1], file: php[2], line: Number(php[3]), frames: [] };

  // Python: the last "File ..., line N" before the final exception line.
  const pyFrames = lines.map((l) => PY_FRAME.exec(l)).filter((m): m is RegExpExecArray => !!m);
  if (pyFrames.length) {
    const errLine = [...lines].reverse().find((l) => PY_ERROR.test(l.trim()));
    const app = pyFrames.map((m) => ({ file: m[1], line: Number(m[2]) })).filter((f) => !f.file.includes('/lib/python') && !f.file.startsWith('<'));
    const inner = app[app.length - 1] ?? { file: pyFrames[pyFrames.length - 1][1], line: Number(pyFrames[pyFrames.length - 1][2]) };
    return { message: errLine?.trim() ?? 'the Python app exited with an error', file: inner.file, line: inner.line, frames: app.reverse() };
  }

  // Node: take the last fatal block (a worker may log earlier, handled errors).
  let errorIndex = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (NODE_ERROR.test(lines[i])) {
      errorIndex = i;
      break;
    }
  }
  if (errorIndex < 0) return undefined;
  // Earlier "Error:" lines of the same block (causes) do not matter; find the block start.
  let start = errorIndex;
  for (let i = errorIndex - 1; i >= 0 && errorIndex - i <= 8; i--) {
    if (NODE_HEADER.test(lines[i])) {
      start = i;
      break;
    }
  }
  const match = NODE_ERROR.exec(lines[errorIndex])!;
  const message = `${match[1]}: ${match[2]}`;
  const frames: BootError['frames'] = [];
  for (let i = errorIndex + 1; i < lines.length; i++) {
    const f = NODE_FRAME.exec(lines[i]);
    if (!f) {
      if (lines[i].trim().startsWith('at ')) continue;
      if (frames.length || lines[i].trim() === '') break;
      continue;
    }
    const file = toPath(f[1]);
    if (isAppFile(file)) frames.push({ file, line: Number(f[2]), column: Number(f[3]) });
  }
  const header = start !== errorIndex ? NODE_HEADER.exec(lines[start]) : null;
  if (header) {
    const file = toPath(header[1]);
    // The caret line under the source line gives the column.
    const caret = lines[start + 2] ?? '';
    const col = caret.indexOf('^');
    if (isAppFile(file)) return { message, file, line: Number(header[2]), ...(col >= 0 ? { column: col + 1 } : {}), frames };
  }
  const first = frames[0];
  return first ? { message, file: first.file, line: first.line, column: first.column, frames: frames.slice(1) } : { message, frames };
}
