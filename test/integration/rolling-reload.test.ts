import { strict as assert } from 'node:assert';
import { startMaster, waitServed, type RunningMaster } from '../helpers/master';
import { runLoad } from '../helpers/load';
import { makeProject, versionApp, writeFile } from '../helpers/project';

/** Save a new version and wait until the master says the reload is done. */
async function saveAndWait(master: RunningMaster, dir: string, version: number): Promise<number> {
  const since = master.events.length;
  writeFile(dir, 'app.js', versionApp(version));
  await master.waitEvent('reload-done', () => true, 20000, since);
  return Date.now();
}

for (const workers of [1, 2]) {
  for (const keepAlive of [true, false]) {
    describe(`rolling reload under load: ${workers} worker(s), ${keepAlive ? 'keep-alive' : 'a new connection per request'}`, function () {
      this.timeout(90_000);

      it('drops no request across 3 reloads and serves only new code after each reload is done', async () => {
        const dir = makeProject({ 'app.js': versionApp(1) });
        const master = await startMaster(dir, ['app.js', '--workers', String(workers)]);
        await master.waitEvent('reload-done');
        const doneAt: [number, string][] = [];
        const result = await runLoad({ url: master.url, durationSec: 60, keepAlive, connections: 50 }, async () => {
          for (const v of [2, 3, 4]) {
            // Each generation serves part of the load before the next save.
            await waitServed(dir, 50);
            doneAt.push([await saveAndWait(master, dir, v), `v${v}`]);
          }
        });
        assert.ok(result.requests > 200, `load ran (${result.requests} requests)`);
        assert.deepEqual(
          { errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, codes: result.errorCodes },
          { errors: 0, timeouts: 0, non2xx: 0, codes: {} },
        );
        // After each "done", every response received carries that version or a later one.
        for (const [at, version] of doneAt) {
          const stale = result.versions.filter(([t, v]) => t > at && Number(v.slice(1)) < Number(version.slice(1)));
          assert.equal(stale.length, 0, `${stale.length} responses from code older than ${version} after its reload was done`);
        }
        const seen = new Set(result.versions.map(([, v]) => v));
        for (const v of ['v1', 'v2', 'v3', 'v4']) assert.ok(seen.has(v), `some response came from ${v}`);
      });
    });
  }
}
