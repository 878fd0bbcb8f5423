import { strict as assert } from 'node:assert';
import { ControlClient } from '../../server/control/client';
import type { MasterEvent, MasterStatus } from '../../server/protocol';
import { readStateFile } from '../../server/state-file';
import { runLoad } from '../helpers/load';
import { runCli, startMaster } from '../helpers/master';
import { makeProject, writeFile } from '../helpers/project';
import { waitFor } from '../helpers/processes';


function app(version: number, brokenPath?: string): string {
  // A line on stderr at boot, as many apps print: not the error a failing canary should report.
  return `const http = require('node:http');
console.error('notice: connected to the cache');
http.createServer((req, res) => {
  setTimeout(() => {
    if (${JSON.stringify(brokenPath ?? null)} && req.url.startsWith(${JSON.stringify(brokenPath ?? '')})) {
      if (!global.logged) { global.logged = true; console.error('Error: orders table missing'); }
      res.statusCode = 500;
      return res.end('v${version} failed');
    }
    res.end('v${version} ok');
  }, 3);
}).listen(3000);
`;
}

const config = {
  reload: { strategy: 'canary', canary: { share: 0.25, windowMs: 1500, minRequests: 20, maxErrorRateIncrease: 0.05 } },
};

async function control(dir: string): Promise<ControlClient> {
  const state = readStateFile(dir);
  assert.ok(state.ok, 'a running master');
  return ControlClient.connect(state.state);
}

/** The load reached the workers (instead of a fixed wait before saving). */
async function loadRunning(client: ControlClient): Promise<void> {
  await waitFor('the load to reach the workers', async () => (await client.request<MasterStatus>({ type: 'status' })).workers.some((w) => w.requests > 0));
}

async function status(cwd: string): Promise<MasterStatus> {
  const { stdout } = await runCli(cwd, 'status', '--json');
  return JSON.parse(stdout);
}

describe('canary reloads', function () {
  this.timeout(90_000);

  it('rolls back a version that fails requests, under load, naming the failing path; only the canary share fails', async () => {
    const dir = makeProject({ 'app.js': app(1), 'smooth-reload.config.json': JSON.stringify(config) });
    const master = await startMaster(dir, ['app.js', '--workers', '2']);
    await master.waitEvent('reload-done');
    const client = await control(dir);
    const result = await runLoad({ url: `${master.url}orders/42`, durationSec: 40, connections: 20 }, async () => {
      await loadRunning(client);
      writeFile(dir, 'app.js', app(2, '/orders'));
      await master.waitEvent('reload-failed', () => true, 30000);
    }).finally(() => client.close());
    const failed = master.events.find((e) => e.kind === 'reload-failed');
    assert.ok(failed && failed.kind === 'reload-failed');
    const finding = failed.finding!;
    assert.equal(finding.code, 'SR_CANARY_FAILED');
    assert.match(finding.message, /500 GET \/orders\/42/);
    assert.match(finding.message, /First error logged: Error: orders table missing/);
    // Every failed response came from the canary: the count in the finding is the load's own count.
    const [, canaryFailed, canaryTotal] = /(\d+) of (\d+) requests failed/.exec(finding.message)!.map(Number);
    assert.equal(result.errors + result.timeouts, 0, `no connection errors (${JSON.stringify(result.errorCodes)})`);
    assert.equal(result.non2xx, canaryFailed, 'non-2xx responses = the canary failures');
    assert.ok(canaryFailed > 0 && canaryFailed === canaryTotal);
    // Metrics match the load generator: requests on the surviving workers + the canary's = all requests.
    const s = await status(dir);
    assert.equal(s.generation, 1, 'still on the old generation');
    assert.equal(s.workers.filter((w) => w.state === 'ready').length, 2);
    // The master counts a request when it forwards it; the load generator counts the responses it
    // got. They differ only by what was in flight when the load stopped (at most one per connection).
    const served = s.workers.reduce((n, w) => n + w.requests, 0);
    const responses = result.versions.length;
    assert.ok(served + canaryTotal >= responses && served + canaryTotal <= responses + 20, `master counted ${served + canaryTotal}, load generator got ${responses} responses`);
    assert.equal(s.workers.reduce((n, w) => n + w.errors, 0), 0);
  });

  it('rolls a healthy version out to every worker', async () => {
    const dir = makeProject({ 'app.js': app(1), 'smooth-reload.config.json': JSON.stringify(config) });
    const master = await startMaster(dir, ['app.js', '--workers', '2']);
    await master.waitEvent('reload-done');
    let doneAt = 0;
    const client = await control(dir);
    const result = await runLoad({ url: `${master.url}orders/1`, durationSec: 40, connections: 20 }, async () => {
      await loadRunning(client);
      const since = master.events.length;
      // While it is observed, status lists the canary beside the two old workers: asked as soon as
      // the master says the window began, on a connection already open.
      const windowOpen = new Promise<MasterStatus>((resolve, reject) => {
        client.on('event', (e: MasterEvent) => {
          if (e.kind === 'reload-progress' && /^canary worker \d+ takes/.test(e.step)) client.request<MasterStatus>({ type: 'status' }).then(resolve, reject);
        });
      });
      writeFile(dir, 'app.js', app(3));
      const observed = (await windowOpen).workers.filter((w) => w.canary);
      assert.deepEqual(observed.map((w) => w.generation), [2]);
      await master.waitEvent('reload-done', () => true, 30000, since);
      doneAt = Date.now();
    }).finally(() => client.close());
    assert.deepEqual({ errors: result.errors, non2xx: result.non2xx, timeouts: result.timeouts }, { errors: 0, non2xx: 0, timeouts: 0 });
    assert.equal(result.versions.filter(([t, v]) => t > doneAt && v !== 'v3').length, 0, 'only new code after done');
    const progress = master.events.filter((e) => e.kind === 'reload-progress').map((e) => (e.kind === 'reload-progress' ? e.step : ''));
    assert.ok(progress.some((p) => p.startsWith('canary healthy')), progress.join(' | '));
    const s = await status(dir);
    assert.equal(s.generation, 2);
    assert.deepEqual(s.workers.map((w) => [w.generation, w.state]), [[2, 'ready'], [2, 'ready']]);
    const served = s.workers.reduce((n, w) => n + w.requests, 0);
    assert.ok(served > 0 && served < result.requests, 'the new workers served part of the load');
  });

  it('says so when the canary saw too few requests to judge, and rolls out', async () => {
    const dir = makeProject({ 'app.js': app(1), 'smooth-reload.config.json': JSON.stringify(config) });
    const master = await startMaster(dir, ['app.js', '--workers', '2']);
    await master.waitEvent('reload-done');
    const since = master.events.length;
    writeFile(dir, 'app.js', app(2, '/orders'));
    await master.waitEvent('reload-done', () => true, 30000, since);
    const steps = master.events.slice(since).flatMap((e) => (e.kind === 'reload-progress' ? [e.step] : []));
    assert.ok(steps.some((st) => /^canary unjudged: only 0 requests in 1500 ms \(reload.canary.minRequests 20\)/.test(st)), steps.join(' | '));
    assert.equal((await status(dir)).generation, 2);
  });
});
