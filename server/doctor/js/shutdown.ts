/**
 * What a Node program does on SIGTERM/SIGINT, read from its syntax trees: the handlers it installs
 * (`process.on`, `once`, `addListener`, `prepend…`), what each one reaches (exit, close, clear,
 * following calls into functions of the same module and of other project modules), and what the
 * program keeps open (servers that listen, intervals). Pure: modules in, verdicts out.
 *
 * The rule of thumb: once a handler is installed Node no longer exits on the signal, so the
 * handler must either exit or release everything that keeps the event loop alive. A call the
 * analysis cannot follow (a package's function, a dynamic callee) is assumed to do that: no guessing.
 */
import { asCall, isFunction, memberPath, propertyName, stringValue, unwrap, walk, where, type t } from './ast';
import type { ModuleInfo } from './module';

export const SIGNALS = new Set(['SIGTERM', 'SIGINT']);
const REGISTER = new Set(['on', 'once', 'addListener', 'prependListener', 'prependOnceListener']);
/** Methods that end or release what they are called on. */
const RELEASE = new Set(['close', 'closeAllConnections', 'destroy', 'stop', 'shutdown', 'terminate', 'disconnect', 'end', 'quit', 'unref', 'kill', 'exit', 'abort', 'unlisten', 'destroyAll']);
const EXIT = new Set(['exit', 'kill', 'abort', 'reallyExit']);
/** Globals whose calls neither release nor need following. */
const HARMLESS = new Set(['console', 'setTimeout', 'setImmediate', 'queueMicrotask', 'Promise', 'String', 'Number', 'Boolean', 'Date', 'JSON', 'Math', 'Object', 'Array', 'Error', 'require', 'parseInt', 'parseFloat', 'Symbol', 'Reflect', 'BigInt', 'structuredClone', 'fetch']);

/** A module of the program and how its relative specifiers resolve. */
export interface Program {
  modules: Map<string, ModuleInfo>;
  /** The module file a specifier in `from` names, when it is part of the program. */
  resolve(from: string, source: string): string | undefined;
}

export interface Keeper {
  kind: 'server' | 'interval';
  /** The name it is held by (`server`, `this.timer` → 'timer'); undefined when it is not held. */
  binding?: string;
  file: string;
  line: number;
}

export interface Effects {
  /** process.exit/kill/abort reached outside any `X.close(cb)` callback. */
  exits: boolean;
  /** process.exit reached in the callback of `X.close(cb)`: it runs once every connection ended. */
  exitsAfterClose: boolean;
  /** Receivers of release calls (`server.close()` → 'server'; '' when the receiver has no simple name). */
  released: { receiver: string; method: string; local: boolean }[];
  /** Arguments of clearInterval/clearTimeout ('' when not a simple name). */
  cleared: { name: string; local: boolean }[];
  /** A call the analysis cannot follow: it may well shut down. */
  unknown: boolean;
  /** `await new Promise(() => …)` whose executor never resolves: what follows never runs. */
  neverSettles?: { file: string; line: number };
  /** Functions of other modules the handler reached. */
  reached: Set<string>;
}

export interface Handler {
  signal: string;
  method: string;
  /** Where `process.on(…)` is. */
  file: string;
  line: number;
  column: number;
  /** Where the handler function is defined (another module, or a named function elsewhere in this one). */
  definedAt?: { file: string; line: number };
  effects: Effects;
}

export interface ShutdownVerdict {
  handler: Handler;
  /** Keepers the handler leaves open, with no exit reached. */
  leftOpen: Keeper[];
  /** True when the handler releases nothing at all and exits nowhere (no keeper known either). */
  doesNothing: boolean;
  /** Servers closed with close() alone while the program holds long-lived connections. */
  keepAlive: Keeper[];
}

const empty = (): Effects => ({ exits: false, exitsAfterClose: false, released: [], cleared: [], unknown: false, reached: new Set() });

/** Every SIGTERM/SIGINT handler the modules install, with what it does. */
export function signalHandlers(program: Program): Handler[] {
  const out: Handler[] = [];
  for (const mod of program.modules.values()) {
    walk(mod.ast, (node) => {
      const call = asCall(node);
      if (!call || call.callee.type !== 'MemberExpression') return;
      const path = memberPath(call.callee);
      if (!path || path.length !== 2 || path[0] !== 'process' || !REGISTER.has(path[1])) return;
      const signals = signalsOf(call.args[0], mod);
      if (!signals.length || !call.args[1]) return;
      const resolved = resolveCallable(program, mod, unwrap(call.args[1])!);
      for (const signal of signals) {
        const effects = empty();
        let definedAt: Handler['definedAt'];
        if (resolved.fn) {
          analyze(program, resolved.mod, resolved.fn, effects, 3, new Set());
          if (resolved.mod !== mod || resolved.fn !== unwrap(call.args[1])) definedAt = { file: resolved.mod.file, line: where(resolved.fn).line };
        } else if (resolved.release) effects.released.push(resolved.release);
        else effects.unknown = true;
        out.push({ signal, method: path[1], file: mod.file, ...where(node), ...(definedAt ? { definedAt } : {}), effects });
      }
    });
  }
  return out;
}

/** 'SIGTERM', or the signals of `for (const s of ['SIGTERM', 'SIGINT']) process.on(s, …)`. */
function signalsOf(arg: t.Node | undefined, mod: ModuleInfo): string[] {
  const literal = stringValue(arg);
  if (literal !== undefined) return SIGNALS.has(literal) ? [literal] : [];
  const a = unwrap(arg);
  if (a?.type !== 'Identifier') return [];
  const found: string[] = [];
  walk(mod.ast, (node) => {
    if (node.type !== 'ForOfStatement') return;
    const left = node.left.type === 'VariableDeclaration' ? node.left.declarations[0]?.id : node.left;
    const right = unwrap(node.right);
    if (left?.type === 'Identifier' && left.name === a.name && right?.type === 'ArrayExpression') {
      for (const e of right.elements) {
        const s = stringValue(e);
        if (s && SIGNALS.has(s)) found.push(s);
      }
    }
  });
  return found;
}

/** A handler expression as a function to analyze, in the module that defines it. */
function resolveCallable(program: Program, mod: ModuleInfo, node: t.Node): { fn?: t.Function; mod: ModuleInfo; release?: Effects['released'][number] } {
  if (isFunction(node)) return { fn: node, mod };
  // server.close.bind(server) / server.close
  const call = asCall(node);
  const target = call && call.callee.type === 'MemberExpression' && propertyName(call.callee) === 'bind' ? unwrap(call.callee.object)! : node;
  if (target.type === 'MemberExpression') {
    const path = memberPath(target);
    if (path && path.length >= 2 && RELEASE.has(path[path.length - 1])) {
      return { mod, release: { receiver: path[path.length - 2], method: path[path.length - 1], local: mod.variables.has(path[path.length - 2]) } };
    }
    if (path) {
      const found = lookup(program, mod, path.join('.'), 3);
      if (found) return found;
    }
    return { mod };
  }
  if (target.type === 'Identifier') return lookup(program, mod, target.name, 3) ?? { mod };
  return { mod };
}

/** A function by the name it is called by in `mod`: defined there, or imported from a project module. */
function lookup(program: Program, mod: ModuleInfo, name: string, hops: number): { fn: t.Function; mod: ModuleInfo } | undefined {
  if (hops < 0) return undefined;
  const local = mod.functions.get(name);
  if (local) return { fn: local, mod };
  const [head, ...rest] = name.split('.');
  const imported = mod.imports.get(head) ?? mod.imports.get(`\0${head}`);
  if (!imported) return undefined;
  const file = program.resolve(mod.file, imported.source);
  const other = file ? program.modules.get(file) : undefined;
  if (!other) return undefined;
  const exportName = imported.name === '*' ? (rest.length ? rest[0] : 'default') : imported.name === 'default' && rest.length ? rest[0] : imported.name;
  return exported(program, other, exportName, hops - 1);
}

function exported(program: Program, mod: ModuleInfo, name: string, hops: number): { fn: t.Function; mod: ModuleInfo } | undefined {
  const e = mod.exports.get(name);
  if (e === undefined) return undefined;
  if (typeof e !== 'string') return { fn: e, mod };
  return lookup(program, mod, e.startsWith('\0') ? e : e, hops);
}

/** Names whose calls are not followed: globals that do no shutting down. */
function isHarmless(name: string): boolean {
  return HARMLESS.has(name);
}

/** Accumulate what `fn` does into `effects`, following calls `depth` levels deep. */
function analyze(program: Program, mod: ModuleInfo, fn: t.Function, effects: Effects, depth: number, seen: Set<t.Function>): void {
  if (seen.has(fn)) return;
  seen.add(fn);
  const body = fn.body;
  const statements: t.Node[] = body.type === 'BlockStatement' ? body.body : [body];
  for (const statement of statements) {
    const never = neverSettlingAwait(statement);
    scan(program, mod, statement, effects, depth, seen, never);
    if (never) {
      effects.neverSettles = { file: mod.file, line: where(never).line };
      return;
    }
    // An unconditional return or throw: what follows does not run.
    if (statement.type === 'ReturnStatement' || statement.type === 'ThrowStatement') return;
  }
}

/** `await new Promise(executor)` in the statement whose executor never calls (or hands on) its resolve. */
function neverSettlingAwait(statement: t.Node): t.Node | undefined {
  let found: t.Node | undefined;
  walk(statement, (node) => {
    if (found || (isFunction(node) && node !== statement)) return false;
    if (node.type !== 'AwaitExpression') return undefined;
    const arg = unwrap(node.argument);
    if (arg?.type !== 'NewExpression' || arg.callee.type !== 'Identifier' || arg.callee.name !== 'Promise') return undefined;
    const executor = unwrap(arg.arguments[0] as t.Node);
    if (!isFunction(executor)) return undefined;
    const params = executor.params.slice(0, 2).map((p) => (p.type === 'Identifier' ? p.name : undefined));
    if (params.some((p) => p === undefined)) return undefined;
    let used = false;
    walk(executor.body, (n) => {
      if (n.type === 'Identifier' && params.includes(n.name)) used = true;
    });
    if (!used) found = node;
    return undefined;
  });
  return found;
}

function scan(program: Program, mod: ModuleInfo, root: t.Node, effects: Effects, depth: number, seen: Set<t.Function>, stopAt?: t.Node): void {
  walk(root, (node, ancestors) => {
    if (stopAt && node === stopAt) return false;
    const call = asCall(node);
    if (!call) return undefined;
    const { callee } = call;
    if (callee.type === 'Identifier') {
      const name = callee.name;
      if (name === 'clearInterval' || name === 'clearTimeout') {
        const arg = memberPath(call.args[0]);
        effects.cleared.push({ name: arg ? arg[arg.length - 1] : '', local: !!arg && arg.length === 1 && mod.variables.has(arg[0]) });
        return undefined;
      }
      if (isHarmless(name)) return undefined;
      const target = depth > 0 ? lookup(program, mod, name, 3) : undefined;
      if (target) {
        if (target.mod !== mod) effects.reached.add(target.mod.file);
        analyze(program, target.mod, target.fn, effects, depth - 1, seen);
      } else if (!isFunction(unwrap(callee))) effects.unknown = true;
      return undefined;
    }
    if (callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression') {
      const path = memberPath(callee);
      const method = propertyName(callee);
      if (path && path[0] === 'process' && path.length === 2 && method && EXIT.has(method)) {
        if (insideCloseCallback(ancestors)) effects.exitsAfterClose = true;
        else effects.exits = true;
        return undefined;
      }
      if (method && RELEASE.has(method)) {
        const receiver = memberPath(callee.object);
        const name = receiver ? receiver[receiver.length - 1] : '';
        // A package's stop(server) (stoppable, terminus, a framework) may close anything: not a local of another name.
        const fromPackage = !!receiver && !!mod.imports.get(receiver[0]) && !program.resolve(mod.file, mod.imports.get(receiver[0])!.source);
        effects.released.push({ receiver: name, method, local: !fromPackage && !!receiver && receiver.length === 1 && mod.variables.has(receiver[0]) });
        return undefined;
      }
      // A function of an imported project module (lifecycle.stop()) or of a local object (app.shutdown()).
      if (path && depth > 0) {
        const target = lookup(program, mod, path.join('.'), 3);
        if (target) {
          if (target.mod !== mod) effects.reached.add(target.mod.file);
          analyze(program, target.mod, target.fn, effects, depth - 1, seen);
          return undefined;
        }
        const head = mod.imports.get(path[0]);
        // A package's function (not console.log, not logger.info on a local object): it may shut down.
        if (head && !program.resolve(mod.file, head.source) && !/^node:|^(http|https|net|fs|path|os|util|events)$/.test(head.source)) effects.unknown = true;
      }
    }
    return undefined;
  });
}

/** Whether the nearest enclosing function is the callback of `X.close(cb)`. */
function insideCloseCallback(ancestors: readonly t.Node[]): boolean {
  for (let i = ancestors.length - 1; i > 0; i--) {
    if (!isFunction(ancestors[i])) continue;
    const parent = ancestors[i - 1];
    const call = asCall(parent);
    return !!call && (call.callee.type === 'MemberExpression' && propertyName(call.callee) === 'close');
  }
  return false;
}

/** What the program keeps open: servers that listen and intervals that are not unref'd. */
export function keepers(program: Program): Keeper[] {
  return survey(program).keepers;
}

/** One walk per module: what it keeps open, and whether clients hold connections open. */
function survey(program: Program): { keepers: Keeper[]; long: boolean } {
  const out: Keeper[] = [];
  let long = false;
  for (const mod of program.modules.values()) {
    const unrefd = new Set<string>();
    const found: Keeper[] = [];
    walk(mod.ast, (node, ancestors) => {
      if (!long && stringValue(node) === 'text/event-stream') long = true;
      if (!long && node.type === 'AssignmentExpression' && node.left.type === 'MemberExpression' && propertyName(node.left) === 'keepAliveTimeout') long = true;
      const call = asCall(node);
      if (!call) return undefined;
      const callee = call.callee;
      if (callee.type !== 'MemberExpression' && callee.type !== 'Identifier') return undefined;
      const method = callee.type === 'MemberExpression' ? propertyName(callee) : undefined;
      if (method === 'unref') {
        const p = memberPath((callee as t.MemberExpression).object);
        if (p) unrefd.add(p[p.length - 1]);
        return undefined;
      }
      if (method === 'on' && stringValue(call.args[0]) === 'upgrade') long = true;
      const isInterval = callee.type === 'Identifier' && callee.name === 'setInterval';
      const isListen = method === 'listen' && memberPath((callee as t.MemberExpression).object)?.[0] !== 'process';
      if (!isInterval && !isListen) return undefined;
      // setInterval(…).unref() keeps nothing alive.
      const parent = ancestors[ancestors.length - 1];
      if (parent?.type === 'MemberExpression' && propertyName(parent) === 'unref') return undefined;
      let binding = bindingOf(ancestors);
      if (!binding && isListen) {
        // server.listen() is held by `server`; http.createServer(…).listen() held by nothing has no name.
        const receiver = memberPath((callee as t.MemberExpression).object);
        if (receiver) binding = receiver[receiver.length - 1];
      }
      found.push({ kind: isListen ? 'server' : 'interval', ...(binding ? { binding } : {}), file: mod.file, line: where(node).line });
      return undefined;
    });
    out.push(...found.filter((k) => !(k.kind === 'interval' && k.binding && unrefd.has(k.binding))));
  }
  return { keepers: out, long };
}

/** `const x = …`, `x = …`, `this.x = …` around the expression (through chained calls and awaits). */
function bindingOf(ancestors: readonly t.Node[]): string | undefined {
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const a = ancestors[i];
    if (a.type === 'VariableDeclarator') return a.id.type === 'Identifier' ? a.id.name : undefined;
    if (a.type === 'AssignmentExpression') {
      const p = memberPath(a.left);
      return p ? p[p.length - 1] : undefined;
    }
    if (a.type === 'AwaitExpression' || a.type === 'TSAsExpression' || a.type === 'TSNonNullExpression' || a.type === 'ParenthesizedExpression') continue;
    return undefined;
  }
  return undefined;
}

/** Signs that clients hold connections open: server-sent events, a raised keep-alive timeout, upgrades. */
export function holdsLongConnections(program: Program): boolean {
  return survey(program).long;
}

/** Whether the handler's release calls reach this keeper: by its name, or through a receiver that is not a plain local of another name. */
function releases(e: Effects, k: Keeper): boolean {
  const named = (receiver: string, local: boolean) => !k.binding || receiver === k.binding || !local;
  if (e.released.some((r) => named(r.receiver, r.local))) return true;
  return k.kind === 'interval' && e.cleared.some((c) => named(c.name, c.local));
}

/** The verdict on each handler: what it leaves open. */
export function judge(program: Program): ShutdownVerdict[] {
  const handlers = signalHandlers(program);
  if (!handlers.length) return [];
  const { keepers: kept, long } = survey(program);
  return handlers.map((handler) => {
    const e = handler.effects;
    // An exit after a never-settling await does not run; one in a close callback waits for the close.
    const exits = e.exits && !e.neverSettles;
    const done = e.unknown || exits;
    const leftOpen = done ? [] : kept.filter((k) => !(releases(e, k) || (k.kind === 'server' && e.exitsAfterClose && !e.neverSettles && releasesByClose(e, k))));
    const doesNothing = !done && !kept.length && !e.released.length && !e.cleared.length && !e.exitsAfterClose;
    const keepAlive =
      long && !done && !leftOpen.length
        ? kept.filter((k) => k.kind === 'server' && releasesByClose(e, k) && !e.released.some((r) => ['closeAllConnections', 'destroy', 'destroyAll'].includes(r.method)))
        : [];
    return { handler, leftOpen, doesNothing, keepAlive };
  });
}

function releasesByClose(e: Effects, k: Keeper): boolean {
  return e.released.some((r) => r.method === 'close' && (!k.binding || r.receiver === k.binding || !r.local));
}
