/**
 * JavaScript and TypeScript sources as syntax trees (@babel/parser: one parser for CommonJS, ES
 * modules, TypeScript and JSX; docs/dependencies.md says why this one), and the few tree helpers
 * the checks share. Parsing recovers from errors where it can; a file it cannot parse at all is
 * left out of the checks (undefined), never guessed at.
 */
import { parse } from '@babel/parser';
import type * as t from '@babel/types';

export type { t };

const TS = /\.(c|m)?tsx?$/;
const JSX = /x$/;

const cache = new Map<string, { text: string; ast: t.File | undefined }>();
const CACHE_MAX = 2000;

/** The file's syntax tree, or undefined when it is not JavaScript/TypeScript the parser can read. */
export function parseJs(file: string, text: string): t.File | undefined {
  const hit = cache.get(file);
  if (hit && hit.text === text) return hit.ast;
  let ast: t.File | undefined;
  const plugins: ('typescript' | 'jsx')[] = TS.test(file) ? (JSX.test(file) ? ['typescript', 'jsx'] : ['typescript']) : ['jsx'];
  for (const withPlugins of [plugins, plugins.filter((p) => p !== 'jsx')]) {
    try {
      ast = parse(text, {
        sourceType: /\.m(j|t)s$/.test(file) ? 'module' : /\.c(j|t)s$/.test(file) ? 'script' : 'unambiguous',
        plugins: withPlugins,
        errorRecovery: true,
        // Comments are never read: not attaching them is markedly faster.
        attachComment: false,
        allowReturnOutsideFunction: true,
        allowAwaitOutsideFunction: true,
        allowImportExportEverywhere: true,
        allowUndeclaredExports: true,
      }) as unknown as t.File;
      break;
    } catch {
      ast = undefined;
    }
  }
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(file, { text, ast });
  return ast;
}

const SKIP_KEYS = new Set(['type', 'start', 'end', 'loc', 'range', 'leadingComments', 'trailingComments', 'innerComments', 'extra', 'errors', 'comments', 'tokens']);
function isNode(value: unknown): value is t.Node {
  return !!value && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string';
}

/** Depth-first walk; `visit` gets each node with its ancestors (nearest last) and may return false to skip its children. */
export function walk(root: t.Node, visit: (node: t.Node, ancestors: readonly t.Node[]) => unknown): void {
  const ancestors: t.Node[] = [];
  const go = (node: t.Node) => {
    if (visit(node, ancestors) === false) return;
    ancestors.push(node);
    const record = node as unknown as Record<string, unknown>;
    for (const key in record) {
      if (SKIP_KEYS.has(key)) continue;
      const value = record[key];
      if (Array.isArray(value)) {
        for (const v of value) if (isNode(v)) go(v);
      } else if (isNode(value)) go(value);
    }
    ancestors.pop();
  };
  go(root);
}

/** The expression with TypeScript casts, `!` and parentheses taken off. */
export function unwrap(node: t.Node | null | undefined): t.Node | undefined {
  let n = node ?? undefined;
  while (n && (n.type === 'TSAsExpression' || n.type === 'TSNonNullExpression' || n.type === 'TSSatisfiesExpression' || n.type === 'ParenthesizedExpression' || n.type === 'TSTypeAssertion')) {
    n = (n as t.TSAsExpression).expression;
  }
  return n;
}

/** `'x'`, `"x"` or a template with no substitution. */
export function stringValue(node: t.Node | null | undefined): string | undefined {
  const n = unwrap(node);
  if (!n) return undefined;
  if (n.type === 'StringLiteral') return n.value;
  if (n.type === 'TemplateLiteral' && n.expressions.length === 0) return n.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

/** The property name of `a.b` or `a['b']`. */
export function propertyName(node: t.MemberExpression | t.OptionalMemberExpression): string | undefined {
  if (!node.computed && node.property.type === 'Identifier') return node.property.name;
  return stringValue(node.property);
}

/** `a.b.c` as ['a', 'b', 'c'] (`this` as 'this'); undefined for anything else. */
export function memberPath(node: t.Node | null | undefined): string[] | undefined {
  const n = unwrap(node);
  if (!n) return undefined;
  if (n.type === 'Identifier') return [n.name];
  if (n.type === 'ThisExpression') return ['this'];
  if (n.type === 'MemberExpression' || n.type === 'OptionalMemberExpression') {
    const base = memberPath(n.object);
    const name = propertyName(n);
    return base && name !== undefined ? [...base, name] : undefined;
  }
  return undefined;
}

export function isFunction(node: t.Node | undefined): node is t.Function {
  return !!node && (node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression' || node.type === 'ObjectMethod' || node.type === 'ClassMethod' || node.type === 'ClassPrivateMethod');
}

/** Callee and arguments of a call (`a?.b()` too). */
export function asCall(node: t.Node): { callee: t.Node; args: t.Node[] } | undefined {
  if (node.type === 'CallExpression' || node.type === 'OptionalCallExpression') return { callee: unwrap(node.callee as t.Node)!, args: node.arguments as t.Node[] };
  return undefined;
}

/** 1-based line and column of a node's start. */
export function where(node: t.Node): { line: number; column: number } {
  return { line: node.loc?.start.line ?? 1, column: (node.loc?.start.column ?? 0) + 1 };
}
