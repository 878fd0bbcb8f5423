import { strict as assert } from 'node:assert';
import { hostToAllow } from '../../extension/forwarded-host';

describe('extension: the Host to allow for a forwarded app', () => {
  it('is nothing when the forwarder kept the local address (a desktop VS Code on the same machine)', () => {
    assert.equal(hostToAllow('http://localhost:3000/', 'http://localhost:3000/'), undefined);
    assert.equal(hostToAllow('http://localhost:3000/', 'http://LOCALHOST:3000/'), undefined);
  });

  it("is a proxy's host and port (code-server's /proxy/PORT/, an SSH tunnel on another local port)", () => {
    assert.equal(hostToAllow('http://localhost:3000/', 'http://127.0.0.1:8080/proxy/3000/'), '127.0.0.1:8080');
    assert.equal(hostToAllow('http://localhost:3000/', 'http://localhost:43117/'), 'localhost:43117');
  });

  it("is a forwarding domain's name, without the scheme's default port (Codespaces, code-server's --proxy-domain)", () => {
    assert.equal(hostToAllow('http://localhost:3000/', 'https://fluffy-space-3000.app.github.dev/'), 'fluffy-space-3000.app.github.dev');
    assert.equal(hostToAllow('http://localhost:3000/', 'https://3000.dev.example.com:443/'), '3000.dev.example.com');
    assert.equal(hostToAllow('http://localhost:3000/', 'http://3000.dev.example.com:8443/'), '3000.dev.example.com:8443');
  });

  it('is nothing for an address a browser does not send a Host for', () => {
    assert.equal(hostToAllow('http://localhost:3000/', 'vscode-remote://ssh-remote+box/'), undefined);
  });
});
