import { strict as assert } from 'node:assert';
import { checkOpcache, iniSettings } from '../../../server/doctor/checks/opcache';
import { parsePhpIni } from '../../../server/doctor/facts/php';
import { makeFacts } from './make-facts';

const php = (...texts: string[]) => makeFacts({ extra: { php: { modules: ['Core', 'Zend OPcache'], iniFiles: texts.map((text, i) => ({ path: `/etc/php/${i}.ini`, text })) } } });

describe('doctor: SR_OPCACHE_STALE', () => {
  it('parses the files `php --ini` lists, in load order', () => {
    const out = `Configuration File (php.ini) Path: /etc/php/8.2/cli
Loaded Configuration File:         /fx/php.ini
Scan for additional .ini files in: /fx/conf.d
Additional .ini files parsed:      /fx/conf.d/10-opcache.ini,
/fx/conf.d/20-dev.ini

`;
    assert.deepEqual(parsePhpIni(out), ['/fx/php.ini', '/fx/conf.d/10-opcache.ini', '/fx/conf.d/20-dev.ini']);
    assert.deepEqual(parsePhpIni('Loaded Configuration File:         (none)\nAdditional .ini files parsed:      (none)\n'), []);
  });

  it('reads settings with comments, quotes and later files winning', () => {
    const s = iniSettings([
      { path: '/a.ini', text: '[opcache]\n; opcache.enable_cli=0\nopcache.enable_cli = "1" ; on for Swoole\n' },
      { path: '/b.ini', text: 'opcache.revalidate_freq=60\n' },
    ]);
    assert.deepEqual(s.get('opcache.enable_cli'), { value: '1', file: '/a.ini', line: 3 });
    assert.equal(s.get('opcache.revalidate_freq')?.file, '/b.ini');
  });

  it('is an error at the validate_timestamps=0 line when enable_cli is on', () => {
    const [f, ...rest] = checkOpcache(php('opcache.enable_cli=1\n', 'opcache.validate_timestamps=0\n'));
    assert.equal(rest.length, 0);
    assert.deepEqual([f.code, f.severity, f.file, f.line], ['SR_OPCACHE_STALE', 'error', '/etc/php/1.ini', 1]);
    assert.deepEqual(f.related, [{ file: '/etc/php/0.ini', line: 1, message: 'opcache.enable_cli is turned on here' }]);
  });

  it('is a warning for a revalidate_freq longer than the default 2 s', () => {
    const [f] = checkOpcache(php('opcache.enable_cli=On\nopcache.revalidate_freq=60\n'));
    assert.deepEqual([f.severity, f.line], ['warning', 2]);
    assert.match(f.message, /up to 60 s/);
  });

  it('clean twins: CLI cache off, timestamps validated, OPcache not loaded, a later file turning it off', () => {
    assert.deepEqual(checkOpcache(php('opcache.enable_cli=0\nopcache.validate_timestamps=0\n')), []);
    assert.deepEqual(checkOpcache(php('opcache.enable_cli=1\nopcache.validate_timestamps=1\nopcache.revalidate_freq=0\n')), []);
    assert.deepEqual(checkOpcache(php('opcache.enable_cli=1\nopcache.validate_timestamps=0\n', 'opcache.validate_timestamps=On\n')), []);
    const notLoaded = makeFacts({ extra: { php: { modules: ['Core'], iniFiles: [{ path: '/x.ini', text: 'opcache.enable_cli=1\nopcache.validate_timestamps=0\n' }] } } });
    assert.deepEqual(checkOpcache(notLoaded), []);
    assert.deepEqual(checkOpcache(makeFacts()), []);
  });
});
