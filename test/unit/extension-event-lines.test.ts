import { strict as assert } from 'node:assert';
import { attachEventLine, doctorLine, findingText, masterEventLine } from '../../extension/event-lines';
import type { Finding } from '../../server/protocol';

const crash: Finding = { code: 'SR_BOOT_CRASH', severity: 'error', message: 'SyntaxError: Unexpected token', file: 'app.js', line: 7 };

describe('extension: output channel lines of master events', () => {
  it('writes a log event at its level, naming the worker it came from', () => {
    assert.deepEqual(masterEventLine({ kind: 'log', level: 'warn', message: 'slow boot', worker: 3 }), { level: 'warn', text: 'worker 3: slow boot' });
    assert.deepEqual(masterEventLine({ kind: 'log', level: 'debug', message: 'watching 12 files' }), { level: 'debug', text: 'watching 12 files' });
  });

  it('prefixes the folder when several masters share the channel', () => {
    assert.equal(masterEventLine({ kind: 'reload-start', id: 4, reason: 'changed app.js' }, '[api] ')?.text, '[api] reload #4: changed app.js');
  });

  it('reports a reload done with its time and generation', () => {
    assert.deepEqual(masterEventLine({ kind: 'reload-done', id: 4, ok: true, durationMs: 142, generation: 5 }), { level: 'info', text: 'reload #4 done in 142 ms (generation 5)' });
  });

  it('reports a failed reload as an error with the finding and its place, and that the old workers serve', () => {
    assert.deepEqual(masterEventLine({ kind: 'reload-failed', id: 5, ok: false, durationMs: 80, generation: 5, finding: crash }), {
      level: 'error',
      text: 'reload #5 failed: [SR_BOOT_CRASH] SyntaxError: Unexpected token (app.js:7); the previous workers keep serving',
    });
    assert.equal(masterEventLine({ kind: 'reload-failed', id: 6, ok: false, durationMs: 1, generation: 5 })?.text, 'reload #6 failed; the previous workers keep serving');
  });

  it('writes worker lifecycle events at debug level, with pid and detail when known', () => {
    assert.deepEqual(masterEventLine({ kind: 'worker', event: 'crash', id: 2, pid: 4242, generation: 3, detail: 'exit 1' }), { level: 'debug', text: 'worker 2 (generation 3, pid 4242): crash — exit 1' });
    assert.equal(masterEventLine({ kind: 'worker', event: 'spawn', id: 2, generation: 3 })?.text, 'worker 2 (generation 3): spawn');
  });

  it('leaves out what the status bar and the Problems panel show', () => {
    assert.equal(masterEventLine({ kind: 'state', state: 'ready', url: 'http://localhost:3000/', workers: 1 }), undefined);
    assert.equal(masterEventLine({ kind: 'findings', source: 'doctor', findings: [crash] }), undefined);
    assert.equal(masterEventLine({ kind: 'browser-reload', reason: 'css' }), undefined);
  });

  it('names a finding with or without a place', () => {
    assert.equal(findingText(crash), '[SR_BOOT_CRASH] SyntaxError: Unexpected token (app.js:7)');
    assert.equal(findingText({ code: 'SR_X', severity: 'info', message: 'm', file: 'a.js' }), '[SR_X] m (a.js)');
    assert.equal(doctorLine({ code: 'SR_X', severity: 'warning', message: 'm' }), 'doctor: [SR_X] warning: m');
    assert.equal(doctorLine(crash), 'doctor: [SR_BOOT_CRASH] error: SyntaxError: Unexpected token (app.js:7)');
  });

  it("writes an attach process's log and reload events under its preset's name", () => {
    assert.deepEqual(attachEventLine({ kind: 'log', level: 'error', message: 'pid file missing' }, 'Gunicorn'), { level: 'error', text: 'attach Gunicorn: pid file missing' });
    const done = { kind: 'reload-done' as const, id: 1, ok: true, durationMs: 9, generation: 2 };
    assert.deepEqual(attachEventLine(done, 'Swoole'), { level: 'info', text: `attach Swoole: ${JSON.stringify(done)}` });
    assert.equal(attachEventLine({ kind: 'stopping' }, 'Swoole'), undefined);
  });
});
