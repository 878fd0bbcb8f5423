/**
 * Debug mode from a terminal: `serve --inspect` gives each worker its own inspector (printed, and
 * in `status --json`); a worker stopped in a debugger (here: this test, speaking the inspector
 * protocol to it, as Chrome DevTools would) is shown as paused, gets no new requests while another
 * worker serves, and is not timed out or killed, even past the drain and kill timeouts of a reload;
 * when resumed, its paused request is answered by the old code and it stops on its own.
 */
import { strict as assert } from 'node:assert';
import WebSocket from 'ws';
import type { MasterStatus } from '../../server/protocol';
import { get } from '../helpers/http';
import { runCli, startMaster } from '../helpers/master';
import { isAlive, waitFor } from '../helpers/processes';
import { makeProject, writeFile } from '../helpers/project';

const app = (version: string) => `require('node:http').createServer((req, res) => {
  if (req.url === '/pause') {
    debugger; // stops here when a debugger is attached
  }
  res.end('${version} ' + req.url + ' ' + process.pid + '\\n');
}).listen(Number(process.env.PORT));
`;

/** A minimal inspector (Chrome DevTools protocol) client. */
class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, (result: unknown) => void>();
  readonly events: { method: string; params: unknown }[] = [];
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { id?: number; result?: unknown; method?: string; params?: unknown };
      if (m.id !== undefined) this.pending.get(m.id)?.(m.result);
      else if (m.method) this.events.push({ method: m.method, params: m.params });
    });
  }
  static open(url: string): Promise<Inspector> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new Inspector(ws)));
      ws.once('error', reject);
    });
  }
  send(method: string, params: object = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }
  close(): void {
    this.ws.close();
  }
}

describe('debug mode: serve --inspect, and a worker paused in a debugger', function () {
  this.timeout(90_000);

  it('each worker has its own inspector; a paused worker is shown, routed around, never killed, and finishes on the old code when resumed', async () => {
    const dir = makeProject({ 'app.js': app('v1'), 'smooth-reload.config.json': JSON.stringify({ entry: 'app.js', workers: 2, reload: { drainTimeoutMs: 1000, killTimeoutMs: 1000, standby: false } }) }, 'debug');
    const master = await startMaster(dir, ['--inspect']);
    await master.waitEvent('reload-done', (e) => e.ok);
    const status = JSON.parse((await runCli(dir, 'status', '--json')).stdout) as MasterStatus;
    const urls = status.workers.map((w) => w.inspector);
    assert.equal(urls.length, 2);
    for (const u of urls) assert.match(u ?? '', /^ws:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+$/);
    assert.notEqual(new URL(urls[0]!).port, new URL(urls[1]!).port, 'a port per worker');
    assert.ok(master.events.some((e) => e.kind === 'worker' && e.event === 'ready' && e.inspector === urls[0] || e.kind === 'worker' && e.inspector === urls[1]), 'the ready events name the inspectors');

    // Attach to both workers, as a debugger would; /pause stops at its `debugger` statement.
    const inspectors = await Promise.all(urls.map((u) => Inspector.open(u!)));
    try {
      for (const i of inspectors) await i.send('Debugger.enable');
      const paused = get(`${master.url}pause`);
      const stopped = await waitFor('a worker to stop at the debugger statement', () => inspectors.find((i) => i.events.some((e) => e.method === 'Debugger.paused')), 20_000);
      const pausedEvent = await master.waitEvent('worker', (e) => e.event === 'paused', 20_000);
      const shown = JSON.parse((await runCli(dir, 'status', '--json')).stdout) as MasterStatus;
      assert.deepEqual(shown.workers.filter((w) => w.paused).map((w) => w.id), [pausedEvent.id]);

      // The other worker serves every request meanwhile.
      const pausedPid = shown.workers.find((w) => w.paused)!.pid!;
      for (let n = 0; n < 30; n++) {
        const r = await get(`${master.url}n${n}`);
        assert.equal(r.status, 200);
        assert.doesNotMatch(r.body, new RegExp(` ${pausedPid}\\n$`), 'not routed to the paused worker');
      }

      // A save while paused: new requests get the new code at once; the paused worker is retired
      // but outlives the drain and kill timeouts (1 s each) many times over.
      const since = master.events.length;
      writeFile(dir, 'app.js', app('v2'));
      await master.waitEvent('reload-done', (e) => e.ok, 30_000, since);
      assert.match((await get(`${master.url}after`)).body, /^v2 /);
      // The one wait for time here: the timers it must outlive (drain + kill = 2 s), three times over.
      await new Promise((r) => setTimeout(r, 6000));
      assert.ok(isAlive(pausedPid), 'the paused worker was not killed');
      assert.equal(master.events.slice(since).some((e) => e.kind === 'worker' && (e.event === 'killed' || e.event === 'crash') && e.pid === pausedPid), false);

      // Resumed: the paused request is answered by the code it started on, and the worker stops by itself.
      await stopped.send('Debugger.resume');
      const answer = await paused;
      assert.equal(answer.status, 200);
      assert.match(answer.body, new RegExp(`^v1 /pause ${pausedPid}\\n$`));
      const exit = await master.waitEvent('worker', (e) => e.pid === pausedPid && (e.event === 'exit' || e.event === 'killed'), 20_000, since);
      assert.equal(exit.event, 'exit', 'it exited after its request, not killed');
      await waitFor('the paused worker to be gone', () => !isAlive(pausedPid), 10_000);
    } finally {
      for (const i of inspectors) i.close();
    }
  });
});
