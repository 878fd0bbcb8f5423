/**
 * A multi-root workspace in a real VS Code: folders "a" and "b" have a config file, "plain" has
 * none. Each configured folder gets its own master; a save reloads only its folder's master.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SmoothReloadApi } from '../../../extension/extension';
import { isAlive, readStateFile } from '../../../server/state-file';
import { get, getWithHost, waitFor } from '../wait';

const EXTENSION_ID = 'smooth-reload.smooth-reload';

describe('Smooth Reload in a multi-root workspace', function () {
  let api: SmoothReloadApi;
  const dir: Record<string, string> = {};

  before(async () => {
    api = await vscode.extensions.getExtension<SmoothReloadApi>(EXTENSION_ID)!.activate();
    for (const wf of vscode.workspace.workspaceFolders ?? []) dir[wf.name] = wf.uri.fsPath;
    assert.deepEqual(Object.keys(dir).sort(), ['a', 'b', 'plain', 'zero']);
  });

  after(async () => {
    for (const name of ['a', 'b', 'zero']) if (api.snapshot(dir[name])) await vscode.commands.executeCommand('smooth-reload.stop', vscode.Uri.file(dir[name]));
  });

  it('has a session for each folder with a config file, and none for the folder without', () => {
    assert.equal(api.snapshot(dir.a)?.phase, 'stopped');
    assert.equal(api.snapshot(dir.b)?.phase, 'stopped');
    assert.equal(api.snapshot(dir.plain), undefined);
    assert.equal(api.snapshot(dir.zero), undefined);
  });

  it('starts one master per folder, each serving its own folder; openBrowserOnStart of one folder opens only its app, through the forwarding', async () => {
    const settingOfA = vscode.workspace.getConfiguration('smooth-reload', vscode.Uri.file(dir.a));
    await settingOfA.update('openBrowserOnStart', true, vscode.ConfigurationTarget.WorkspaceFolder);
    const opened = api.openedApps().length;
    try {
      for (const name of ['a', 'b']) await vscode.commands.executeCommand('smooth-reload.start', vscode.Uri.file(dir[name]));
    } finally {
      await settingOfA.update('openBrowserOnStart', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
    }
    const ready = (name: string) => waitFor(`the master of ${name}`, () => (api.snapshot(dir[name])?.phase === 'ready' && api.snapshot(dir[name])?.status ? api.snapshot(dir[name]) : undefined));
    const [a, b] = [await ready('a'), await ready('b')];
    assert.notEqual(a.status!.pid, b.status!.pid);
    assert.notEqual(a.url, b.url);
    assert.match(await get(a.url!), /Hello from folder a/);
    assert.match(await get(b.url!), /Hello from folder b/);
    const apps = await waitFor("a's app to be opened", () => (api.openedApps().length > opened ? api.openedApps().slice(opened) : undefined));
    assert.deepEqual(apps.map((o) => o.url), [a.url]);
    assert.equal(apps[0].external, (await vscode.env.asExternalUri(vscode.Uri.parse(a.url!))).toString(true));
    // A forwarded name is allowed before the browser gets it; the master answers it.
    const host = new URL(apps[0].external).host;
    if (host !== new URL(a.url!).host) {
      assert.equal(apps[0].allowedHost, host);
      assert.match((await getWithHost(a.url!, host)).body, /Hello from folder a/);
    }
  });

  it("reloads only the saved file's folder", async () => {
    const bPid = api.snapshot(dir.b)!.status!.pid;
    const before = { a: api.saveRequests(dir.a), b: api.saveRequests(dir.b) };
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(dir.a, 'app.js')));
    await vscode.window.showTextDocument(doc);
    const edit = new vscode.WorkspaceEdit();
    const at = doc.getText().indexOf('folder a');
    edit.replace(doc.uri, new vscode.Range(doc.positionAt(at), doc.positionAt(at + 'folder a'.length)), 'folder a, saved');
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(await doc.save());
    await waitFor('folder a to serve the saved code', async () => /folder a, saved/.test(await get(api.snapshot(dir.a)!.url!)));
    // Folder a's own watcher can serve the change before a busy extension host sends its request.
    await waitFor("folder a's save request", () => api.saveRequests(dir.a) > before.a, 10_000);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(api.saveRequests(dir.a), before.a + 1);
    assert.equal(api.saveRequests(dir.b), before.b);
    assert.equal(api.snapshot(dir.b)!.status!.pid, bPid);
    assert.ok(isAlive(bPid));
    assert.match(await get(api.snapshot(dir.b)!.url!), /Hello from folder b/);
  });

  it('Start in a folder without a config file runs the entry package.json names (a .ts file, through tsx) with its .env, and saving the choice writes the config', async () => {
    await vscode.commands.executeCommand('smooth-reload.start', vscode.Uri.file(dir.zero));
    const snap = await waitFor('the master of zero', () => (api.snapshot(dir.zero)?.phase === 'ready' && api.snapshot(dir.zero)?.status ? api.snapshot(dir.zero) : undefined));
    assert.match(await get(snap.url!), /Hello from folder zero to dotenv/);
    assert.equal(snap.status!.workers.length, 1);
    // A change to .env (here from outside the editor) reloads the workers with the new value.
    fs.writeFileSync(path.join(dir.zero, '.env'), 'WHO=the changed .env\n');
    await waitFor('zero to serve the new .env value', async () => /to the changed \.env/.test(await get(api.snapshot(dir.zero)!.url!)));
    // The save of a .ts file reloads it like any other entry.
    const file = path.join(dir.zero, 'src', 'server.ts');
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(doc);
    const edit = new vscode.WorkspaceEdit();
    const at = doc.getText().indexOf('folder zero');
    edit.replace(doc.uri, new vscode.Range(doc.positionAt(at), doc.positionAt(at + 'folder zero'.length)), 'folder zero, saved');
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(await doc.save());
    await waitFor('zero to serve the saved code', async () => /folder zero, saved/.test(await get(api.snapshot(dir.zero)!.url!)));
    // "Save" on the offer runs Create Config File for that folder: the config names the entry found.
    await vscode.commands.executeCommand('smooth-reload.createConfig', vscode.Uri.file(dir.zero));
    const config = JSON.parse(fs.readFileSync(path.join(dir.zero, 'smooth-reload.config.json'), 'utf8')) as { entry: string };
    assert.equal(config.entry, 'src/server.ts');
  });

  it('a config file with an unknown key shows a problem from the JSON schema, in a nested folder too', async () => {
    const file = path.join(dir.plain, 'nested', 'smooth-reload.config.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{\n  "entry": "app.js",\n  "reload": { "stratgy": "canary" },\n  "workers": "two"\n}\n');
    const uri = vscode.Uri.file(file);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const problems = await waitFor('schema problems in the config file', () => {
      const d = vscode.languages.getDiagnostics(uri);
      return d.length >= 2 ? d : undefined;
    }, 30_000);
    const messages = problems.map((d) => `${d.range.start.line}: ${d.message}`).sort();
    assert.equal(problems.length, 2, messages.join('\n'));
    assert.match(messages[0], /^2: .*stratgy.*not allowed/);
    assert.match(messages[1], /^3: .*(number|integer)/i);
    // The folder has no session: a nested config file does not start a master.
    assert.equal(api.snapshot(dir.plain), undefined);
  });

  it("the Workers view's row commands: Copy PID and Kill Worker on a worker row, Reload on a master row", async () => {
    const before = api.snapshot(dir.b)!.status!;
    const pid = before.workers[0].pid!;
    // The arguments VS Code passes from a row's menu: the tree's node.
    await vscode.commands.executeCommand('smooth-reload.copyWorkerPid', { kind: 'worker', worker: { pid } });
    assert.equal(await vscode.env.clipboard.readText(), String(pid));
    await vscode.commands.executeCommand('smooth-reload.killWorker', { kind: 'worker', worker: { pid } });
    await waitFor('a replacement worker in b', () => {
      const w = api.snapshot(dir.b)?.status?.workers ?? [];
      return w.length === 1 && w[0].pid !== pid && w[0].state === 'ready';
    });
    assert.equal(isAlive(pid), false);
    assert.match(await get(api.snapshot(dir.b)!.url!), /Hello from folder b/);
    const generation = api.snapshot(dir.b)!.status!.generation;
    await vscode.commands.executeCommand('smooth-reload.reload', { kind: 'master', session: { folder: dir.b } });
    await waitFor("b's next generation", () => (api.snapshot(dir.b)?.status?.generation ?? 0) > generation);
  });

  it('offers a smooth-reload task per folder; run from tasks, it serves the folder as a background task', async () => {
    const tasks = await vscode.tasks.fetchTasks({ type: 'smooth-reload' });
    assert.deepEqual(tasks.map((t) => (t.scope as vscode.WorkspaceFolder).name).sort(), ['a', 'b', 'plain', 'zero']);
    assert.ok(tasks.every((t) => t.isBackground && t.problemMatchers.includes('$smooth-reload') && t.source === 'smooth-reload'));
    await vscode.commands.executeCommand('smooth-reload.stop', vscode.Uri.file(dir.a));
    await waitFor('a to stop', () => !readStateFile(dir.a).ok);
    const task = tasks.find((t) => (t.scope as vscode.WorkspaceFolder).name === 'a')!;
    task.definition.args = ['--port', '0'];
    const resolved = new vscode.Task(task.definition, task.scope as vscode.WorkspaceFolder, task.name, task.source, task.execution, task.problemMatchers);
    resolved.isBackground = true;
    const execution = await vscode.tasks.executeTask(resolved);
    try {
      const state = await waitFor("the task's master", () => {
        const st = readStateFile(dir.a);
        return st.ok ? st.state : undefined;
      });
      assert.match(await get(state.url), /Hello from folder a/);
    } finally {
      execution.terminate();
      await waitFor("the task's master to stop", () => !readStateFile(dir.a).ok);
    }
  });
});
