import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { HostPolicy, hostnameOf } from '../../server/front/host-policy';

const policy = (allowedHosts: string[] | true = [], listenHost = '127.0.0.1') => new HostPolicy({ allowedHosts, listenHost });

describe('host policy: which Host the front answers (DNS rebinding)', () => {
  it('answers localhost, *.localhost, IP literals and the listen host; refuses other names', () => {
    const p = policy([], '0.0.0.0');
    for (const h of ['localhost:3000', 'LOCALHOST', 'app.localhost:3000', '127.0.0.1:3000', '10.0.0.7', '[::1]:3000', '[fe80::1]', undefined, '']) assert.equal(p.allowsHost(h), true, String(h));
    for (const h of ['evil.example:3000', 'localhost.evil.example', '127.0.0.1.nip.io', 'example.com', '1.2.3.4.5', '999.1.1.1', 'a b', 'x:y:z', 'user@localhost']) assert.equal(p.allowsHost(h), false, h);
    assert.equal(policy([], 'devbox.lan').allowsHost('devbox.lan:3000'), true, 'the host it listens on');
  });
  it('answers allowed names, ".domain" for the domain and its subdomains, any with true, and names added while running', () => {
    const p = policy(['my-app.test', '.example.com']);
    assert.equal(p.allowsHost('my-app.test:3000'), true);
    assert.equal(p.allowsHost('example.com'), true);
    assert.equal(p.allowsHost('a.b.example.com:443'), true);
    assert.equal(p.allowsHost('badexample.com'), false);
    assert.equal(p.allowsHost('fwd-3000.app.github.dev'), false);
    assert.equal(p.allow('fwd-3000.app.github.dev:443'), 'fwd-3000.app.github.dev');
    assert.equal(p.allowsHost('fwd-3000.app.github.dev'), true);
    assert.equal(p.allow('not a host'), undefined);
    assert.deepEqual(p.list(), ['my-app.test', '.example.com', 'fwd-3000.app.github.dev']);
    assert.equal(policy(true).allowsHost('anything.example'), true);
  });
  it('lets only pages of this server open the live-reload socket', () => {
    const p = policy(['fwd.example']);
    assert.equal(p.allowsSocket('localhost:3000', 'http://localhost:3000'), undefined);
    assert.equal(p.allowsSocket('localhost:3000', 'https://fwd.example'), undefined, 'a forwarder that rewrote Host, from an allowed origin');
    assert.match(p.allowsSocket('localhost:3000', 'http://localhost:4000') ?? '', /cross-origin/);
    assert.match(p.allowsSocket('localhost:3000', 'http://1.2.3.4') ?? '', /cross-origin/, 'an IP literal is a Host, not a trusted origin');
    assert.match(p.allowsSocket('localhost:3000', undefined) ?? '', /no Origin/);
    assert.match(p.allowsSocket('localhost:3000', 'null') ?? '', /malformed Origin/);
    assert.match(p.allowsSocket('evil.example:3000', 'http://evil.example:3000') ?? '', /foreign Host/);
  });
  it('property: a Host is answered exactly when its name is local, an IP literal, or allowed', () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 3 }), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), fc.boolean(), (labels, port, allowIt) => {
        const name = [...labels, 'test'].join('.');
        const p = policy(allowIt ? [name] : []);
        const host = port === undefined ? name : `${name}:${port}`;
        assert.equal(hostnameOf(host), name);
        assert.equal(p.allowsHost(host), allowIt);
        assert.equal(p.allowsHost(host.toUpperCase()), allowIt, 'case does not matter');
      }),
    );
  });
});
