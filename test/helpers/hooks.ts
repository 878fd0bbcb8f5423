/**
 * Root hooks for integration tests: after each test, every master it started is stopped and no
 * process of ours may be left under the test root.
 */
import * as fs from 'node:fs';
import { stopAllMasters } from './master';
import { TEST_ROOT } from './project';
import { waitNoProcessesUnder } from './processes';

export const mochaHooks = {
  async afterEach(this: Mocha.Context) {
    await stopAllMasters();
    const left = await waitNoProcessesUnder(TEST_ROOT, 8000);
    if (left.length) {
      for (const p of left) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // Gone.
        }
      }
      throw new Error(`processes left behind after "${this.currentTest?.fullTitle()}":\n${left.map((p) => `  ${p.pid} ${p.cmdline}`).join('\n')}`);
    }
  },
  afterAll() {
    fs.rmSync(TEST_ROOT, { recursive: true, force: true });
  },
};
