import { strict as assert } from 'node:assert';
import { standbyBlocker } from '../../server/runners/standby-policy';

describe('standby policy: which Node arguments a warm standby may run', () => {
  it('allows no preloads, other flags, and compilers that read the app only when it runs', () => {
    assert.equal(standbyBlocker([]), undefined);
    assert.equal(standbyBlocker(['--enable-source-maps', '--max-old-space-size=512']), undefined);
    assert.equal(standbyBlocker(['--import', 'tsx']), undefined);
    assert.equal(standbyBlocker(['--require=ts-node/register', '-r', 'source-map-support/register']), undefined);
    assert.equal(standbyBlocker([], '--import tsx --enable-source-maps'), undefined);
    assert.equal(standbyBlocker(['--import=/repo/node_modules/tsx/dist/loader.mjs']), undefined);
    assert.equal(standbyBlocker(['--require', 'file:///repo/node_modules/@swc-node/register/index.js']), undefined);
  });

  it("allows VS Code's JavaScript debugger bootloader (Start with Debugger), and only that file of it", () => {
    const ext = '/home/me/.vscode-server/bin/abc/extensions/ms-vscode.js-debug/src';
    assert.equal(standbyBlocker([], `--require "${ext}/bootloader.js"`), undefined);
    assert.equal(standbyBlocker([], `--require "/Applications/Visual Studio Code.app/Contents/Resources/app/extensions/ms-vscode.js-debug/src/bootloader.js" --import tsx`), undefined);
    assert.match(standbyBlocker([], `--require "${ext}/other.js"`) ?? '', /preloads/);
    assert.match(standbyBlocker([], '--require /repo/ms-vscode.js-debug/src/bootloader.js.evil') ?? '', /preloads/);
  });

  it('refuses a preload of the app\'s own files, in every spelling, naming it', () => {
    assert.match(standbyBlocker(['--require', './setup.js'])!, /nodeArgs preloads \.\/setup\.js \(--require\)/);
    assert.match(standbyBlocker(['-r', '/abs/setup.js'])!, /\/abs\/setup\.js/);
    assert.match(standbyBlocker(['--import=./register.mjs'])!, /\.\/register\.mjs \(--import\)/);
    assert.match(standbyBlocker(['--loader', 'file:///x/loader.mjs'])!, /file:\/\/\/x\/loader\.mjs/);
    assert.match(standbyBlocker([], '--require "./with space.js"')!, /NODE_OPTIONS preloads \.\/with space\.js/);
  });

  it('refuses preloads that read files at start, and env files', () => {
    assert.match(standbyBlocker(['--require', 'dotenv/config'])!, /dotenv\/config/);
    assert.match(standbyBlocker(['--env-file=.env'])!, /--env-file: Node reads that file at start/);
    assert.match(standbyBlocker([], '--env-file-if-exists .env.local')!, /NODE_OPTIONS has --env-file-if-exists/);
    assert.match(standbyBlocker(['--require'])!, /preloads \(nothing\)/);
    assert.match(standbyBlocker(['--require', '/repo/node_modules/dotenv/config.js'])!, /dotenv/);
    assert.match(standbyBlocker(['--require', '/repo/node_modules/tsx/../../src/setup.js'])!, /src\/setup\.js/);
  });
});
