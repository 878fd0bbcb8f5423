/**
 * What the launcher sets for the master alone (node-flags.ts) does not reach the app's workers,
 * and a master started with no flags sets its own V8 flags (MASTER_RUNTIME_V8_FLAGS).
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { masterEnv } from '../../server/node-flags';
import { get } from '../helpers/http';
import { startMaster } from '../helpers/master';
import { TEST_ROOT, makeProject, writeFile } from '../helpers/project';

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

/**
 * Loaded into the master with --require: when it exits, it gives V8 every reason to grow the young
 * generation (80 MB allocated, a tenth of it kept through many scavenges) and prints the new
 * space's size. Without a cap the semi-spaces grow to their maximum (16 MB each on Node 20).
 */
const PROBE = `if (process.argv[2] === 'serve') process.on('exit', () => {
  const v8 = require('node:v8');
  const keep = [];
  for (let i = 0; i < 1e6; i++) { const o = { i, s: 'x' + i, a: [i] }; if (i % 10 === 0) keep.push(o); }
  const newSpace = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
  process.stderr.write('v8probe ' + JSON.stringify({ newSpaceMB: newSpace / 1048576, kept: keep.length }) + '\\n');
});
`;

async function youngGenerationAtExit(nodeOptions: string): Promise<number> {
  const probe = path.join(TEST_ROOT, 'v8-probe.js');
  writeFile(TEST_ROOT, 'v8-probe.js', PROBE);
  const master = await startMaster(makeProject({ 'app.js': APP }, 'v8flags'), ['app.js', '--workers', '1', '--no-watch'], { NODE_OPTIONS: `--require ${probe} ${nodeOptions}`.trim() });
  assert.equal((await get(master.url)).status, 200);
  assert.equal(await master.stop(), 0);
  const line = master.output.join('\n').split('\n').find((l) => l.startsWith('v8probe '));
  assert.ok(line, `the probe reported:\n${master.output.join('\n')}`);
  return (JSON.parse(line.slice('v8probe '.length)) as { newSpaceMB: number }).newSpaceMB;
}

describe("the master's own V8 flags", function () {
  this.timeout(60_000);

  it('keep the young generation of a master started with no flags at its initial size', async () => {
    // 1 MB semi-spaces: the new space commits two of them. Without the flag: 32 MB (64 on Node 24).
    assert.ok((await youngGenerationAtExit('')) <= 2);
  });

  it("leave a semi-space size given on the command line alone: it grows, up to that size", async () => {
    // Shows the probe does make V8 grow the young generation, up to 2 × 2 MB here.
    const mb = await youngGenerationAtExit('--max-semi-space-size=2');
    assert.ok(mb > 2 && mb <= 4, `new space ${mb} MB`);
  });
});
