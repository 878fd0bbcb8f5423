/**
 * Every change takes one path: a file reported by the editor (`changed`), by the CLI, or seen by
 * the master's watcher is classified by the same code and decided by the same function. A
 * stylesheet swaps in browsers without replacing workers, an ignored file does nothing, a
 * `restartOn` file restarts, whoever reported it.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { ControlClient } from '../../server/control/client';
import type { ChangeOutcome, MasterEvent } from '../../server/protocol';
import { readStateFile } from '../../server/state-file';
import { get } from '../helpers/http';
import { runCli, startMaster } from '../helpers/master';
import { makeProject, versionApp, writeFile } from '../helpers/project';

const starts = (events: MasterEvent[]) => events.filter((e): e is Extract<MasterEvent, { kind: 'reload-start' }> => e.kind === 'reload-start');

describe('one path for every change', () => {
  it('the editor’s report is decided as the watcher’s change: stylesheet, ignored file, restartOn file, code', async () => {
    const dir = makeProject({
      'app.js': versionApp(1),
      'public/style.css': 'body { color: red }\n',
      'notes/todo.js': '// notes\n',
      'settings/app.json': '{}\n',
      'smooth-reload.config.json': JSON.stringify({ entry: 'app.js', workers: 2, restartOn: ['settings/*.json'], watch: { ignore: ['notes/**'] } }),
    });
    const master = await startMaster(dir, []);
    await master.waitEvent('reload-done');
    const read = readStateFile(dir);
    assert.ok(read.ok);
    const client = await ControlClient.connect(read.state);
    try {
      const generation = async () => (await client.request<{ generation: number }>({ type: 'status' })).generation;
      const g1 = await generation();

      // A stylesheet saved in the editor: the browsers swap it, the workers stay.
      let since = master.events.length;
      writeFile(dir, 'public/style.css', 'body { color: blue }\n');
      const css = await client.request<ChangeOutcome>({ type: 'changed', files: [path.join(dir, 'public/style.css')] });
      assert.equal(css.action, 'browser');
      const swap = await master.waitEvent('browser-reload', (e) => e.reason === 'css', 20_000, since);
      assert.deepEqual(swap.files, ['public/style.css']);

      // A file "watch.ignore" matches: nothing, whoever reports it.
      writeFile(dir, 'notes/todo.js', '// more notes\n');
      const ignored = await client.request<ChangeOutcome>({ type: 'changed', files: ['notes/todo.js'] });
      assert.equal(ignored.action, 'none');
      assert.deepEqual(ignored.ignored, ['notes/todo.js']);
      // A file outside the project: nothing either.
      assert.equal((await client.request<ChangeOutcome>({ type: 'changed', files: [path.join(path.dirname(dir), 'elsewhere.js')] })).action, 'none');

      // Code after them: the one reload since the stylesheet is this one, and the watcher's
      // report of the same save joins it (the ignored and css writes came before it).
      writeFile(dir, 'app.js', versionApp(2));
      const code = await client.request<ChangeOutcome>({ type: 'changed', files: ['app.js'] });
      assert.equal(code.action, 'reload');
      assert.equal(code.reload?.ok, true);
      assert.match((await get(master.url)).body, /^v2 /);
      assert.equal(await generation(), g1 + 1, 'one new generation: for app.js only');
      assert.deepEqual(starts(master.events.slice(since)).map((e) => e.reason), ['changed app.js']);
      // The watcher saw the same save: it joins, it does not reload again.
      writeFile(dir, 'app.js', versionApp(3));
      const byWatcher = await master.waitEvent('reload-done', () => true, 20_000, master.events.length);
      const late = await client.request<ChangeOutcome>({ type: 'changed', files: ['app.js'] });
      assert.equal(late.joined, true);
      assert.equal(late.reload?.id, byWatcher.id);

      // A restartOn file saved in the editor restarts the workers, as the watcher would.
      since = master.events.length;
      writeFile(dir, 'settings/app.json', '{"a":1}\n');
      const restart = await client.request<ChangeOutcome>({ type: 'changed', files: ['settings/app.json'] });
      assert.equal(restart.action, 'restart');
      assert.equal(restart.reload?.ok, true);
      assert.deepEqual(starts(master.events.slice(since)).map((e) => e.reason), ['changed settings/app.json']);
      // The stylesheet's save, reported twice (editor and watcher), swapped once.
      assert.equal(master.events.filter((e) => e.kind === 'browser-reload' && e.reason === 'css').length, 1);
    } finally {
      await client.close();
    }
  });

  it('smooth-reload changed: the same decision from a terminal, and a clear error for no file', async () => {
    const dir = makeProject({ 'app.js': versionApp(1), 'public/a.png': 'png', 'smooth-reload.config.json': JSON.stringify({ entry: 'app.js', workers: 1, watch: { enabled: false } }) });
    const master = await startMaster(dir, []);
    await master.waitEvent('reload-done');
    const asset = await runCli(dir, 'changed', 'public/a.png', '--json');
    assert.equal(asset.code, 0, asset.stderr);
    assert.equal((JSON.parse(asset.stdout) as ChangeOutcome).action, 'browser');
    writeFile(dir, 'app.js', versionApp(2));
    const code = await runCli(dir, 'changed', 'app.js');
    assert.equal(code.code, 0, code.stderr);
    assert.match(code.stdout, /^reload #\d+ done in \d+ ms \(generation 2\)/);
    assert.match((await get(master.url)).body, /^v2 /);
    const none = await runCli(dir, 'changed');
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /missing required argument 'files'/);
  });
});
