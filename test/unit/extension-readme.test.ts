import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * docs/extension.md is the .vsix's README (`vsce package --readme-path`). vsce refuses a relative
 * link to another file when the package names no repository, so the package build (and the
 * package tests) fail on one: links there are anchors or absolute URLs only.
 */
describe('the extension README (docs/extension.md)', () => {
  it('links only to anchors and absolute URLs, which vsce can package', () => {
    const text = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'extension.md'), 'utf8');
    const relative = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((href) => !href.startsWith('#') && !/^[a-z]+:/i.test(href));
    assert.deepEqual(relative, []);
  });
});
