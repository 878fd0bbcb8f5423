/**
 * `smooth-reload doctor --run` on every SIGTERM case of test/fixtures/doctor/shutdown, for real:
 * the bad project is started once, SIGTERMed, not gone within reload.killTimeoutMs (1500 ms in
 * the fixtures) and killed, and SR_RUN_NO_EXIT names its handler's file:line (from the worker's
 * inspector) and what was open; the clean twin exits and gets no finding at all. The fixtures are
 * run where they are (the doctor writes nothing): the TypeScript one finds tsx in this repository.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { RunReport } from '../../server/doctor';
import type { Finding } from '../../server/protocol';
import { CLI } from '../helpers/master';
import { SHUTDOWN_CASES, SHUTDOWN_FIXTURES } from '../unit/doctor/shutdown-cases';

function doctorRun(dir: string): { status: number | null; findings: Finding[]; run: RunReport } {
  const r = spawnSync(process.execPath, [CLI, 'doctor', dir, '--run', '--json'], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  try {
    return { status: r.status, ...(JSON.parse(r.stdout) as { findings: Finding[]; run: RunReport }) };
  } catch {
    throw new Error(`doctor --run printed no JSON (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
}

const at = (dir: string, f: { file?: string; line?: number }) => `${path.relative(dir, f.file ?? '')}:${f.line}`;

describe('doctor --run: the app started once and sent SIGTERM', function () {
  this.timeout(60_000);

  for (const c of SHUTDOWN_CASES) {
    it(`${c.name}: the bad project is killed and its handler located; the clean twin exits`, () => {
      const bad = path.join(SHUTDOWN_FIXTURES, c.name, 'bad');
      const b = doctorRun(bad);
      assert.equal(b.run.ready, true);
      assert.equal(b.run.exited, false, 'the bad project ignores SIGTERM');
      assert.equal(b.run.signal, 'SIGKILL');
      const runtime = b.findings.filter((f) => f.code === 'SR_RUN_NO_EXIT');
      assert.equal(runtime.length, 1);
      assert.equal(at(bad, runtime[0]), c.runAt ?? c.expect.at, 'the handler function, located by the inspector');
      assert.match(runtime[0].message, /did not exit within reload\.killTimeoutMs \(1500 ms\) of SIGTERM.* and was killed; still open: .*; SIGTERM handler at /);
      // The static finding is there too: both ways catch each case.
      assert.deepEqual(b.findings.filter((f) => f.code !== 'SR_RUN_NO_EXIT').map((f) => `${f.code} ${at(bad, f)}`), [`${c.expect.code} ${c.expect.at}`]);

      const clean = path.join(SHUTDOWN_FIXTURES, c.name, 'clean');
      const g = doctorRun(clean);
      assert.equal(g.run.ready, true);
      assert.equal(g.run.exited, true, 'the clean twin exits on SIGTERM');
      assert.deepEqual(g.findings, []);
      assert.equal(g.status, 0);
    });
  }

  it('names what the server left open: the listening server for the issue\'s handler, the stream for close() alone', () => {
    const timers = doctorRun(path.join(SHUTDOWN_FIXTURES, 'clears-timers', 'bad'));
    assert.match(timers.findings.find((f) => f.code === 'SR_RUN_NO_EXIT')!.message, /still open: [^;]*TCPServerWrap/);
    const keep = doctorRun(path.join(SHUTDOWN_FIXTURES, 'keepalive', 'bad'));
    assert.equal(keep.run.heldStream, true);
    const f = keep.findings.find((x) => x.code === 'SR_RUN_NO_EXIT')!;
    assert.match(f.message, /a client was reading a response that had not ended/);
    assert.doesNotMatch(f.message, /TCPServerWrap/, 'the server itself was closed');
    assert.match(f.message, /still open: TCPSocketWrap/);
  });
});
