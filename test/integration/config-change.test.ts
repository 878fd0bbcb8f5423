/** Saving the config file under a running master: a warning that says to restart, no code reload. */
import { strict as assert } from 'node:assert';
import { startMaster } from '../helpers/master';
import { get } from '../helpers/http';
import { makeProject, versionApp, writeFile } from '../helpers/project';

describe('config file changed while the master runs', function () {
  this.timeout(60_000);

  it('warns with SR_CONFIG_CHANGED (saying when the new file would not load) and does not reload the workers', async () => {
    const dir = makeProject({ 'app.js': versionApp(1), 'smooth-reload.config.json': JSON.stringify({ entry: 'app.js' }) });
    const master = await startMaster(dir, []);
    await master.waitEvent('reload-done');
    const since = master.events.length;
    writeFile(dir, 'smooth-reload.config.json', JSON.stringify({ entry: 'app.js', workers: 2 }));
    const warned = await master.waitEvent('findings', (e) => e.source === 'config' && e.findings.length > 0, 20_000, since);
    assert.ok(warned.kind === 'findings');
    assert.equal(warned.findings[0].code, 'SR_CONFIG_CHANGED');
    assert.match(warned.findings[0].fix!, /stop.*serve/);
    assert.doesNotMatch(warned.findings[0].message, /would not load/);

    writeFile(dir, 'smooth-reload.config.json', JSON.stringify({ entry: 'app.js', workers: 0 }));
    const invalid = await master.waitEvent('findings', (e) => e.source === 'config' && /would not load/.test(e.findings[0]?.message ?? ''), 20_000, since);
    assert.ok(invalid.kind === 'findings');
    assert.match(invalid.findings[0].message, /workers/);
    assert.equal(master.events.slice(since).filter((e) => e.kind === 'reload-start').length, 0, 'no reload for a config change');
    assert.match((await get(master.url)).body, /^v1 /);
  });
});
