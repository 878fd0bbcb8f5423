import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The folders of server/ (and its top-level modules) form layers: no two import each other,
 * directly or around a loop. A loop between folders means neither can be understood, tested or
 * moved without the other.
 */
const SERVER = path.join(__dirname, '..', '..', 'server');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** server/pool/worker.ts → "pool"; server/master.ts → "master.ts". */
const unitOf = (file: string) => path.relative(SERVER, file).split(path.sep)[0];

export function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sources(SERVER)) {
    const from = unitOf(file);
    const edges = graph.get(from) ?? graph.set(from, new Set()).get(from)!;
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import|require\()\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = path.resolve(path.dirname(file), m[1]);
      if (!target.startsWith(SERVER + path.sep)) continue;
      const to = unitOf(fs.existsSync(target + '.ts') || fs.existsSync(target) ? target + (fs.existsSync(target + '.ts') ? '.ts' : '') : target);
      if (to !== from) edges.add(to);
    }
  }
  return graph;
}

/** One loop of units, or undefined. */
export function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'open') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      const loop = visit(m);
      if (loop) return loop;
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of graph.keys()) {
    const loop = visit(n);
    if (loop) return loop;
  }
  return undefined;
}

describe('server/: no import loop between folders', () => {
  it('finds a loop when there is one (the check works)', () => {
    assert.deepEqual(findCycle(new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])]])), ['a', 'b', 'c', 'a']);
    assert.equal(findCycle(new Map([['a', new Set(['b'])], ['b', new Set()]])), undefined);
  });
  it('the folders and top-level modules of server/ import each other in one direction only', () => {
    const graph = folderGraph();
    assert.ok(graph.get('master.ts')?.has('pool'), 'the graph is read (master imports pool)');
    const loop = findCycle(graph);
    assert.equal(loop, undefined, `import loop: ${loop?.join(' → ')}`);
  });
});
