/**
 * The workspace both VS Code suites open: a temporary copy of examples/hello with a config file
 * (a `restartOn` folder and an ignored folder, for the one-path test), a stylesheet in `public/`
 * and a file in each of those folders.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAlive, readStateFile } from '../../server/state-file';

export const REPO = path.resolve(__dirname, '..', '..');

export function makeWorkspace(root: string): string {
  const ws = path.join(root, 'hello');
  fs.cpSync(path.join(REPO, 'examples', 'hello'), ws, { recursive: true });
  fs.writeFileSync(path.join(ws, 'smooth-reload.config.json'), JSON.stringify({ entry: 'app.js', port: 0, workers: 1, restartOn: ['settings/*.json'], watch: { ignore: ['notes/**'] } }, null, 2) + '\n');
  for (const [file, text] of [['public/style.css', 'body { color: red }\n'], ['notes/todo.js', '// notes\n'], ['settings/app.json', '{}\n']]) {
    fs.mkdirSync(path.dirname(path.join(ws, file)), { recursive: true });
    fs.writeFileSync(path.join(ws, file), text);
  }
  return ws;
}

/**
 * A multi-root workspace file: folders "a" and "b" (copies of examples/hello whose page names the
 * folder, each with a config file), "plain" (no config file, nothing to run) and "zero" (no config
 * file: a TypeScript app its package.json's dev script runs with tsx, and a .env, for the
 * zero-config Start).
 * Returns the file and the folders.
 */
export function makeMultiRootWorkspace(root: string): { file: string; folders: string[] } {
  const folders: string[] = [];
  for (const name of ['a', 'b']) {
    const ws = path.join(root, name);
    fs.cpSync(path.join(REPO, 'examples', 'hello'), ws, { recursive: true });
    const app = path.join(ws, 'app.js');
    fs.writeFileSync(app, fs.readFileSync(app, 'utf8').replace('Hello from version ${VERSION}', `Hello from folder ${name}`));
    fs.writeFileSync(path.join(ws, 'smooth-reload.config.json'), JSON.stringify({ entry: 'app.js', port: 0, workers: 1 }, null, 2) + '\n');
    folders.push(ws);
  }
  const plain = path.join(root, 'plain');
  fs.mkdirSync(plain, { recursive: true });
  fs.writeFileSync(path.join(plain, 'notes.txt'), 'no config here\n');
  const zero = path.join(root, 'zero');
  fs.mkdirSync(path.join(zero, 'src'), { recursive: true });
  fs.writeFileSync(path.join(zero, 'package.json'), JSON.stringify({ name: 'zero', private: true, scripts: { dev: 'tsx watch src/server.ts' } }, null, 2) + '\n');
  fs.writeFileSync(
    path.join(zero, 'src', 'server.ts'),
    `import * as http from 'node:http';\nconst greeting: string = 'Hello from folder zero';\nhttp.createServer((req, res) => res.end(greeting + ' to ' + (process.env.WHO ?? 'nobody') + '\\n')).listen(Number(process.env.PORT ?? 3000));\n`,
  );
  fs.writeFileSync(path.join(zero, '.env'), 'WHO=dotenv\n');
  fs.mkdirSync(path.join(zero, 'node_modules'));
  fs.symlinkSync(path.join(REPO, 'node_modules', 'tsx'), path.join(zero, 'node_modules', 'tsx'));
  folders.push(zero);
  const file = path.join(root, 'multi.code-workspace');
  fs.writeFileSync(file, JSON.stringify({ folders: [{ path: 'a' }, { path: 'b' }, { path: 'plain' }, { path: 'zero' }] }, null, 2) + '\n');
  return { file, folders };
}

/**
 * The debugger suite's folder: an app with a route whose line the suite puts a breakpoint on
 * (`/bp`) and one it keeps requesting while a worker is paused (`/other`), two workers, and a
 * kill timeout short enough that a pause outlasts it.
 */
export function makeDebugWorkspace(root: string): string {
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(
    path.join(root, 'app.js'),
    [
      "const http = require('node:http');",
      'const VERSION = 1;',
      'http.createServer((req, res) => {',
      "  if (req.url === '/bp') {",
      '    const answer = `bp from version ${VERSION}`; // BREAKPOINT',
      "    res.end(answer + '\\n');",
      '    return;',
      '  }',
      "  res.end(`other from version ${VERSION}\\n`);",
      '}).listen(Number(process.env.PORT) || 3000);',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(path.join(root, 'smooth-reload.config.json'), JSON.stringify({ entry: 'app.js', port: 0, workers: 2, reload: { killTimeoutMs: 1500, drainTimeoutMs: 1500 } }, null, 2) + '\n');
  return root;
}

/**
 * Safety net after a run: the extension starts its master in its own process group, so killing
 * VS Code does not reach it; a suite that failed before its Stop leaves it running. Returns the pid
 * it had to kill, if any.
 */
export async function killLeftoverMaster(workspace: string): Promise<number | undefined> {
  const state = readStateFile(workspace);
  if (!state.ok) return undefined;
  const pid = state.state.pid;
  for (const [signal, waitMs] of [['SIGTERM', 10_000], ['SIGKILL', 2000]] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return pid;
    }
    const deadline = Date.now() + waitMs;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (!isAlive(pid)) return pid;
  }
  return pid;
}
