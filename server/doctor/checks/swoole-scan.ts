/** Finds Swoole server scripts in the project (shared by the Swoole checks). */
import * as path from 'node:path';
import type { Facts } from '../facts';
import { braceDepthAt, maskSource } from '../source-scan';

export interface SwooleServer {
  file: string;
  text: string;
  /** Offset of `new …Server(` and of its argument list's `(`. */
  newAt: number;
  /** Offset of `$server->start()`, or -1. */
  startAt: number;
  startDepth: number;
  variable: string;
}

const NEW_SERVER = /(\$\w+)\s*=\s*new\s+\\?(?:(?:Open)?Swoole\\(?:Http\\|WebSocket\\)?Server|swoole_(?:http_|websocket_)?server)\s*\(/gi;

export function swooleServers(facts: Facts): SwooleServer[] {
  const out: SwooleServer[] = [];
  for (const [file, text] of facts.texts) {
    if (!file.endsWith('.php') || !/swoole/i.test(text)) continue;
    const masked = maskSource(text, { hashComments: true });
    for (const m of masked.matchAll(NEW_SERVER)) {
      const variable = m[1];
      const start = new RegExp(`${variable.replace('$', '\\$')}\\s*->\\s*start\\s*\\(\\s*\\)`).exec(masked.slice(m.index!));
      const startAt = start ? m.index! + start.index : -1;
      out.push({ file, text, newAt: m.index!, startAt, startDepth: startAt >= 0 ? braceDepthAt(masked, startAt) : 0, variable });
    }
  }
  return out;
}

/** True when Smooth Reload itself runs this script as its "command": each reload starts it afresh. */
export function ownsProcess(facts: Facts, file: string): boolean {
  const command = facts.config?.command;
  if (!command) return false;
  return facts.runs.includes(file) || command.includes(path.basename(file));
}
