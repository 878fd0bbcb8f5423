/**
 * Root hooks for integration tests: after each test, every master it started is stopped and no
 * process of ours may be left under the test root. After the run, no listening socket of ours
 * may be left open (servers the tests ran in-process included), and nothing in the repository
 * may have changed (every file a test writes belongs in its temp folder).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listeningPorts } from '../../server/runners/proc-info';
import { stopAllMasters } from './master';
import { TEST_ROOT } from './project';
import { waitNoProcessesUnder } from './processes';

const REPO = path.resolve(__dirname, '..', '..');
/** Changed and untracked files (ignored ones such as dist/ excluded). */
const repoChanges = () => execFileSync('git', ['status', '--porcelain'], { cwd: REPO, encoding: 'utf8' });
const changesBefore = repoChanges();

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
    const open = listeningPorts(process.pid);
    if (open.length) throw new Error(`listening sockets left open by the tests: ${open.map((o) => `${o.address}:${o.port}`).join(', ')}`);
    const before = new Set(changesBefore.split('\n'));
    const changed = repoChanges().split('\n').filter((l) => l && !before.has(l));
    if (changed.length) throw new Error(`the tests changed files in the repository (they belong in ${TEST_ROOT}):\n${changed.join('\n')}`);
  },
};
