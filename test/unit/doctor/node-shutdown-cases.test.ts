/**
 * The static SIGTERM check on every case of the class (test/fixtures/doctor/shutdown): each bad
 * project gets its one finding at the process.on line, each clean twin none. The same fixtures run
 * for real in test/integration/doctor-run.test.ts.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { checkNodeShutdown } from '../../../server/doctor/checks/node-shutdown';
import { DIR, makeFacts } from './make-facts';
import { SHUTDOWN_CASES, SHUTDOWN_FIXTURES, fixtureFiles } from './shutdown-cases';

function check(dir: string) {
  const files = fixtureFiles(dir);
  const config = JSON.parse(files['smooth-reload.config.json']);
  return checkNodeShutdown(makeFacts({ config, files }));
}

describe('doctor: SIGTERM handlers, the whole class (fixtures)', () => {
  for (const c of SHUTDOWN_CASES) {
    it(`${c.name}: the bad project is reported at ${c.expect.at}; its clean twin is silent`, () => {
      const bad = check(path.join(SHUTDOWN_FIXTURES, c.name, 'bad'));
      assert.deepEqual(bad.map((f) => `${f.code} ${path.relative(DIR, f.file!)}:${f.line}`), [`${c.expect.code} ${c.expect.at}`]);
      assert.match(bad[0].message, /1500 ms/);
      assert.deepEqual(check(path.join(SHUTDOWN_FIXTURES, c.name, 'clean')), []);
    });
  }

  it('names what the issue\'s handler leaves open: it clears the interval but the server keeps listening', () => {
    const [f] = check(path.join(SHUTDOWN_FIXTURES, 'clears-timers', 'bad'));
    assert.match(f.message, /clears a timer but neither exits nor closes what keeps the process alive: it leaves the server at app\.js:2 listening/);
    assert.doesNotMatch(f.message, /interval/);
  });

  it('points at the handler in the other module and at the promise that never settles', () => {
    const [other] = check(path.join(SHUTDOWN_FIXTURES, 'other-module', 'bad'));
    assert.deepEqual(other.related?.[0], { file: path.join(DIR, 'lib/lifecycle.js'), line: 1, message: 'the SIGTERM handler is defined here' });
    const [never] = check(path.join(SHUTDOWN_FIXTURES, 'await-never', 'bad'));
    assert.match(never.message, /awaits a promise that never settles \(app\.js:4\)/);
  });
});
