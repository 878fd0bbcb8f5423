/** Temporary projects for integration tests, all under one root that the hooks check for leftovers. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const TEST_ROOT = fs.mkdtempSync(path.join(os.tmpdir(), 'smooth-reload-test-'));

let counter = 0;
export function makeProject(files: Record<string, string>, name = 'p'): string {
  const dir = path.join(TEST_ROOT, `${name}-${++counter}`);
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) writeFile(dir, file, content);
  return dir;
}

export function writeFile(dir: string, file: string, content: string): void {
  const abs = path.join(dir, file);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, content);
}

/** An HTTP app that answers "v<version> pid" after `delayMs`, so tests can tell code generations apart. */
export function versionApp(version: number | string, delayMs = 5): string {
  return `const http = require('node:http');
const VERSION = ${JSON.stringify(String(version))};
http.createServer((req, res) => {
  setTimeout(() => {
    res.setHeader('Content-Type', 'text/plain');
    res.setHeader('X-Version', VERSION);
    res.end('v' + VERSION + ' ' + process.pid + '\\n');
  }, ${delayMs});
}).listen(3000);
`;
}
