import { strict as assert } from 'node:assert';
import { checkSwoole } from '../../../server/doctor/checks/swoole';
import { codes, makeFacts } from './make-facts';

const script = (mode: string, settings: string) => `<?php
$server = new Swoole\\Http\\Server("0.0.0.0", 9501${mode});
$server->set([${settings}]);
$server->on("request", function ($req, $res) { $res->end("ok"); });
$server->start();
`;

describe('doctor: Swoole reload path and mode', () => {
  it('reports SWOOLE_BASE at the argument, and a script with no reload path at the new Server line', () => {
    const findings = checkSwoole(makeFacts({ files: { 'server.php': script(', SWOOLE_BASE', "'worker_num' => 2") } }));
    assert.deepEqual(codes(findings), ['SR_SWOOLE_BASE_MODE', 'SR_SWOOLE_NO_RELOAD']);
    assert.deepEqual(findings.map((f) => [f.line, f.column]), [[2, 51], [2, 1]]);
  });

  it('clean twin: SWOOLE_PROCESS with a pid_file', () => {
    assert.deepEqual(checkSwoole(makeFacts({ files: { 'server.php': script(', SWOOLE_PROCESS', "'pid_file' => __DIR__ . '/swoole.pid'") } })), []);
  });

  it('clean twin: a script that reloads itself, or that Smooth Reload runs as its command', () => {
    const reloads = script('', '') + '\nSwoole\\Timer::tick(1000, fn () => changed() && $server->reload());\n';
    assert.deepEqual(checkSwoole(makeFacts({ files: { 'server.php': reloads } })), []);
    const owned = makeFacts({ config: { command: 'php server.php' }, runs: ['/home/dev/app/server.php'], files: { 'server.php': script(', SWOOLE_BASE', '') } });
    assert.deepEqual(checkSwoole(owned), []);
  });

  it('ignores PHP files that only mention Swoole in a comment', () => {
    assert.deepEqual(checkSwoole(makeFacts({ files: { 'a.php': '<?php\n// $s = new Swoole\\Http\\Server("x", 1);\n' } })), []);
  });
});
