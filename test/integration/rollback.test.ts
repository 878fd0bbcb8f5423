import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { get } from '../helpers/http';
import { runCli, startMaster } from '../helpers/master';
import { makeProject, versionApp, writeFile } from '../helpers/project';

describe('manual rollback', function () {
  this.timeout(60_000);

  it('returns to the previous generation\'s code without touching the saved files', async () => {
    const lib = (v: number) => `module.exports = ${JSON.stringify(`lib${v}`)};\n`;
    const app = versionApp(1).replace("res.end('v' + VERSION", "res.end(require('./lib') + ' v' + VERSION");
    const dir = makeProject({ 'app.js': app, 'lib.js': lib(1) });
    const master = await startMaster(dir, ['app.js', '--no-watch']);
    await master.waitEvent('reload-done');
    const none = await runCli(dir, 'rollback', '--json');
    assert.equal(none.code, 1);
    assert.equal(JSON.parse(none.stdout).finding.code, 'SR_NO_ROLLBACK');
    // lib.js is required lazily, by the first request: generation 1 keeps it only once it ran it.
    assert.match((await get(master.url)).body, /^lib1 v1 /);

    writeFile(dir, 'lib.js', lib(2));
    writeFile(dir, 'app.js', app.replace('"1"', '"2"'));
    assert.equal((await runCli(dir, 'reload')).code, 0);
    assert.match((await get(master.url)).body, /^lib2 v2 /);

    const back = await runCli(dir, 'rollback', '--json');
    assert.equal(back.code, 0, back.stdout);
    const rolled = (await get(master.url)).body;
    assert.match(rolled, /^lib1 v1 /, `both files run their earlier code: ${rolled} ${back.stdout} ${JSON.stringify(fs.readdirSync(path.join(dir, '.smooth-reload', 'snapshots')))}`);
    assert.equal(fs.readFileSync(path.join(dir, 'lib.js'), 'utf8'), lib(2), 'the saved file is untouched');

    // The next reload reads the disk again.
    assert.equal((await runCli(dir, 'reload')).code, 0);
    assert.match((await get(master.url)).body, /^lib2 v2 /);
  });
});
