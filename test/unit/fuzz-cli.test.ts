/**
 * Property-based tests of the CLI parser: `main(argv, printer)` with arbitrary flags and values
 * returns an exit code and never lets an exception escape. Bad input is exit 64 with a message on
 * stderr; control commands against an empty folder are exit 2 ("no master").
 *
 * No server is ever started: every run uses an empty temporary folder as --cwd, and in case a
 * generated `serve` line is valid, Master.start is replaced by a stub that refuses.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { EXIT, main } from '../../server/cli/index';
import { Master, MasterStartError } from '../../server/master';

const CONTROL = ['status', 'reload', 'restart', 'rollback', 'stop'];
const FLAGS = ['--port', '-p', '--host', '--allow-remote', '--workers', '-w', '--no-watch', '--config', '--json', '--log-level', '--node-arg', '--no-wait', '--wait', '--help', '-h', '--version', '-V', '--', '-', '--bogus', '-x', '--port=', '--workers=0'];
const VALUES = ['0', '-1', '1', '64', '65', '65536', '3000', '1e3', '0x10', 'NaN', '', ' ', 'abc', '127.0.0.1', '0.0.0.0', '::', 'debug', 'loud', 'app.js', 'missing.js', 'x.json', '--', '-p', '\u0000', '😀', '../..'];

const token = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...FLAGS) },
  { weight: 4, arbitrary: fc.constantFrom(...VALUES) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const command = fc.oneof(fc.constantFrom('serve', ...CONTROL, 'help', 'servee', 'statu', ''), fc.string({ maxLength: 8 }));
const argv = fc.tuple(command, fc.array(token, { maxLength: 8 })).map(([c, rest]) => (c === '' ? rest : [c, ...rest]));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('fuzz: CLI parser', function () {
  this.timeout(120_000);
  let cwd: string;
  const realStart = Master.prototype.start;
  let starts = 0;
  const savedExitCode = process.exitCode;

  const savedCwd = process.cwd();
  before(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'smooth-reload-fuzz-cli-'));
    // The default --cwd is process.cwd(): never the repo, where a developer's master may run.
    process.chdir(cwd);
    Master.prototype.start = function stubbedStart() {
      starts++;
      return Promise.reject(new MasterStartError('SR_TEST_NO_START', 'the fuzz test does not start servers'));
    };
  });
  after(() => {
    Master.prototype.start = realStart;
    process.chdir(savedCwd);
    process.exitCode = savedExitCode;
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  async function run(args: string[]): Promise<Run> {
    const out = { stdout: '', stderr: '' };
    process.exitCode = undefined;
    // Always point at the empty folder, so no real master is ever reached.
    const full = args.length && !args[0].startsWith('-') ? [args[0], '--cwd', cwd, ...args.slice(1)] : args;
    const code = await main(full, { stdout: (s) => (out.stdout += s), stderr: (s) => (out.stderr += s) });
    process.exitCode = undefined;
    return { code, ...out };
  }

  function checkRun(args: string[], r: Run): void {
    const show = `${JSON.stringify(args)} → ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
    assert.ok(([EXIT.ok, EXIT.failed, EXIT.noMaster, EXIT.usage] as number[]).includes(r.code), show);
    assert.doesNotMatch(r.stderr, /unexpected error/, show);
    if (r.code === EXIT.usage) assert.ok(r.stderr.trim().length > 0, `exit 64 without a message on stderr: ${show}`);
    if (r.code === EXIT.noMaster) assert.match(r.stderr, /no master/, show);
    // Exit 1 comes only from the stub (a valid serve line) or a failure it explains.
    if (r.code === EXIT.failed) assert.ok(r.stderr.trim().length > 0, show);
  }

  it('arbitrary argument lists: an exit code, a message for errors, never an escaped exception', async () => {
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        let r: Run | undefined;
        try {
          r = await run(args);
        } catch (err) {
          assert.fail(`main threw for ${JSON.stringify(args)}: ${(err as Error).stack}`);
        }
        checkRun(args, r);
      }),
      { numRuns: 400 },
    );
  });

  it('bad serve flags are exit 64 with a message naming the flag or key', async () => {
    const bad: [string[], RegExp][] = [
      [['serve', 'app.js', '--port', '70000'], /--port/],
      [['serve', 'app.js', '--port', 'abc'], /--port/],
      [['serve', 'app.js', '--workers', '0'], /--workers/],
      [['serve', 'app.js', '--workers', '1.5'], /--workers/],
      [['serve', 'app.js', '--log-level', 'loud'], /log-level/],
      [['serve', 'app.js', '--bogus'], /--bogus/],
      [['serve', 'missing.js'], /entry/],
      [['serve', '--config', 'nope.json'], /nope\.json/],
      [['serve', 'missing.js', '--host', '0.0.0.0'], /entry|0\.0\.0\.0/],
      [['servee'], /serve/],
    ];
    fs.writeFileSync(path.join(cwd, 'app.js'), '');
    try {
      for (const [args, names] of bad) {
        const r = await run(args);
        checkRun(args, r);
        assert.equal(r.code, EXIT.usage, `${JSON.stringify(args)}: ${r.stderr}`);
        assert.match(r.stderr, names, `${JSON.stringify(args)}: ${r.stderr}`);
      }
      // Non-loopback host without --allow-remote is refused, naming the host and the flag.
      const remote = await run(['serve', 'app.js', '--host', '0.0.0.0']);
      assert.equal(remote.code, EXIT.usage);
      assert.match(remote.stderr, /0\.0\.0\.0.*--allow-remote/s);
      // No entry named: serve finds app.js (zero-config start) and reaches the stubbed start.
      const found = await run(['serve']);
      assert.equal(found.code, EXIT.failed, found.stderr);
      assert.match(found.stdout, /^entry: app\.js, from the conventional name app\.js$/m);
    } finally {
      fs.rmSync(path.join(cwd, 'app.js'));
    }
    // And with nothing to find, a usage error that lists where it looked.
    const none = await run(['serve']);
    assert.equal(none.code, EXIT.usage);
    assert.match(none.stderr, /no entry file found.*Looked at:/s);
  });

  it('control commands with arbitrary flags against an empty folder: exit 2 "no master", or 64', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CONTROL), fc.array(fc.constantFrom('--json', '--no-wait', '--cwd', cwd, '--bogus', 'extra'), { maxLength: 3 }), async (c, flags) => {
        const args = [c, ...flags];
        const r = await run(args);
        checkRun(args, r);
        assert.ok(r.code === EXIT.noMaster || r.code === EXIT.usage, `${JSON.stringify(args)} → ${r.code}: ${r.stderr}`);
      }),
      { numRuns: 60 },
    );
    const r = await run(['status']);
    assert.equal(r.code, EXIT.noMaster);
    assert.match(r.stderr, /no master is running/);
  });

  it('never started a real master', () => {
    // The stub may have been reached by a generated valid serve line; it never listened.
    assert.ok(starts >= 0);
    assert.equal(fs.existsSync(path.join(cwd, '.smooth-reload')), false, 'no state folder was written');
  });
});
