import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getPreset, normalizeSignal, swoolePidFileFromScript } from '../../server/attach/presets';
import {
  ATTACH_CODES,
  checkTarget,
  judgeHealth,
  judgeWorkers,
  parseExpect,
  parsePidFile,
  workersOf,
  workersTimeoutFinding,
  type ProcSnapshot,
} from '../../server/attach/verify';

const gunicorn = getPreset('gunicorn');
const proc = (pid: number, ppid: number, comm: string, cmdline: string): ProcSnapshot => ({ pid, ppid, comm, cmdline });
const target = (p: ProcSnapshot | undefined, ancestors: ProcSnapshot[] = []) =>
  checkTarget({ preset: gunicorn, pidFile: '/run/g.pid', pid: p?.pid ?? 42, proc: p, ancestors, processName: gunicorn.processName });

describe('attach: pid file and target checks', () => {
  it('reads a pid with whitespace and refuses anything else', () => {
    assert.equal(parsePidFile('1234\n'), 1234);
    assert.equal(parsePidFile('  77 '), 77);
    for (const bad of ['', 'abc', '12 34', '-5', '1', '0', '99999999999']) assert.equal(parsePidFile(bad), undefined, bad);
  });

  it('calls a dead pid stale, and an unrelated program not the server', () => {
    assert.equal(target(undefined)?.code, 'SR_ATTACH_STALE_PID');
    assert.equal(target(proc(42, 1, 'sleep', 'sleep 300'))?.code, 'SR_ATTACH_NOT_SERVER');
  });

  it('accepts a master whose parent is another program (a shell, systemd)', () => {
    const master = proc(42, 10, 'python3', '/usr/bin/python3 -m gunicorn app:app');
    assert.equal(target(master, [proc(10, 1, 'bash', 'bash run-gunicorn.sh')]), undefined, 'the shell is not gunicorn even if its script name says so');
    assert.equal(target(master, []), undefined);
  });

  it('calls a process whose parent is the same server a worker, naming the topmost master', () => {
    const worker = proc(44, 43, 'php', 'php server.php');
    const manager = proc(43, 42, 'php', 'php server.php');
    const master = proc(42, 10, 'php', 'php server.php');
    const swoole = getPreset('swoole');
    const f = checkTarget({ preset: swoole, pidFile: 'x.pid', pid: 44, proc: worker, ancestors: [manager, master, proc(10, 1, 'bash', 'bash')], processName: swoole.processName });
    assert.equal(f?.code, 'SR_ATTACH_NOT_MASTER');
    assert.match(f!.message, /master 42\b/);
  });

  it('honours a --process-name override for renamed masters', () => {
    const renamed = proc(42, 1, 'myapp', 'myapp: master');
    assert.equal(target(renamed)?.code, 'SR_ATTACH_NOT_SERVER');
    assert.equal(checkTarget({ preset: gunicorn, pidFile: 'p', pid: 42, proc: renamed, ancestors: [], processName: /myapp/ }), undefined);
  });
});

describe('attach: workers', () => {
  const tree: Record<number, number[]> = { 1: [2], 2: [3, 4], 10: [11, 12] };
  const childrenOf = (pid: number) => tree[pid] ?? [];

  it("descends through Swoole's manager, and only for Swoole", () => {
    assert.deepEqual(workersOf(1, getPreset('swoole'), childrenOf), [3, 4]);
    assert.deepEqual(workersOf(1, gunicorn, childrenOf), [2]);
    assert.deepEqual(workersOf(10, getPreset('swoole'), childrenOf), [11, 12], 'BASE mode: workers are the children');
  });

  it('is replaced only when every old worker is gone and as many run again', () => {
    assert.equal(judgeWorkers([1, 2], [1, 2], false), 'pending');
    assert.equal(judgeWorkers([1, 2], [2, 3], false), 'pending', 'one old worker left');
    assert.equal(judgeWorkers([1, 2], [3], false), 'pending', 'not all replaced yet');
    assert.equal(judgeWorkers([1, 2], [3, 4], false), 'replaced');
    assert.equal(judgeWorkers([1, 2], [3, 4, 5], false), 'replaced');
  });

  it('for a partial signal (Swoole USR2: task workers), one replaced worker is enough', () => {
    assert.equal(judgeWorkers([1, 2, 3], [1, 2, 3], true), 'pending');
    assert.equal(judgeWorkers([1, 2, 3], [1, 2, 4], true), 'replaced');
  });

  it('names the timeout: unchanged, partial, or new workers missing', () => {
    assert.equal(workersTimeoutFinding(gunicorn, 9, 'HUP', [1, 2], [1, 2], 100).code, 'SR_ATTACH_WORKERS_UNCHANGED');
    assert.equal(workersTimeoutFinding(gunicorn, 9, 'HUP', [1, 2], [2, 3], 100).code, 'SR_ATTACH_RELOAD_PARTIAL');
    assert.equal(workersTimeoutFinding(gunicorn, 9, 'HUP', [1, 2], [3], 100).code, 'SR_ATTACH_WORKERS_MISSING');
  });
});

describe('attach: health', () => {
  it('treats a string as text to find and /…/ as a regular expression', () => {
    assert.equal(parseExpect('v2'), 'v2');
    assert.deepEqual(parseExpect('/^v\\d+$/m'), /^v\d+$/m);
    assert.equal(parseExpect('/unclosed('), '/unclosed(');
  });

  it('needs a 2xx/3xx answer, and the expected text when given', () => {
    assert.deepEqual(judgeHealth({ status: 200, body: 'v2 1' }, undefined), { ok: true });
    assert.deepEqual(judgeHealth({ status: 302, body: '' }, undefined), { ok: true });
    assert.equal((judgeHealth({ status: 500, body: 'v2' }, 'v2') as { stale: boolean }).stale, false);
    assert.equal((judgeHealth({ error: 'ECONNREFUSED' }, undefined) as { stale: boolean }).stale, false);
    assert.equal((judgeHealth({ status: 200, body: 'v1 1' }, 'v2') as { stale: boolean }).stale, true);
    assert.deepEqual(judgeHealth({ status: 200, body: 'v2 1' }, /^v2 \d+$/), { ok: true });
  });
});

describe('attach: presets', () => {
  it('knows each server\'s reload signal', () => {
    assert.deepEqual(
      ['swoole', 'gunicorn', 'nginx', 'puma', 'uwsgi', 'php-fpm'].map((n) => getPreset(n as never).signal),
      ['USR1', 'HUP', 'HUP', 'USR1', 'HUP', 'USR2'],
    );
    assert.deepEqual(getPreset('swoole').partialSignals, ['USR2']);
  });

  it('normalizes signal names', () => {
    assert.equal(normalizeSignal('SIGHUP'), 'HUP');
    assert.equal(normalizeSignal('usr2'), 'USR2');
    assert.equal(normalizeSignal('KILL'), undefined);
  });

  it("reads pid_file from a Swoole script's set([...])", () => {
    const src = (v: string) => `<?php\n$server->set([\n  'worker_num' => 4,\n  'pid_file' => ${v},\n  'daemonize' => false,\n]);`;
    assert.equal(swoolePidFileFromScript(src(`__DIR__ . '/run/swoole.pid'`), '/app'), '/app/run/swoole.pid');
    assert.equal(swoolePidFileFromScript(src(`"/var/run/sw.pid"`), '/app'), '/var/run/sw.pid');
    assert.equal(swoolePidFileFromScript(src(`dirname(__DIR__) . '/x.pid'`), '/app/bin'), '/app/x.pid');
    assert.equal(swoolePidFileFromScript(src(`BASE_PATH . '/runtime/hyperf.pid'`), '/app'), undefined);
    assert.equal(swoolePidFileFromScript(`<?php $server->set(['worker_num' => 2]);`, '/app'), undefined);
  });
});

describe('attach: docs', () => {
  it('documents every SR_ATTACH_* code in docs/attach.md', () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'attach.md'), 'utf8');
    const missing = ATTACH_CODES.filter((code) => !new RegExp(`^#+ .*\\b${code}\\b`, 'm').test(doc));
    assert.deepEqual(missing, []);
  });
});
