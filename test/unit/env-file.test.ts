import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { envFilePath, liveWorkerEnv, mergeWorkerEnv, readEnvFile } from '../../server/env-file';

describe('envFile: the workers\' variables from a dotenv file', () => {
  it('resolves the file: .env by default, the named one, none for false', () => {
    assert.equal(envFilePath('/p', undefined), '/p/.env');
    assert.equal(envFilePath('/p', 'config/dev.env'), '/p/config/dev.env');
    assert.equal(envFilePath('/p', false), undefined);
  });

  it('the shell wins over the file, the config over both', () => {
    assert.deepEqual(mergeWorkerEnv({ C: 'config' }, { A: 'file', B: 'file', C: 'file' }, { B: 'shell', C: 'shell' }), { A: 'file', C: 'config' });
  });

  it('reads the file as it is at each read, and spreads like a plain object', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sr-env-'));
    try {
      const file = path.join(dir, '.env');
      assert.deepEqual(readEnvFile(file), {}, 'a missing file sets nothing');
      fs.writeFileSync(file, 'A=1\n# comment\nB="two words"\n');
      const env = liveWorkerEnv({ C: '3' }, file, {});
      assert.deepEqual({ ...env }, { A: '1', B: 'two words', C: '3' });
      fs.writeFileSync(file, 'A=changed\n');
      assert.deepEqual({ ...env }, { A: 'changed', C: '3' });
      assert.equal(env.A, 'changed');
      assert.equal('B' in env, false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
