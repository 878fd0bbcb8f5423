/**
 * What a misbehaving client may hold in the master: a head sent byte by byte gets 408 once it is
 * older than `headersTimeoutMs` (each byte no longer buys time), and aborted or malformed bodies
 * release both sockets at once, so they hold neither file descriptors nor a reload.
 */
import { strict as assert } from 'node:assert';
import * as net from 'node:net';
import { runCli, startMaster } from '../helpers/master';
import { descendantsOf, fdCount, waitFor } from '../helpers/processes';
import { makeProject } from '../helpers/project';

const APP = `require('node:http').createServer((req, res) => {
  req.resume();
  req.on('end', () => res.end('ok\\n'));
}).listen(3000);
`;

describe('the front: limits on what a client may hold', function () {
  this.timeout(120_000);

  it('a head trickled one byte at a time gets 408 once older than headersTimeoutMs', async () => {
    const dir = makeProject({ 'app.js': APP, 'smooth-reload.config.json': JSON.stringify({ headersTimeoutMs: 1000 }) }, 'head-deadline');
    const master = await startMaster(dir, ['app.js', '--no-watch']);
    await master.waitEvent('reload-done');
    const head = `GET / HTTP/1.1\r\nHost: localhost\r\n${'X-Pad: '.padEnd(200, 'p')}\r\n\r\n`;
    const result = await new Promise<{ text: string; sent: number }>((resolve) => {
      const socket = net.connect(master.port, '127.0.0.1');
      let text = '';
      let sent = 0;
      // 100 ms apart: never idle for the 5 s that closes a silent connection, done after ~20 s.
      const timer = setInterval(() => {
        if (sent >= head.length) return;
        socket.write(head[sent++]);
      }, 100);
      socket.on('data', (d) => (text += d));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(timer);
        resolve({ text, sent });
      });
    });
    assert.match(result.text, /^HTTP\/1\.1 408 /);
    assert.match(result.text, /\r\nConnection: close\r\n/i);
    assert.ok(result.sent < head.length, `closed while the head was still arriving (${result.sent} of ${head.length} bytes sent)`);
  });

  it('aborted and malformed bodies release both sockets at once and do not hold a reload', async () => {
    // A drain that waited for a held request would outlast the test.
    const dir = makeProject({ 'app.js': APP, 'smooth-reload.config.json': JSON.stringify({ reload: { drainTimeoutMs: 600_000 } }) }, 'aborts');
    const master = await startMaster(dir, ['app.js', '--no-watch', '--workers', '2']);
    await master.waitEvent('reload-done');
    const pid = master.proc.pid!;
    // Settled: 2 workers and the 2 warm standbys booted after the reload (each holds pipes of the master's).
    await waitFor('2 workers and 2 standbys', () => descendantsOf(pid).length >= 4, 20_000);
    const baseline = fdCount(pid);
    const abort = (bytes: string, thenEnd: boolean) =>
      new Promise<string>((resolve) => {
        const socket = net.connect(master.port, '127.0.0.1');
        let text = '';
        socket.on('data', (d) => (text += d));
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(text));
        socket.write(bytes, () => {
          if (thenEnd) socket.end();
        });
      });
    const upload = `POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10485760\r\n\r\n${'a'.repeat(64 * 1024)}`;
    const answers = await Promise.all([
      ...Array.from({ length: 30 }, () => abort(upload, true)),
      ...Array.from({ length: 5 }, () => abort('POST /m HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\n\r\n', false)),
      ...Array.from({ length: 5 }, () => abort('POST /x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: xchunked\r\n\r\nhello', false)),
    ]);
    for (const a of answers) assert.match(a, /^HTTP\/1\.1 400 /);
    // Every client and worker socket of those requests is closed again.
    await waitFor(`master fds back to ${baseline}`, () => fdCount(pid) <= baseline, 10_000);
    const status = JSON.parse((await runCli(dir, 'status', '--json')).stdout) as { workers: { inFlight?: number }[] };
    for (const w of status.workers) if (w.inFlight !== undefined) assert.equal(w.inFlight, 0);
    // A reload is not held by any of them.
    const reload = await runCli(dir, 'reload', '--json');
    assert.equal(reload.code, 0, reload.stdout + reload.stderr);
  });
});
