/**
 * The short soak: 20 reloads in a row under light keep-alive load, with the same checks as the
 * 500-reload `npm run soak` (bench/soak.ts): no failed request or reload, no stale response after
 * "done", no growth in the master's file descriptors, master RSS growth under 10 MB, the right
 * number of workers at the end and no process left after the master stops.
 */
import { strict as assert } from 'node:assert';
import { runSoak, soakViolations } from '../../bench/soak';

describe('soak (short)', function () {
  this.timeout(180_000);

  it('20 reloads under load: nothing failed, nothing leaked, nothing left behind', async () => {
    const r = await runSoak({ reloads: 20, workers: 2, connections: 4 });
    assert.equal(r.reloads, 20);
    assert.ok(r.requests > 20, `the load ran (${r.requests} requests)`);
    assert.deepEqual(soakViolations(r, 2), []);
  });
});
