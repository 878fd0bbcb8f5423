/** `serve --stop-on-hup` (what the VS Code task runs): SIGHUP stops the master, where it otherwise reloads. */
import { strict as assert } from 'node:assert';
import { startMaster } from '../helpers/master';
import { makeProject, versionApp } from '../helpers/project';
import { isAlive, waitFor } from '../helpers/processes';

describe('serve --stop-on-hup', function () {
  this.timeout(60_000);

  it('SIGHUP stops the master gracefully, with no reload, and its worker goes too', async () => {
    const dir = makeProject({ 'app.js': versionApp(1) });
    const master = await startMaster(dir, ['app.js', '--no-watch', '--stop-on-hup']);
    const first = await master.waitEvent('reload-done');
    const worker = (master.events.find((e) => e.kind === 'worker' && e.event === 'ready') as { pid: number }).pid;
    const exited = new Promise<number | null>((resolve) => master.proc.once('exit', (code) => resolve(code)));
    master.proc.kill('SIGHUP');
    assert.equal(await exited, 0);
    assert.deepEqual(master.events.filter((e) => e.kind === 'reload-start').map((e) => (e as { id: number }).id), [first.id]);
    await waitFor('the worker to exit', () => !isAlive(worker), 10_000);
  });

  it('without the flag SIGHUP reloads, as before', async () => {
    const dir = makeProject({ 'app.js': versionApp(1) });
    const master = await startMaster(dir, ['app.js', '--no-watch']);
    await master.waitEvent('reload-done');
    master.proc.kill('SIGHUP');
    await master.waitEvent('reload-done', (e) => e.generation === 2);
    assert.equal(master.proc.exitCode, null);
  });
});
