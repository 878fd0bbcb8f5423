import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { checkPreloadedCode } from '../../../server/doctor/checks/preload';
import { DIR, codes, makeFacts } from './make-facts';

const SWOOLE = (before: string, workerStart = '') => `<?php
require __DIR__ . '/vendor/autoload.php';
${before}
$server = new Swoole\\Http\\Server('127.0.0.1', 9501);
$server->set(['pid_file' => __DIR__ . '/swoole.pid']);
$server->on('WorkerStart', function () {
    ${workerStart}
});
$server->on('request', function ($req, $res) { $res->end(handle($req)); });
$server->start();
`;

describe('doctor: SR_PRELOADED_CODE', () => {
  it('reports preload_app = True in gunicorn.conf.py at its line', () => {
    const facts = makeFacts({ files: { 'gunicorn.conf.py': 'bind = "127.0.0.1:8000"\nworkers = 2\npreload_app = True\n' } });
    const [f, ...rest] = checkPreloadedCode(facts);
    assert.equal(rest.length, 0);
    assert.equal(f.code, 'SR_PRELOADED_CODE');
    assert.deepEqual([f.file, f.line, f.column], [path.join(DIR, 'gunicorn.conf.py'), 3, 1]);
  });

  it('clean twins: preload_app = False, a commented-out line, or Gunicorn run by Smooth Reload itself', () => {
    assert.deepEqual(checkPreloadedCode(makeFacts({ files: { 'gunicorn.conf.py': 'preload_app = False\n# preload_app = True\n' } })), []);
    const owned = makeFacts({ config: { command: 'gunicorn -c gunicorn.conf.py app:app' }, files: { 'gunicorn.conf.py': 'preload_app = True\n' } });
    assert.deepEqual(checkPreloadedCode(owned), []);
  });

  it('reports app code a Swoole script requires before $server->start(), at the require', () => {
    const facts = makeFacts({ files: { 'server.php': SWOOLE("require_once __DIR__ . '/src/handler.php';") } });
    const [f, ...rest] = checkPreloadedCode(facts);
    assert.equal(rest.length, 0);
    assert.equal(f.line, 3);
    assert.match(f.message, /server\.php loads __DIR__ \. '\/src\/handler\.php' before \$server->start\(\)/);
  });

  it('clean twin: the require sits in the WorkerStart callback (and the autoloader is fine)', () => {
    const facts = makeFacts({ files: { 'server.php': SWOOLE('', "require_once __DIR__ . '/src/handler.php';") } });
    assert.deepEqual(codes(checkPreloadedCode(facts)), []);
  });
});
