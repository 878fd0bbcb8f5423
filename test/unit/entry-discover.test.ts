import { strict as assert } from 'node:assert';
import { discoverEntry, filesRunBy, type EntryChoice, type EntryNotFound } from '../../server/entry/discover';
import { chooseTypeScriptRunner, hasLoaderFlag } from '../../server/entry/typescript';

function project(files: string[], pkg?: unknown) {
  return { packageJson: pkg === undefined ? undefined : typeof pkg === 'string' ? pkg : JSON.stringify(pkg), isFile: (f: string) => files.includes(f) };
}
function chosen(r: EntryChoice | EntryNotFound): EntryChoice {
  assert.ok(r.ok, !r.ok ? r.message : '');
  return r;
}
function failed(r: EntryChoice | EntryNotFound): EntryNotFound {
  assert.ok(!r.ok, r.ok ? `chose ${r.entry}` : '');
  return r;
}

describe('entry discovery', () => {
  it('takes package.json "main" first, when that file exists', () => {
    const r = chosen(discoverEntry(project(['lib/server.js', 'index.js'], { main: 'lib/server.js', scripts: { start: 'node index.js' } })));
    assert.equal(r.entry, 'lib/server.js');
    assert.equal(r.reason, 'package.json "main"');
  });

  it('skips a "main" that does not exist (npm init\'s default) and says so', () => {
    const r = chosen(discoverEntry(project(['server.js'], { main: 'index.js', scripts: { start: 'node server.js' } })));
    assert.equal(r.entry, 'server.js');
    assert.equal(r.reason, 'package.json scripts.start ("node server.js")');
    assert.ok(r.looked.includes('package.json "main": index.js (no such file)'), r.looked.join('\n'));
  });

  it('prefers scripts.dev over scripts.start', () => {
    const r = chosen(discoverEntry(project(['src/index.ts', 'dist/index.js'], { scripts: { dev: 'tsx watch src/index.ts', start: 'node dist/index.js' } })));
    assert.equal(r.entry, 'src/index.ts');
  });

  it('adds the extension node would add (node server runs server.js)', () => {
    assert.equal(chosen(discoverEntry(project(['server.js'], { scripts: { start: 'node server' } }))).entry, 'server.js');
  });

  it('falls back to index / server / app, then src/', () => {
    assert.equal(chosen(discoverEntry(project(['app.mjs']))).entry, 'app.mjs');
    assert.equal(chosen(discoverEntry(project(['src/server.ts'], { name: 'x' }))).reason, 'the conventional name src/server.ts');
    // The folder itself wins over src/.
    assert.equal(chosen(discoverEntry(project(['index.js', 'src/index.ts']))).entry, 'index.js');
  });

  it('two candidates on one level are ambiguous: an error naming both and what was looked at', () => {
    const r = failed(discoverEntry(project(['index.js', 'server.js'], { scripts: { test: 'mocha' } })));
    assert.equal(r.code, 'ambiguous');
    assert.match(r.message, /index\.js, server\.js/);
    assert.match(r.message, /scripts\.dev: not set/);
    assert.match(r.message, /scripts\.start: not set/);
    assert.equal(failed(discoverEntry(project(['a.js', 'b.js'], { scripts: { dev: 'node a.js & node b.js' } }))).code, 'ambiguous');
  });

  it('a script that runs two different files is ambiguous', () => {
    const r = failed(discoverEntry(project(['api.js', 'worker.js'], { scripts: { dev: 'node api.js && nodemon worker.js' } })));
    assert.equal(r.code, 'ambiguous');
    assert.match(r.message, /api\.js, worker\.js/);
  });

  it('nothing found: an error listing every place looked at', () => {
    const r = failed(discoverEntry(project(['README.md'], { main: 'index.js', scripts: { start: 'next start' } })));
    assert.equal(r.code, 'not-found');
    assert.deepEqual(r.looked.slice(0, 3), ['package.json "main": index.js (no such file)', 'package.json scripts.dev: not set', 'package.json scripts.start ("next start"): runs no file with node, tsx, ts-node, nodemon']);
    assert.equal(r.looked.length, 4);
    assert.match(r.message, /smooth-reload serve app\.js/);
    assert.equal(failed(discoverEntry(project([]))).looked[0], 'package.json: none');
    assert.match(failed(discoverEntry(project([], '{ nope'))).looked[0], /^package\.json: invalid JSON/);
  });

  it('reads the file out of the scripts people write', () => {
    const cases: [string, string[], string[]?][] = [
      ['node server.js', ['server.js']],
      ['node --watch --env-file=.env src/app.mjs', ['src/app.mjs']],
      ['node -r dotenv/config server.js', ['server.js'], ['-r dotenv/config']],
      ['NODE_ENV=development nodemon --watch src -e ts,js src/index.ts', ['src/index.ts']],
      ['cross-env PORT=4000 npx tsx watch --tsconfig tsconfig.dev.json ./src/main.ts', ['./src/main.ts']],
      ['ts-node -P tsconfig.json src/server.ts', ['src/server.ts']],
      ['./node_modules/.bin/nodemon index.js', ['index.js']],
      ['tsc && node dist/index.js', ['dist/index.js']],
      ['node -e "require(\'./x\')"', []],
      ['nodemon', []],
      ['next dev', []],
      ['concurrently "tsc -w" "node dist/a.js"', []],
    ];
    for (const [script, files, dropped] of cases) {
      const runs = filesRunBy(script);
      assert.deepEqual(runs.map((r) => r.file), files, script);
      if (dropped) assert.deepEqual(runs[0].droppedFlags, dropped, script);
    }
  });
});

describe('TypeScript entries with no flags', () => {
  const base = { tsxDir: undefined, nodeVersion: 'v20.20.2', nodeTypeScript: undefined, nodeHasStripFlag: false };
  it("uses the project's tsx first", () => {
    const r = chooseTypeScriptRunner('app.ts', 'node', { ...base, tsxDir: '/p/node_modules/tsx', nodeTypeScript: 'strip' });
    assert.deepEqual(r, { ok: true, nodeArgs: ['--import', 'tsx'], how: 'tsx from /p/node_modules/tsx' });
  });
  it("else Node's own type stripping, with no flag where it is on by default", () => {
    assert.deepEqual(chooseTypeScriptRunner('app.ts', 'node', { ...base, nodeVersion: 'v24.1.0', nodeTypeScript: 'strip' }), { ok: true, nodeArgs: [], how: "Node v24.1.0's own type stripping" });
    assert.deepEqual(chooseTypeScriptRunner('app.ts', 'node', { ...base, nodeVersion: 'v22.9.0', nodeHasStripFlag: true }), { ok: true, nodeArgs: ['--experimental-strip-types'], how: "Node v22.9.0's --experimental-strip-types" });
  });
  it('else an error that says what to install', () => {
    const r = chooseTypeScriptRunner('src/app.ts', '/usr/bin/node', base);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : '', /src\/app\.ts is TypeScript and \/usr\/bin\/node \(Node v20\.20\.2\) cannot run it: install tsx .*npm install --save-dev tsx.*Node 22\.18/);
  });
  it('leaves loaders the user named alone', () => {
    assert.equal(hasLoaderFlag(['--import', 'tsx']), true);
    assert.equal(hasLoaderFlag(['--import=tsx']), true);
    assert.equal(hasLoaderFlag(['-r', 'ts-node/register']), true);
    assert.equal(hasLoaderFlag(['--experimental-strip-types']), true);
    assert.equal(hasLoaderFlag(['--inspect', '--max-old-space-size=100']), false);
  });
});
