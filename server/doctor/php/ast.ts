/**
 * PHP sources as syntax trees (php-parser, pure JavaScript; docs/dependencies.md), for the Swoole
 * and preload checks and the load graph. A file it cannot parse is left out (undefined).
 */
import { Engine } from 'php-parser';

export interface PhpNode {
  kind: string;
  loc?: { start: { line: number; column: number; offset: number }; end: { offset: number } } | null;
  [key: string]: unknown;
}

let engine: Engine | undefined;
const cache = new Map<string, { text: string; ast: PhpNode | undefined }>();

export function parsePhp(file: string, text: string): PhpNode | undefined {
  const hit = cache.get(file);
  if (hit && hit.text === text) return hit.ast;
  engine ??= new Engine({ parser: { php8: true, suppressErrors: true, extractDoc: false }, ast: { withPositions: true, withSource: false } });
  let ast: PhpNode | undefined;
  try {
    ast = engine.parseCode(text, file) as unknown as PhpNode;
  } catch {
    ast = undefined;
  }
  if (cache.size >= 2000) cache.clear();
  cache.set(file, { text, ast });
  return ast;
}

function isNode(value: unknown): value is PhpNode {
  return !!value && typeof value === 'object' && typeof (value as { kind?: unknown }).kind === 'string';
}

/** Depth-first walk with ancestors (nearest last); return false to skip a node's children. */
export function walkPhp(root: PhpNode, visit: (node: PhpNode, ancestors: readonly PhpNode[]) => unknown): void {
  const ancestors: PhpNode[] = [];
  const go = (node: PhpNode) => {
    if (visit(node, ancestors) === false) return;
    ancestors.push(node);
    for (const key in node) {
      if (key === 'loc' || key === 'kind' || key === 'leadingComments' || key === 'trailingComments') continue;
      const value = node[key];
      if (Array.isArray(value)) {
        for (const v of value) if (isNode(v)) go(v);
      } else if (isNode(value)) go(value);
    }
    ancestors.pop();
  };
  go(root);
}

/** 1-based line and column. */
export function phpWhere(node: PhpNode): { line: number; column: number } {
  return { line: node.loc?.start.line ?? 1, column: (node.loc?.start.column ?? 0) + 1 };
}

/** The source text of a node. */
export function phpSource(text: string, node: PhpNode): string {
  return node.loc ? text.slice(node.loc.start.offset, node.loc.end.offset) : '';
}

/** A function body of any kind: its contents run when called, not where they stand. */
export function isPhpFunction(node: PhpNode): boolean {
  return node.kind === 'function' || node.kind === 'closure' || node.kind === 'arrowfunc' || node.kind === 'method';
}

/** `'x.php'` or `__DIR__ . '/x.php'` (also dirname(__FILE__) . '/x.php') as a path relative to the file's folder. */
export function includePath(target: PhpNode): string | undefined {
  if (target.kind === 'string') return target.value as string;
  if (target.kind === 'bin' && target.type === '.') {
    const left = target.left as PhpNode;
    const right = target.right as PhpNode;
    const dirLike = (left.kind === 'magic' && left.value === '__DIR__') || (left.kind === 'call' && (left.what as PhpNode)?.kind === 'name' && (left.what as PhpNode).name === 'dirname');
    if (dirLike && right.kind === 'string') return (right.value as string).replace(/^\//, '');
  }
  return undefined;
}
