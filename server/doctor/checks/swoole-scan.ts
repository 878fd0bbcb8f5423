/**
 * Finds Swoole server scripts in the project (shared by the Swoole checks), from the PHP syntax
 * tree: `$server = new Swoole\Http\Server(…)` (OpenSwoole, WebSocket, the swoole_*_server
 * aliases), its `$server->start()`, what it loads before that, and whether anything can reload it.
 */
import * as path from 'node:path';
import type { Facts } from '../facts';
import { isPhpFunction, parsePhp, phpSource, phpWhere, walkPhp, type PhpNode } from '../php/ast';

export interface SwooleServer {
  file: string;
  text: string;
  variable: string;
  /** Where `$server = new …Server(` is. */
  at: { line: number; column: number };
  /** Where a SWOOLE_BASE mode argument is, if passed. */
  base?: { line: number; column: number };
  /** `$server->reload()`, a 'pid_file' setting or master_pid/manager_pid anywhere in the file. */
  reloads: boolean;
  /** require/include run before `$server->start()` outside any function: they load in the master. */
  preloads: { line: number; column: number; target: string }[];
}

const SERVER_CLASS = /^\\?(?:(?:Open)?Swoole\\(?:Http\\|WebSocket\\)?Server|swoole_(?:http_|websocket_)?server)$/i;

const nameOf = (n: PhpNode | undefined): string | undefined => (n && (n.kind === 'name' || n.kind === 'identifier') ? String(n.name) : undefined);
const variableOf = (n: PhpNode | undefined): string | undefined => (n?.kind === 'variable' && typeof n.name === 'string' ? n.name : undefined);

export function swooleServers(facts: Facts): SwooleServer[] {
  const out: SwooleServer[] = [];
  for (const [file, text] of facts.texts) {
    if (!file.endsWith('.php') || !/swoole/i.test(text)) continue;
    const ast = parsePhp(file, text);
    if (!ast) continue;
    const news: { variable: string; node: PhpNode; args: PhpNode[] }[] = [];
    const starts = new Map<string, number>();
    const includes: { node: PhpNode; target: PhpNode; inFunction: boolean }[] = [];
    let reloads = false;
    walkPhp(ast, (node, ancestors) => {
      if (node.kind === 'assign') {
        const right = node.right as PhpNode;
        const variable = variableOf(node.left as PhpNode);
        if (variable && right?.kind === 'new' && SERVER_CLASS.test(nameOf(right.what as PhpNode) ?? '')) news.push({ variable, node, args: right.arguments as PhpNode[] });
      }
      if (node.kind === 'call' && (node.what as PhpNode)?.kind === 'propertylookup') {
        const lookup = node.what as PhpNode;
        const method = nameOf(lookup.offset as PhpNode);
        const variable = variableOf(lookup.what as PhpNode);
        if (method === 'reload') reloads = true;
        if (method === 'start' && variable && !starts.has(variable)) starts.set(variable, node.loc?.start.offset ?? 0);
      }
      if (node.kind === 'propertylookup' && /^(master_pid|manager_pid)$/.test(nameOf(node.offset as PhpNode) ?? '')) reloads = true;
      if (node.kind === 'entry' && (node.key as PhpNode)?.kind === 'string' && (node.key as PhpNode).value === 'pid_file') reloads = true;
      if (node.kind === 'include') includes.push({ node, target: node.target as PhpNode, inFunction: ancestors.some(isPhpFunction) });
      return undefined;
    });
    for (const n of news) {
      const startAt = starts.get(n.variable);
      const base = n.args.find((a) => nameOf(a) === 'SWOOLE_BASE' || (a.kind === 'staticlookup' && nameOf(a.offset as PhpNode) === 'SWOOLE_BASE'));
      const preloads =
        startAt === undefined
          ? []
          : includes.filter((i) => !i.inFunction && (i.node.loc?.start.offset ?? 0) < startAt).map((i) => ({ ...phpWhere(i.node), target: phpSource(text, i.target) }));
      out.push({ file, text, variable: `$${n.variable}`, at: phpWhere(n.node), ...(base ? { base: phpWhere(base) } : {}), reloads, preloads });
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
