/**
 * The scans that read code do it from syntax trees: a require or a server in a comment or a string
 * is not one, and what sits inside a function runs later. Also the pure part of the runtime
 * evidence (runners/shutdown-evidence.ts).
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { loadGraph } from '../../../server/doctor/checks/load-graph';
import { checkPreloadedCode } from '../../../server/doctor/checks/preload';
import { checkSwoole } from '../../../server/doctor/checks/swoole';
import { describeEvidence, killedAfterGraceFinding } from '../../../server/runners/shutdown-evidence';
import { DIR, codes, makeFacts } from './make-facts';

const rel = (files: string[]) => files.map((f) => path.relative(DIR, f)).sort();

describe('doctor: scans on syntax trees', () => {
  it('load graph (JS/TS): follows require, import, import() and export from; not a require in a comment or a string', () => {
    const facts = makeFacts({
      config: { entry: 'app.ts' },
      files: {
        'app.ts': "import { a } from './a';\nconst b = require('./b.js');\n// require('./c');\nconst s = \"require('./d')\";\nexport * from './e.js';\nvoid import('./f');\n",
        'a.ts': 'export const a = 1;', 'b.js': '', 'c.js': '', 'd.js': '', 'e.ts': '', 'f.mjs': '',
      },
    });
    assert.deepEqual(rel(loadGraph(facts)), ['a.ts', 'app.ts', 'b.js', 'e.ts', 'f.mjs']);
  });

  it('load graph (PHP): follows require/include of literal paths, not one in a comment or a heredoc', () => {
    const facts = makeFacts({
      config: { command: 'php index.php' },
      runs: [path.join(DIR, 'index.php')],
      files: {
        'index.php': "<?php\nrequire __DIR__ . '/lib/a.php';\ninclude_once('lib/b.php');\n// require 'lib/c.php';\n$doc = <<<TXT\nrequire 'lib/d.php';\nTXT;\n",
        'lib/a.php': '<?php', 'lib/b.php': '<?php', 'lib/c.php': '<?php', 'lib/d.php': '<?php',
      },
    });
    assert.deepEqual(rel(loadGraph(facts)), ['index.php', 'lib/a.php', 'lib/b.php']);
  });

  it('Swoole: a require before start() inside a function is not a preload; one inside an if at the top level is', () => {
    const script = `<?php
function boot() { require __DIR__ . '/src/lazy.php'; }
if (getenv('DEBUG')) {
    require __DIR__ . '/src/debug.php';
}
$server = new OpenSwoole\\Http\\Server('127.0.0.1', 9501, SWOOLE_BASE);
$server->set(['pid_file' => __DIR__ . '/swoole.pid']);
$server->start();
`;
    const facts = makeFacts({ files: { 'server.php': script } });
    const preloads = checkPreloadedCode(facts);
    assert.deepEqual(preloads.map((f) => f.line), [4]);
    assert.match(preloads[0].message, /loads __DIR__ \. '\/src\/debug\.php' before \$server->start\(\)/);
    assert.deepEqual(codes(checkSwoole(facts)), ['SR_SWOOLE_BASE_MODE']);
  });

  it('Swoole: a server only in a string is not one', () => {
    const facts = makeFacts({ files: { 'a.php': "<?php\n$help = '$server = new Swoole\\\\Http\\\\Server(\"x\", 1);';\necho $help;\n" } });
    assert.deepEqual(checkSwoole(facts), []);
  });
});

describe('doctor: runtime evidence', () => {
  const listeners = [
    { signal: 'SIGINT', name: '', file: '/app/app.js', line: 9, column: 3 },
    { signal: 'SIGTERM', name: 'onExit', file: '/app/node_modules/signal-exit/index.js', line: 40, column: 1 },
    { signal: 'SIGTERM', name: 'onTerm', file: '/app/lib/stop.js', line: 3, column: 1, removed: true },
  ];

  it("puts the finding at the app's own SIGTERM handler, lists the rest as related (the app's own first), leaves out the stdio pipes", () => {
    const f = killedAfterGraceFinding('worker 2 (pid 7)', 1000, { resources: ['PipeWrap', 'TCPServerWrap', 'Timeout', 'Timeout', 'PipeWrap'], listeners }, '/app');
    assert.equal(f.message, 'worker 2 (pid 7) did not exit within 1000 ms of SIGTERM and was killed; still open: TCPServerWrap, 2 × Timeout; SIGTERM handlers at lib/stop.js:3 (onTerm, ran once and removed), node_modules/signal-exit/index.js:40 (onExit)');
    assert.deepEqual([f.file, f.line, f.column], ['/app/lib/stop.js', 3, 1]);
    assert.deepEqual(f.related?.map((r) => `${r.file}:${r.line} ${r.message}`), ['/app/app.js:9 SIGINT handler', '/app/node_modules/signal-exit/index.js:40 SIGTERM handler onExit']);
    assert.match(f.fix!, /close the server \(server\.close\(\)\), clear intervals and timers/);
  });

  it('says nothing it does not know: no answer from the worker means no location and no list', () => {
    const d = describeEvidence({ resources: [], listeners: [] }, '/app');
    assert.deepEqual(d, { text: '', where: {}, related: [] });
  });
});
