import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { get } from '../helpers/http';
import { CLI, startMaster } from '../helpers/master';
import { makeProject, versionApp, writeFile } from '../helpers/project';

const run = promisify(execFile);
async function cli(cwd: string, ...args: string[]): Promise<{ code: number; out: string }> {
  try {
    return { code: 0, out: (await run(process.execPath, [CLI, ...args], { cwd })).stdout };
  } catch (err) {
    return { code: (err as { code: number }).code, out: (err as { stdout: string }).stdout };
  }
}

describe('manual rollback', function () {
  this.timeout(60_000);

  it('returns to the previous generation\'s code without touching the saved files', async () => {
    const lib = (v: number) => `module.exports = ${JSON.stringify(`lib${v}`)};\n`;
    const app = versionApp(1).replace("res.end('v' + VERSION", "res.end(require('./lib') + ' v' + VERSION");
    const dir = makeProject({ 'app.js': app, 'lib.js': lib(1) });
    const master = await startMaster(dir, ['app.js', '--no-watch']);
    await master.waitEvent('reload-done');
    const none = await cli(dir, 'rollback', '--json');
    assert.equal(none.code, 1);
    assert.equal(JSON.parse(none.out).finding.code, 'SR_NO_ROLLBACK');
    // lib.js is required lazily, by the first request: generation 1 keeps it only once it ran it.
    assert.match((await get(master.url)).body, /^lib1 v1 /);

    writeFile(dir, 'lib.js', lib(2));
    writeFile(dir, 'app.js', app.replace('"1"', '"2"'));
    assert.equal((await cli(dir, 'reload')).code, 0);
    assert.match((await get(master.url)).body, /^lib2 v2 /);

    const back = await cli(dir, 'rollback', '--json');
    assert.equal(back.code, 0, back.out);
    const rolled = (await get(master.url)).body;
    assert.match(rolled, /^lib1 v1 /, `both files run their earlier code: ${rolled} ${back.out} ${JSON.stringify(fs.readdirSync(path.join(dir, '.smooth-reload', 'snapshots')))}`);
    assert.equal(fs.readFileSync(path.join(dir, 'lib.js'), 'utf8'), lib(2), 'the saved file is untouched');

    // The next reload reads the disk again.
    assert.equal((await cli(dir, 'reload')).code, 0);
    assert.match((await get(master.url)).body, /^lib2 v2 /);
  });
});
