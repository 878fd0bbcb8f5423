import { strict as assert } from 'node:assert';
import { MASTER_ONLY_ENV, masterEnv, withoutMasterOnlyEnv } from '../../server/node-flags';

describe('the master-only environment', () => {
  it('adds MALLOC_ARENA_MAX for the master and names it, and workers get the environment without it', () => {
    const env = masterEnv({ PATH: '/bin', FOO: 'x' });
    assert.equal(env.MALLOC_ARENA_MAX, '2');
    assert.equal(env[MASTER_ONLY_ENV], 'MALLOC_ARENA_MAX');
    assert.deepEqual(withoutMasterOnlyEnv(env), { PATH: '/bin', FOO: 'x' });
  });

  it("keeps the user's own MALLOC_ARENA_MAX, for the master and its workers", () => {
    const env = masterEnv({ MALLOC_ARENA_MAX: '8' });
    assert.equal(env.MALLOC_ARENA_MAX, '8');
    assert.equal(env[MASTER_ONLY_ENV], undefined);
    assert.deepEqual(withoutMasterOnlyEnv(env), { MALLOC_ARENA_MAX: '8' });
  });
});
