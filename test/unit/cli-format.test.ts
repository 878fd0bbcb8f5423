import { strict as assert } from 'node:assert';
import { formatStatus } from '../../server/cli/format';
import type { MasterStatus } from '../../server/protocol';

const base: MasterStatus = {
  pid: 10,
  url: 'http://localhost:3000/',
  state: 'ready',
  generation: 3,
  workers: [{ id: 5, pid: 11, generation: 3, state: 'ready', inFlight: 0, requests: 12, errors: 1, startedAt: Date.now() - 4000, rssBytes: 42 * 1048576 }],
  findings: [],
  cwd: '/p',
  version: '0.1.0',
};

describe('status as text', () => {
  it('lists the workers as a table', () => {
    const text = formatStatus(base, '/p');
    assert.match(text, /^master pid 10 {2}ready {2}http:\/\/localhost:3000\/ {2}generation 3/);
    assert.match(text, /\n5 +11 +3 +ready +12 +1 +0 +- +- +42\.0 +\d+\n/);
  });

  it('names the parked standbys, or why there are none', () => {
    assert.match(formatStatus({ ...base, standby: { pids: [21, 22] } }, '/p'), /\nstandby: 2 Node processes booted for the next reload \(pid 21, 22\)\n/);
    assert.match(formatStatus({ ...base, standby: { pids: [21] } }, '/p'), /\nstandby: 1 Node process booted for the next reload \(pid 21\)\n/);
    assert.match(formatStatus({ ...base, standby: { pids: [], off: 'reload.standby is false' } }, '/p'), /\nstandby: off \(reload\.standby is false\)\n/);
    assert.doesNotMatch(formatStatus(base, '/p'), /standby/, 'an older master that does not report standbys');
  });
});
