/**
 * scripts/install-vscode.sh runs its installers with an environment cleaned of the calling npm's
 * variables: under `npm test` (its pretest) the inner `npm install` of code-server otherwise took
 * the outer npm's user agent ("node/v20") as its own and stopped. Checked through a real `npm run`
 * (its --print-env mode shows what the installers would see, without installing anything).
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const SCRIPT = path.resolve(__dirname, '..', '..', 'scripts', 'install-vscode.sh');
const run = promisify(execFile);

function parseEnv(out: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) env.set(m[1], m[2]);
  }
  return env;
}

describe('install-vscode.sh: the environment of its installers', function () {
  this.timeout(30000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sr-install-env-'));
    fs.mkdirSync(path.join(dir, 'node_modules', '.bin'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'probe', version: '1.0.0', scripts: { pretest: `bash ${SCRIPT} --print-env`, plain: 'env' } }));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('under `npm run`, keeps none of npm lifecycle variables and none of its PATH additions', async () => {
    const env = { ...process.env, SMOOTH_RELOAD_TOOLS: '/tmp/some-tools', LC_TIME: 'C' };
    // What an npm script sees (the control: the variables are there to be removed).
    const plain = parseEnv((await run('npm', ['run', '--silent', 'plain'], { cwd: dir, env })).stdout);
    assert.ok(plain.get('npm_config_user_agent')?.includes('node/'), 'npm exports its user agent');
    assert.ok(plain.has('npm_lifecycle_event') && plain.has('INIT_CWD') && plain.has('npm_execpath'));
    assert.ok(plain.get('PATH')!.includes(path.join(dir, 'node_modules', '.bin')));

    const cleaned = parseEnv((await run('npm', ['run', '--silent', 'pretest'], { cwd: dir, env })).stdout);
    const leaked = [...cleaned.keys()].filter((k) => /^npm_/i.test(k) && !/^npm_config_(registry|userconfig|globalconfig|cache|cafile|proxy|https_proxy|noproxy|strict_ssl)$/.test(k));
    assert.deepEqual(leaked, []);
    for (const k of ['INIT_CWD', 'NODE', 'npm_config_user_agent', 'npm_node_execpath', 'npm_execpath', 'npm_config_node_gyp', 'npm_config_nodedir', 'COLOR', 'EDITOR']) assert.equal(cleaned.has(k), false, k);
    const pathDirs = cleaned.get('PATH')!.split(':');
    assert.deepEqual(pathDirs.filter((p) => /node_modules\/\.bin|node-gyp-bin/.test(p)), []);
    assert.ok(pathDirs.length > 0 && pathDirs.some((p) => fs.existsSync(path.join(p, 'npm'))), 'npm is still on PATH');
    // What the installers need from the caller is kept.
    assert.equal(cleaned.get('SMOOTH_RELOAD_TOOLS'), '/tmp/some-tools');
    assert.equal(cleaned.get('HOME'), process.env.HOME);
    assert.equal(cleaned.get('LC_TIME'), 'C');
  });
});
