import { strict as assert } from 'node:assert';
import { chooseBackend } from '../../server/procs';
import {
  countLsofFds,
  decodeProcAddress,
  parseLsofListening,
  parseLsofNames,
  parseProcNetListening,
  parseProcStat,
  parsePsTable,
  parsePsTime,
  parseStatusRss,
} from '../../server/procs/parse';

// Lines captured on Linux 6.1 (procps-ng 4, lsof 4.95); the BSD ps and macOS lsof samples follow their documented formats.
describe('process readers: parsers', () => {
  describe('/proc/<pid>/stat', () => {
    it('reads a comm with spaces and parentheses up to the last ")"', () => {
      const s = parseProcStat('4242 (we (ird) x) S 4200 4242 2823 0 -1 4194304 100 0 0 0 37 12 0 0 20 0 1 0 280078 3133440 417 18446744073709551615\n')!;
      assert.deepEqual(s, { pid: 4242, comm: 'we (ird) x', state: 'S', ppid: 4200, pgid: 4242, utime: 37, stime: 12 });
    });

    it('reads a captured line', () => {
      const s = parseProcStat('26146 (cat) R 26144 26144 2823 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 280078 3133440 417 18446744073709551615 94893918924800')!;
      assert.equal(s.comm, 'cat');
      assert.equal(s.ppid, 26144);
      assert.equal(s.state, 'R');
    });

    it('refuses a truncated line', () => {
      assert.equal(parseProcStat('12 (x) S 1'), undefined);
      assert.equal(parseProcStat(''), undefined);
    });
  });

  it('reads VmRSS in bytes, and nothing for a zombie', () => {
    assert.equal(parseStatusRss('Name:\tcat\nVmPeak:\t    9000 kB\nVmRSS:\t    2112 kB\nRssAnon:\t 100 kB\n'), 2112 * 1024);
    assert.equal(parseStatusRss('Name:\tnode\nState:\tZ (zombie)\n'), undefined);
  });

  describe('/proc/net/tcp{,6}', () => {
    it('decodes little-endian IPv4 and IPv6 addresses', () => {
      assert.equal(decodeProcAddress('0100007F', false), '127.0.0.1');
      assert.equal(decodeProcAddress('00000000', false), '0.0.0.0');
      assert.equal(decodeProcAddress('00000000000000000000000001000000', true), '[::1]');
      assert.equal(decodeProcAddress('00000000000000000000000000000000', true), '[::]');
      assert.equal(decodeProcAddress('0000000000000000FFFF00000100007F', true), '127.0.0.1');
    });

    it('keeps only LISTEN rows, with their inodes', () => {
      const tcp = [
        '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
        '   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 266 1 0000000074bc70b6 100 0 0 10 0',
        '   1: 0100007F:A76F 0100007F:0BB8 01 00000000:00000000 00:00000000 00000000  1000        0 9911 1 0000000012345678 20 4 30 10 -1',
      ].join('\n');
      assert.deepEqual(parseProcNetListening(tcp, false), [{ inode: '266', address: '0.0.0.0', port: 2024 }]);
      const tcp6 = [
        '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
        '   0: 00000000000000000000000001000000:ABD1 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 528054 1 00000000b5b6b2ba 100 0 0 10 0',
      ].join('\n');
      assert.deepEqual(parseProcNetListening(tcp6, true), [{ inode: '528054', address: '[::1]', port: 0xabd1 }]);
    });
  });

  describe('ps -A -o pid=,ppid=,pgid=,rss=,stat=,uid=,command=', () => {
    it('reads procps rows: commands with spaces, kernel threads, zombies', () => {
      const text = [
        '    1     0     0 12376 S<Ll     0 /process_api --firecracker-init --addr 0.0.0.0:2024',
        '    2     0     0     0 S        0 [kthreadd]',
        ' 4100  4000  4100 51200 Sl    1000 node /home/me/my app/server.js --port 3000',
        ' 4101  4100  4100     0 Z     1000 [node] <defunct>',
        '',
      ].join('\n');
      assert.deepEqual(parsePsTable(text), [
        { pid: 1, ppid: 0, pgid: 0, rssBytes: 12376 * 1024, state: 'S', uid: 0, command: '/process_api --firecracker-init --addr 0.0.0.0:2024' },
        { pid: 2, ppid: 0, pgid: 0, rssBytes: 0, state: 'S', uid: 0, command: '[kthreadd]' },
        { pid: 4100, ppid: 4000, pgid: 4100, rssBytes: 51200 * 1024, state: 'S', uid: 1000, command: 'node /home/me/my app/server.js --port 3000' },
        { pid: 4101, ppid: 4100, pgid: 4100, rssBytes: 0, state: 'Z', uid: 1000, command: '[node] <defunct>' },
      ]);
    });

    it('reads BSD ps rows (macOS), an app bundle path with spaces included', () => {
      const text = '    1     0     1  13104 Ss       0 /sbin/launchd\n  812     1   812 204800 S      501 /Applications/Visual Studio Code.app/Contents/MacOS/Electron\n  901   812   901      0 Z      501 (node)\n';
      const rows = parsePsTable(text);
      assert.equal(rows.length, 3);
      assert.equal(rows[1].command, '/Applications/Visual Studio Code.app/Contents/MacOS/Electron');
      assert.equal(rows[1].uid, 501);
      assert.equal(rows[2].state, 'Z');
    });
  });

  it('reads ps -o time= from procps (whole seconds) and BSD ps (hundredths)', () => {
    assert.equal(parsePsTime('00:00:17\n'), 17_000);
    assert.equal(parsePsTime('1-02:03:04'), ((26 * 60 + 3) * 60 + 4) * 1000);
    assert.equal(parsePsTime('  0:01.25\n'), 1250);
    assert.equal(parsePsTime(''), undefined);
  });

  describe('lsof -F', () => {
    it('reads listeners of Linux lsof 4.95 (no f lines), wildcards by their type', () => {
      const text = 'p27173\ntIPv6\nn*:33297\ntIPv4\nn127.0.0.1:42867\ntIPv6\nn[::1]:41963\ntIPv4\nn*:39139\np27180\ntIPv4\nn127.0.0.1:3000\n';
      assert.deepEqual(parseLsofListening(text), [
        { pid: 27173, address: '[::]', port: 33297 },
        { pid: 27173, address: '127.0.0.1', port: 42867 },
        { pid: 27173, address: '[::1]', port: 41963 },
        { pid: 27173, address: '0.0.0.0', port: 39139 },
        { pid: 27180, address: '127.0.0.1', port: 3000 },
      ]);
    });

    it('reads listeners with f lines (macOS lsof) and skips connected sockets', () => {
      const text = 'p512\nf21\ntIPv4\nn*:3000\nf22\ntIPv4\nn127.0.0.1:3000->127.0.0.1:50111\n';
      assert.deepEqual(parseLsofListening(text), [{ pid: 512, address: '0.0.0.0', port: 3000 }]);
    });

    it('reads working directories, and counts numbered descriptors only', () => {
      assert.deepEqual([...parseLsofNames('p1\nn/proc/1/cwd (readlink: Permission denied)\np1050\nn/tmp/my dir\n')], [
        [1, '/proc/1/cwd (readlink: Permission denied)'],
        [1050, '/tmp/my dir'],
      ]);
      assert.equal(countLsofFds('p27173\nfcwd\nfrtd\nftxt\nfmem\nf0\nf1\nf2\nf19\n'), 4);
    });
  });

  it('chooses /proc when it exists unless SMOOTH_RELOAD_PROCFS=off', () => {
    assert.equal(chooseBackend(undefined, true), 'procfs');
    assert.equal(chooseBackend('on', true), 'procfs');
    assert.equal(chooseBackend('off', true), 'ps');
    assert.equal(chooseBackend(undefined, false), 'ps');
  });
});
