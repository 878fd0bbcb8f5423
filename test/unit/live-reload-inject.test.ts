/** Where the live-reload tag goes, and which responses are left alone. */
import { strict as assert } from 'node:assert';
import { HostPolicy } from '../../server/front/host-policy';
import { LiveReload, injectScript, isOurs } from '../../server/front/live-reload';

const TAG = '<script src="/__smooth_reload/client.js"></script>';
const logger = { debug() {}, info() {}, warn() {}, error() {} } as never;

describe('live reload: injection', () => {
  it('puts the tag after <head>, and after a UTF-8 byte-order mark when there is no markup', () => {
    assert.equal(injectScript(Buffer.from('<html><head><title>x</title>'), TAG).toString(), `<html><head>${TAG}<title>x</title>`);
    assert.deepEqual(injectScript(Buffer.from('\ufeffhello'), TAG), Buffer.from(`\ufeff${TAG}hello`));
  });

  it('injects a UTF-16 page in its own encoding, after its byte-order mark', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<html><head></head>é', 'utf16le')]);
    const outLe = injectScript(le, TAG);
    assert.deepEqual([...outLe.subarray(0, 2)], [0xff, 0xfe]);
    assert.equal(outLe.subarray(2).toString('utf16le'), `<html><head>${TAG}</head>é`);
    const be = Buffer.from(le).swap16();
    const outBe = injectScript(be, TAG);
    assert.deepEqual([...outBe.subarray(0, 2)], [0xfe, 0xff]);
    assert.equal(Buffer.from(outBe).swap16().subarray(2).toString('utf16le'), `<html><head>${TAG}</head>é`);
  });

  it('leaves partial responses, UTF-16 pages without a mark and UTF-32 pages untouched', () => {
    const lr = new LiveReload({ cwd: '/', hosts: new HostPolicy({ allowedHosts: [], listenHost: '127.0.0.1' }), logger });
    const req = { method: 'GET', url: '/', headers: [] };
    const html = (status: number, headers: string[] = []) => ({ status, headers: ['Content-Type', 'text/html', ...headers], contentType: 'text/html' });
    assert.equal(lr.transform(req, html(206, ['Content-Range', 'bytes 0-9/100'])), undefined);
    assert.equal(lr.transform(req, html(200, ['Content-Range', 'bytes 0-9/100'])), undefined);
    const wide = lr.transform(req, { status: 200, headers: ['Content-Type', 'text/html; charset=UTF-16'], contentType: 'text/html; charset=UTF-16' })!;
    const noMark = Buffer.from('<html><head>', 'utf16le');
    assert.deepEqual(wide(noMark, []).body, noMark);
    const utf32 = lr.transform(req, { status: 200, headers: ['Content-Type', 'text/html; charset=utf-32'], contentType: 'text/html; charset=utf-32' })!;
    const bom32 = Buffer.from([0xff, 0xfe, 0, 0, 0x3c, 0, 0, 0]);
    assert.deepEqual(utf32(bom32, []).body, bom32);
    assert.ok(lr.transform(req, html(200)));
  });

  it('claims /__smooth_reload however a router might spell it, and nothing else', () => {
    for (const url of ['/__smooth_reload', '/__smooth_reload/ws', '/%5f%5fsmooth_reload/..', '//__smooth_reload/', '/__SMOOTH_RELOAD/', '/a/../__smooth_reload/x', 'http://h/__smooth_reload/x', '/__smooth_reload%00', '/__smooth_reload/../package.json', '/%255f%255fsmooth_reload/']) {
      assert.ok(isOurs(url), url);
    }
    for (const url of ['/', '/__smooth_reloader', '/x/__smooth_reload', '/__smooth_reload_x/', '/smooth_reload/']) assert.ok(!isOurs(url), url);
  });
});
