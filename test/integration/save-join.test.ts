/**
 * A save reaches the master twice from VS Code: through its watcher and as the extension's
 * `changed` report naming the file. Whichever comes second must not start a second reload.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { ControlClient } from '../../server/control/client';
import type { ChangeOutcome } from '../../server/protocol';
import { readStateFile } from '../../server/state-file';
import { get } from '../helpers/http';
import { startMaster } from '../helpers/master';
import { makeProject, versionApp, writeFile } from '../helpers/project';

describe('a save seen by the watcher and reported by the extension', () => {
  it('reloads once, whichever reports the save first; a file not saved since gets its own reload', async () => {
    const dir = makeProject({ 'app.js': versionApp(1), 'other.js': 'module.exports = 1;\n' });
    const master = await startMaster(dir, ['app.js']);
    await master.waitEvent('reload-done');
    const read = readStateFile(dir);
    assert.ok(read.ok);
    const client = await ControlClient.connect(read.state);
    try {
      const since = master.events.length;
      writeFile(dir, 'app.js', versionApp(2));
      const byWatcher = await master.waitEvent('reload-done', () => true, 20_000, since);
      assert.match((await get(master.url)).body, /^v2 /);

      const joined = await client.request<ChangeOutcome>({ type: 'changed', files: [path.join(dir, 'app.js')] });
      assert.equal(joined.joined, true);
      assert.equal(joined.reload?.id, byWatcher.id, 'the request got the watcher reload’s result');
      // Relative names are the same files.
      assert.equal((await client.request<ChangeOutcome>({ type: 'changed', files: ['app.js'] })).reload?.id, byWatcher.id);
      assert.equal(master.events.slice(since).filter((e) => e.kind === 'reload-start').length, 1, 'one reload for one save');

      const own = (await client.request<ChangeOutcome>({ type: 'changed', files: [path.join(dir, 'other.js')] })).reload!;
      assert.ok(own.id > byWatcher.id, 'a file no reload was started for gets a reload');
      assert.equal(own.ok, true);

      // The other order: the request right after the write, before the watcher's quiet time ends.
      const before = master.events.length;
      writeFile(dir, 'app.js', versionApp(3));
      const byRequest = (await client.request<ChangeOutcome>({ type: 'changed', files: [path.join(dir, 'app.js')] })).reload!;
      assert.match((await get(master.url)).body, /^v3 /);
      // A later save is a barrier: once the watcher reports it, it has reported app.js too (dropped, or
      // in the same batch, where it must not be named).
      writeFile(dir, 'other.js', 'module.exports = 3;\n');
      const barrier = await master.waitEvent('reload-start', (e) => /other\.js/.test(e.reason), 20_000, before);
      assert.doesNotMatch(barrier.reason, /app\.js/);
      const starts = master.events.slice(before).filter((e) => e.kind === 'reload-start');
      assert.deepEqual(starts.map((e) => (e as { id: number }).id), [byRequest.id, barrier.id], 'one reload for the save, whichever reported it first');
    } finally {
      await client.close();
    }
  });
});
