/** `npm run package:targets`: one .vsix per platform that runs, each marked with its target; Windows refused. */
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeProject } from '../helpers/project';

const REPO = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(REPO, 'scripts', 'package-targets.mjs');
const { version } = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };

describe('package:targets', function () {
  this.timeout(120_000);

  it('builds a .vsix per target whose manifest names that target, and refuses win32', () => {
    const out = makeProject({}, 'vsix-targets');
    execFileSync(process.execPath, [SCRIPT, '--out', out, 'linux-arm64', 'darwin-arm64'], { cwd: REPO, stdio: 'pipe' });
    assert.deepEqual(fs.readdirSync(out).sort(), [`smooth-reload-darwin-arm64-${version}.vsix`, `smooth-reload-linux-arm64-${version}.vsix`]);
    for (const file of fs.readdirSync(out)) {
      const manifest = execFileSync('python3', ['-c', 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read("extension.vsixmanifest").decode())', path.join(out, file)], { encoding: 'utf8' });
      const target = file.slice('smooth-reload-'.length, -`-${version}.vsix`.length);
      assert.match(manifest, new RegExp(`<Identity [^>]*TargetPlatform="${target}"`));
    }
    const refused = spawnSync(process.execPath, [SCRIPT, '--out', out, 'win32-x64'], { cwd: REPO, encoding: 'utf8' });
    assert.equal(refused.status, 64);
    assert.match(refused.stderr, /not a target Smooth Reload runs on: win32-x64 .*WSL/);
    assert.equal(fs.readdirSync(out).length, 2);
  });
});
