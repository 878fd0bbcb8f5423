/**
 * SR_OPCACHE_STALE with the real php-cli: PHPRC and PHP_INI_SCAN_DIR point PHP at fixture folders
 * (test/fixtures/doctor/opcache/*), and the doctor reads what `php --ini` lists.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { makeProject } from '../helpers/project';
import { doctor, summary } from './doctor-helpers';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'doctor', 'opcache');
const phpEnv = (name: string) => ({ PHPRC: path.join(FIXTURES, name), PHP_INI_SCAN_DIR: path.join(FIXTURES, name, 'conf.d') });

describe('doctor: PHP OPcache from the real php --ini', function () {
  this.timeout(60_000);
  before(function () {
    if (spawnSync('php', ['--version']).error) this.skip();
  });

  const project = () => makeProject({ 'index.php': '<?php echo "hello";\n' }, 'doctor-opcache');

  it('validate_timestamps=0 with enable_cli=1 is an error at that line, naming where enable_cli is set', () => {
    const run = doctor(project(), { env: phpEnv('stale') });
    const ini = path.join(FIXTURES, 'stale', 'conf.d', '90-dev.ini');
    assert.deepEqual(summary(run.findings), [`SR_OPCACHE_STALE ${ini}:4`]);
    assert.deepEqual(run.findings[0].related, [{ file: ini, line: 3, message: 'opcache.enable_cli is turned on here' }]);
    assert.equal(run.status, 1);
  });

  it('revalidate_freq=60 is a warning at that line', () => {
    const run = doctor(project(), { env: phpEnv('slow') });
    assert.deepEqual(summary(run.findings), [`SR_OPCACHE_STALE ${path.join(FIXTURES, 'slow', 'conf.d', '90-dev.ini')}:3`]);
    assert.equal(run.findings[0].severity, 'warning');
    assert.equal(run.status, 0);
  });

  it('clean twin: OPcache on for the CLI but validating timestamps every request', () => {
    assert.deepEqual(doctor(project(), { env: phpEnv('clean') }).findings, []);
  });

  it('clean twin: the same stale settings without OPcache loaded (no zend_extension)', () => {
    // conf.d of the stale fixture, but a php.ini that does not load OPcache.
    const run = doctor(project(), { env: { PHPRC: '/nonexistent', PHP_INI_SCAN_DIR: path.join(FIXTURES, 'stale', 'conf.d') } });
    assert.deepEqual(run.findings, []);
  });
});
