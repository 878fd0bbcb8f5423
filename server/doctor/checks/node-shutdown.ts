/**
 * SIGTERM/SIGINT handlers that keep a reload waiting, read from the syntax trees of the files the
 * app loads (entry, its project imports, preloads):
 * - SR_SIGTERM_NO_EXIT: a handler that neither exits nor releases what keeps the process alive
 *   (a server it leaves listening, an interval it leaves running), or that awaits a promise that
 *   never settles before it would. Once a handler exists Node no longer exits on the signal by
 *   itself, so every reload waits `reload.killTimeoutMs` for the old worker and then SIGKILLs it.
 * - SR_SIGTERM_KEEPALIVE: the handler closes an HTTP server with close() alone while the app holds
 *   long-lived connections (server-sent events, a raised keepAliveTimeout, upgrades): close()
 *   waits for every open connection to end, so the process stays until the kill.
 * Handlers defined in another project module are followed; a call into a package is assumed to
 * shut down (no guessing). `smooth-reload doctor --run` checks the same thing on the running app.
 */
import * as path from 'node:path';
import type { Finding } from '../../protocol';
import type { Facts } from '../facts';
import { finding } from '../finding';
import { moduleInfo, type ModuleInfo } from '../js/module';
import { judge, type Keeper, type Program, type ShutdownVerdict } from '../js/shutdown';
import { loadGraph, resolveJs } from './load-graph';

const JS = /\.(c|m)?(j|t)sx?$/;

/** The program the app runs: every JavaScript/TypeScript project file it loads, parsed. */
export function programOf(facts: Facts): Program {
  const modules = new Map<string, ModuleInfo>();
  for (const file of loadGraph(facts)) {
    if (!JS.test(file)) continue;
    const text = facts.texts.get(file);
    const info = text === undefined ? undefined : moduleInfo(file, text);
    if (info) modules.set(file, info);
  }
  return { modules, resolve: (from, source) => resolveJs(facts, from, source) };
}

const at = (dir: string, file: string, line: number) => `${path.relative(dir, file) || path.basename(file)}:${line}`;

function describeKeeper(dir: string, k: Keeper): string {
  return k.kind === 'server' ? `the server at ${at(dir, k.file, k.line)} listening` : `the interval at ${at(dir, k.file, k.line)} running`;
}

/** Findings for the program's handlers (exported for unit tests). */
export function shutdownFindings(program: Program, dir: string, killTimeoutMs: number): Finding[] {
  const out: Finding[] = [];
  for (const v of judge(program)) {
    const f = verdictFinding(v, dir, killTimeoutMs);
    if (f) out.push(f);
  }
  return out;
}

function verdictFinding(v: ShutdownVerdict, dir: string, killTimeoutMs: number): Finding | undefined {
  const h = v.handler;
  const e = h.effects;
  const related: NonNullable<Finding['related']> = [];
  if (h.definedAt) related.push({ file: h.definedAt.file, line: h.definedAt.line, message: `the ${h.signal} handler is defined here` });
  const base = path.basename(h.file);
  const wait = `with a handler installed Node no longer exits on ${h.signal}, so each reload waits reload.killTimeoutMs (${killTimeoutMs} ms) and then kills the old worker with its open requests`;
  if (v.leftOpen.length || v.doesNothing) {
    for (const k of v.leftOpen) related.push({ file: k.file, line: k.line, message: k.kind === 'server' ? 'this server stays open' : 'this interval keeps running' });
    let what: string;
    if (e.neverSettles) {
      related.push({ file: e.neverSettles.file, line: e.neverSettles.line, message: 'this promise never settles' });
      what = `awaits a promise that never settles (${at(dir, e.neverSettles.file, e.neverSettles.line)}), so nothing after it runs`;
    } else if (v.doesNothing) what = 'neither exits nor closes the server';
    else {
      const did = [...(e.cleared.length ? ['clears a timer'] : []), ...(e.released.length ? [`calls ${[...new Set(e.released.map((r) => `${r.receiver ? `${r.receiver}.` : ''}${r.method}()`))].join(', ')}`] : [])];
      what = `${did.length ? `${did.join(' and ')} but ` : ''}neither exits nor closes what keeps the process alive`;
    }
    const left = v.leftOpen.length ? `: it leaves ${v.leftOpen.map((k) => describeKeeper(dir, k)).join(' and ')}` : '';
    return finding(
      'SR_SIGTERM_NO_EXIT',
      'warning',
      `${base} handles ${h.signal} (process.${h.method}), and the handler ${what}${left}; ${wait}`,
      'in the handler, close the server (server.close()) and clear intervals so the process can end, or call process.exit() when the cleanup is done',
      { file: h.file, line: h.line, column: h.column },
      related,
    );
  }
  if (v.keepAlive.length) {
    for (const k of v.keepAlive) related.push({ file: k.file, line: k.line, message: 'this server is closed with close() alone' });
    return finding(
      'SR_SIGTERM_KEEPALIVE',
      'warning',
      `${base} handles ${h.signal} with server.close() alone, but the app keeps long-lived connections (server-sent events, keep-alive or upgrades): close() waits until every open connection ends, so the worker stays up until reload.killTimeoutMs (${killTimeoutMs} ms) and is killed`,
      'after server.close(), call server.closeAllConnections() (Node 18.2+) or destroy the open sockets, or call process.exit() once the cleanup is done',
      { file: h.file, line: h.line, column: h.column },
      related,
    );
  }
  return undefined;
}

/** Findings for one JavaScript/TypeScript source on its own (the unit tests' shorthand). */
export function checkShutdownSource(file: string, text: string, killTimeoutMs: number): Finding[] {
  const info = moduleInfo(file, text);
  if (!info) return [];
  return shutdownFindings({ modules: new Map([[file, info]]), resolve: () => undefined }, path.dirname(file), killTimeoutMs);
}

export function checkNodeShutdown(facts: Facts): Finding[] {
  if (!facts.runs.some((f) => JS.test(f))) return [];
  const killTimeoutMs = facts.config?.reload.killTimeoutMs ?? 5000;
  return shutdownFindings(programOf(facts), facts.dir, killTimeoutMs);
}
