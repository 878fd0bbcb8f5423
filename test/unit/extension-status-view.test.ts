import { strict as assert } from 'node:assert';
import type { MasterStatus } from '../../server/protocol';
import { describeAge, openAppLink, statusView, type SessionSnapshot } from '../../extension/status-view';

const base: SessionSnapshot = { folderName: 'hello', phase: 'ready', owned: true, url: 'http://localhost:3000/', workers: 2, autoReload: true, findings: 0 };
const NOW = 1_000_000;

describe('extension: status bar', () => {
  it('offers to start when there is no session or it is stopped', () => {
    for (const s of [undefined, { ...base, phase: 'stopped' as const }]) {
      const v = statusView(s, NOW);
      assert.equal(v.command, 'smooth-reload.start');
      assert.match(v.text, /debug-start/);
      assert.equal(v.background, undefined);
    }
  });

  it('shows starting with a spinner', () => {
    assert.match(statusView({ ...base, phase: 'starting' }, NOW).text, /loading~spin.*starting/);
  });

  it('shows ready with the worker count, the last reload time and the URL in the tooltip', () => {
    const v = statusView({ ...base, lastReload: { ok: true, durationMs: 142, at: NOW - 2000 } }, NOW);
    assert.equal(v.text, '$(zap) Smooth Reload: 2 workers · 142 ms');
    assert.equal(v.command, 'smooth-reload.reload');
    assert.equal(v.background, undefined);
    assert.match(v.tooltip, /http:\/\/localhost:3000\//);
    assert.match(v.tooltip, /done in 142 ms, just now/);
    assert.match(v.tooltip, /Reload on save: on/);
  });

  it("links the tooltip's URL to Open in Browser for the folder, so it goes through the port forwarding", () => {
    const link = openAppLink('/work/my app');
    const v = statusView(base, NOW, link);
    assert.ok(v.tooltip.includes(`[http://localhost:3000/](${link})`), v.tooltip);
    assert.match(link, /^command:smooth-reload\.openBrowser\?/);
    // The argument has the shape of a Workers-view row: what the command's folder pick reads.
    assert.deepEqual(JSON.parse(decodeURIComponent(link.slice(link.indexOf('?') + 1))), [{ session: { folder: '/work/my app' } }]);
    // A Markdown link target cannot hold a space or a parenthesis unescaped.
    assert.doesNotMatch(link, /[\s()]/);
  });

  it('says "1 worker" and marks an attached master', () => {
    const v = statusView({ ...base, workers: 1, owned: false }, NOW);
    assert.match(v.text, /1 worker$/);
    assert.match(v.tooltip, /attached/);
  });

  it('spins while reloading', () => {
    assert.equal(statusView({ ...base, phase: 'reloading' }, NOW).text, '$(sync~spin) Smooth Reload: reloading');
  });

  it('shows a failed reload with the error colour and the reason, and still reloads on click', () => {
    const v = statusView({ ...base, lastReload: { ok: false, durationMs: 80, at: NOW, message: 'SyntaxError: Unexpected token' }, findings: 1 }, NOW);
    assert.equal(v.text, '$(error) Smooth Reload: reload failed · previous code serving');
    assert.equal(v.background, 'error');
    assert.equal(v.command, 'smooth-reload.reload');
    assert.match(v.tooltip, /SyntaxError: Unexpected token/);
    assert.match(v.tooltip, /previous workers keep serving/);
    assert.match(v.tooltip, /1 finding in the Problems panel/);
  });

  it('shows a failed master with no worker serving', () => {
    const v = statusView({ ...base, phase: 'failed', workers: 0, error: 'boot crash' }, NOW);
    assert.equal(v.text, '$(error) Smooth Reload: failed · nothing serving');
    assert.equal(v.background, 'error');
    assert.match(v.tooltip, /No worker is serving/);
  });

  it('shows a crashed master in error colour, one click restarts it', () => {
    const v = statusView({ ...base, phase: 'crashed', error: 'exit 1: out of memory' }, NOW);
    assert.match(v.text, /crashed/);
    assert.equal(v.background, 'error');
    assert.equal(v.command, 'smooth-reload.start');
    assert.match(v.tooltip, /out of memory/);
  });

  it('lists per-worker metrics from the status reply', () => {
    const status = {
      workers: [{ id: 3, pid: 4242, generation: 2, state: 'ready', port: 1, inFlight: 1, requests: 57, errors: 0, startedAt: 0, rssBytes: 50 * 1048576, latencyMs: { p50: 4, p90: 9, p99: 12 } }],
    } as unknown as MasterStatus;
    const v = statusView({ ...base, status }, NOW);
    assert.match(v.tooltip, /\| 3 \| 4242 \| 2 \| ready \| 57 \| 0 \| 1 \| 4\/12 ms \| 50 MB \|/);
  });

  it('describes ages', () => {
    assert.equal(describeAge(1000), 'just now');
    assert.equal(describeAge(30_000), '30 s ago');
    assert.equal(describeAge(5 * 60_000), '5 min ago');
    assert.equal(describeAge(2 * 3_600_000), '2 h ago');
  });
});
