import { strict as assert } from 'node:assert';
import type { Finding } from '../../server/protocol';
import { parseDoctorOutput } from '../../extension/cli-tools';
import { FindingStore, applyConfigFix, findingToDiagnostic, quickFixFor } from '../../extension/findings-map';

const boot: Finding = {
  code: 'SR_BOOT_CRASH',
  severity: 'error',
  message: 'SyntaxError: Unexpected identifier',
  file: '/p/app.js',
  line: 7,
  column: 3,
  fix: 'fix the syntax error and save',
  related: [{ file: 'lib/util.js', line: 12, message: 'called from here' }],
};

describe('extension: findings → diagnostics', () => {
  it('maps 1-based line/column to a 0-based range, with code, docs fragment, fix and related places', () => {
    const d = findingToDiagnostic(boot, '/p', '/p/smooth-reload.config.json')!;
    assert.equal(d.file, '/p/app.js');
    assert.deepEqual(d.range, { startLine: 6, startCharacter: 2, endLine: 6, endCharacter: 3 });
    assert.equal(d.severity, 'error');
    assert.equal(d.code, 'SR_BOOT_CRASH');
    assert.equal(d.docsFragment, 'sr_boot_crash');
    assert.equal(d.message, 'SyntaxError: Unexpected identifier\nFix: fix the syntax error and save');
    assert.deepEqual(d.related, [{ file: '/p/lib/util.js', line: 11, message: 'called from here' }]);
    assert.equal(d.onConfigFile, false);
  });

  it('covers the whole line when the column is unknown, and uses end positions when given', () => {
    assert.deepEqual(findingToDiagnostic({ ...boot, column: undefined }, '/p')!.range, { startLine: 6, startCharacter: 0, endLine: 6, endCharacter: 10_000 });
    assert.deepEqual(findingToDiagnostic({ ...boot, endLine: 9, endColumn: 5 }, '/p')!.range, { startLine: 6, startCharacter: 2, endLine: 8, endCharacter: 4 });
  });

  it("drops related places inside Smooth Reload's own bundle", () => {
    const f = { ...boot, related: [{ file: '/ext/dist/bootstrap.js', line: 78, message: 'called from here' }, ...boot.related!] };
    assert.deepEqual(findingToDiagnostic(f, '/p', undefined, '/ext/dist')!.related.map((r) => r.file), ['/p/lib/util.js']);
  });

  it('resolves relative files against the folder', () => {
    assert.equal(findingToDiagnostic({ ...boot, file: 'src/a.ts' }, '/p')!.file, '/p/src/a.ts');
  });

  it('puts a finding without a file on the config file, or nowhere when there is none', () => {
    const watch: Finding = { code: 'SR_WATCH_LIMIT', severity: 'warning', message: 'out of inotify watches' };
    const d = findingToDiagnostic(watch, '/p', '/p/smooth-reload.config.json')!;
    assert.equal(d.file, '/p/smooth-reload.config.json');
    assert.equal(d.onConfigFile, true);
    assert.equal(d.severity, 'warning');
    assert.deepEqual(d.range, { startLine: 0, startCharacter: 0, endLine: 0, endCharacter: 10_000 });
    assert.equal(findingToDiagnostic(watch, '/p'), undefined);
  });
});

describe('extension: finding store', () => {
  it('replaces a source, clears it with an empty list, and lists each finding once', () => {
    const s = new FindingStore();
    s.set('watch', [{ code: 'SR_A', severity: 'info', message: 'a' }]);
    s.set('reload', [boot]);
    s.set('status', [boot]);
    assert.equal(s.size, 2, 'the same finding from two sources counts once');
    s.set('watch', [{ code: 'SR_B', severity: 'info', message: 'b' }]);
    assert.deepEqual(s.all().map((f) => f.code).sort(), ['SR_B', 'SR_BOOT_CRASH']);
    s.set('watch', []);
    s.clear('reload');
    s.clear('status');
    assert.equal(s.size, 0);
  });
});

describe('extension: quick fixes', () => {
  it('offers usePolling for the watcher limit and applies it keeping other keys', () => {
    const fix = quickFixFor({ code: 'SR_WATCH_LIMIT', severity: 'error', message: 'x' })!;
    assert.ok(fix && 'set' in fix && fix.set === 'watch.usePolling');
    assert.equal(applyConfigFix('{"entry":"app.js","watch":{"debounceMs":50}}', fix), '{\n  "entry": "app.js",\n  "watch": {\n    "debounceMs": 50,\n    "usePolling": true\n  }\n}\n');
    assert.equal(applyConfigFix('{"entry":"app.js"}', fix), '{\n  "entry": "app.js",\n  "watch": {\n    "usePolling": true\n  }\n}\n');
  });

  it('recognises a fix text that asks for "watch.usePolling": true (doctor findings)', () => {
    assert.ok(quickFixFor({ code: 'SR_DOCTOR_NFS', severity: 'warning', message: 'network filesystem', fix: 'set "watch.usePolling": true' }));
  });

  it('removes an unknown config key', () => {
    const fix = quickFixFor({ code: 'SR_CONFIG_INVALID', severity: 'error', message: 'unknown key "reload.batchsize": remove it' })!;
    assert.deepEqual(fix, { title: 'Remove the unknown key "reload.batchsize" from smooth-reload.config.json', remove: 'reload.batchsize' });
    assert.equal(applyConfigFix('{"reload":{"batchsize":2,"strategy":"rolling"}}', fix), '{\n  "reload": {\n    "strategy": "rolling"\n  }\n}\n');
  });

  it('offers port 0 for a port in use, and nothing for a boot error', () => {
    assert.deepEqual(quickFixFor({ code: 'SR_PORT_IN_USE', severity: 'error', message: 'in use' }), { title: 'Set "port": 0 (pick a free port) in smooth-reload.config.json', set: 'port', value: 0 });
    assert.equal(quickFixFor(boot), undefined);
  });

  it('refuses to rewrite a config file that is not JSON', () => {
    assert.throws(() => applyConfigFix('{ "entry": ', { title: 't', set: 'port', value: 0 }));
  });
});

describe('extension: doctor output', () => {
  const f = { code: 'SR_X', severity: 'warning', message: 'm' };
  it('accepts an array, {findings}, or JSON lines, and skips invalid entries', () => {
    assert.deepEqual(parseDoctorOutput(JSON.stringify([f, { nope: 1 }])), [f]);
    assert.deepEqual(parseDoctorOutput(JSON.stringify({ findings: [f], ok: false })), [f]);
    assert.deepEqual(parseDoctorOutput(`${JSON.stringify(f)}\n${JSON.stringify({ ...f, code: 'SR_Y' })}\n`).map((x) => x.code), ['SR_X', 'SR_Y']);
    assert.deepEqual(parseDoctorOutput(''), []);
  });
});
