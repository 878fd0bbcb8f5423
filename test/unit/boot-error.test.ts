import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseBootError } from '../../server/runners/boot-error';

// Real stderr captured from node 20, python 3 and php 8 (see test/fixtures/boot-errors).
const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'boot-errors', `${name}.stderr.txt`), 'utf8');

describe('parseBootError', () => {
  it('reads a CommonJS syntax error: file, line and column from the arrow header', () => {
    assert.deepEqual(parseBootError(fixture('bad.js')), { message: "SyntaxError: Unexpected token ';'", file: '/tmp/se/bad.js', line: 2, column: 11, frames: [] });
  });

  it('reads an ES module syntax error from its file:// header', () => {
    const e = parseBootError(fixture('bad.mjs'))!;
    assert.equal(e.file, '/tmp/se/bad.mjs');
    assert.equal(e.line, 2);
    assert.equal(e.message, "SyntaxError: Unexpected token ';'");
  });

  it('reads a thrown error: the innermost app frame, the callers as further frames', () => {
    const e = parseBootError(fixture('thr.js'))!;
    assert.equal(e.message, 'Error: boom');
    assert.equal(e.file, '/tmp/se/thr.js');
    assert.equal(e.line, 1);
    assert.ok(e.frames.some((f) => f.file === '/tmp/se/thr.js' && f.line === 2), 'the caller on line 2 is kept');
  });

  it('reads a Python syntax error and a Python traceback', () => {
    const syntax = parseBootError(fixture('bad.py'))!;
    assert.deepEqual([syntax.file, syntax.line, syntax.message], ['/tmp/se/bad.py', 2, "SyntaxError: expected ':'"]);
    const thrown = parseBootError(fixture('thr.py'))!;
    assert.deepEqual([thrown.file, thrown.line, thrown.message], ['/tmp/se/thr.py', 2, 'ValueError: nope']);
  });

  it('reads a PHP parse error', () => {
    const e = parseBootError(fixture('bad.php'))!;
    assert.deepEqual([e.file, e.line], ['/tmp/se/bad.php', 2]);
    assert.match(e.message, /syntax error/);
  });

  it('skips frames in node internals and node_modules', () => {
    const stderr = [
      'Error: listen EADDRINUSE: address already in use :::3000',
      '    at Server.setupListenHandle [as _listen2] (node:net:1817:16)',
      '    at Object.<anonymous> (/proj/node_modules/express/lib/application.js:635:24)',
      '    at Object.<anonymous> (/proj/server.js:12:5)',
    ].join('\n');
    const e = parseBootError(stderr)!;
    assert.deepEqual([e.file, e.line, e.column], ['/proj/server.js', 12, 5]);
  });

  it('returns undefined when nothing looks like an error', () => {
    assert.equal(parseBootError('listening on 3000\nbye\n'), undefined);
  });
});
