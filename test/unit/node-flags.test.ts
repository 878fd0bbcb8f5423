import { strict as assert } from 'node:assert';
import { MASTER_NODE_FLAGS, MASTER_ONLY_ENV, MASTER_RUNTIME_V8_FLAGS, masterEnv, masterRuntimeV8Flags, withoutMasterOnlyEnv } from '../../server/node-flags';

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

describe("the master's run-time V8 flags", () => {
  it('are all applied to a master started with no node flags (the README command line)', () => {
    assert.deepEqual(masterRuntimeV8Flags([], ''), [...MASTER_RUNTIME_V8_FLAGS]);
    assert.deepEqual(masterRuntimeV8Flags(['--inspect', '--require', '/x/hook.js'], '--enable-source-maps'), [...MASTER_RUNTIME_V8_FLAGS]);
  });

  it('step aside for the launchers\' MASTER_NODE_FLAGS, which set the same things on the command line', () => {
    assert.deepEqual(masterRuntimeV8Flags(MASTER_NODE_FLAGS, ''), []);
  });

  it("keep a semi-space or heap-growth setting the user gave, in either spelling or in NODE_OPTIONS", () => {
    assert.deepEqual(masterRuntimeV8Flags(['--max_semi_space_size=16'], ''), ['--heap-growing-percent=20']);
    assert.deepEqual(masterRuntimeV8Flags([], '--max-semi-space-size=8 --enable-source-maps'), ['--heap-growing-percent=20']);
    assert.deepEqual(masterRuntimeV8Flags(['--min-semi-space-size=4'], ''), ['--heap-growing-percent=20']);
    assert.deepEqual(masterRuntimeV8Flags(['--semi-space-growth-factor=2'], ''), ['--heap-growing-percent=20']);
    assert.deepEqual(masterRuntimeV8Flags(['--heap-growing-percent=50'], ''), ['--semi-space-growth-factor=1']);
  });
});
