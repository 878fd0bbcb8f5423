/** What the launcher sets for the master alone (node-flags.ts) does not reach the app's workers. */
import { strict as assert } from 'node:assert';
import { masterEnv } from '../../server/node-flags';
import { get } from '../helpers/http';
import { startMaster } from '../helpers/master';
import { makeProject } from '../helpers/project';

const APP = `require('node:http').createServer((req, res) => res.end(JSON.stringify({ arenas: process.env.MALLOC_ARENA_MAX ?? null, marker: process.env.SMOOTH_RELOAD_MASTER_ONLY_ENV ?? null }))).listen(3000);\n`;

describe('master-only environment', () => {
  it('is not passed on to workers, while a value the user set is', async () => {
    const launched = masterEnv({});
    const master = await startMaster(makeProject({ 'app.js': APP }, 'menv'), ['app.js', '--workers', '1', '--no-watch'], launched as Record<string, string>);
    assert.deepEqual(JSON.parse((await get(master.url)).body), { arenas: null, marker: null });
    await master.stop();
    // Only what the launcher added is removed: a value from the user's own environment stays.
    const own = await startMaster(makeProject({ 'app.js': APP }, 'menv'), ['app.js', '--workers', '1', '--no-watch'], masterEnv({ MALLOC_ARENA_MAX: '4' }) as Record<string, string>);
    assert.deepEqual(JSON.parse((await get(own.url)).body), { arenas: '4', marker: null });
  });
});
