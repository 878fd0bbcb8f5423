/**
 * Layer rules checked by a test, not by memory: server/ runs without the editor and logs through
 * its logger; only extension/ imports vscode.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(rel));
    else if (/\.(ts|js|mjs|cjs)$/.test(entry.name)) out.push(rel);
  }
  return out;
}

const IMPORTS_VSCODE = /(from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)|import\(\s*['"]vscode['"]\s*\))/;

/** An import or require of a module in the sibling folder `folder` (`../folder/…`). */
function importsFolder(source: string, folder: string): boolean {
  return new RegExp(`(from\\s+|require\\(\\s*|import\\(\\s*)['"]\\.\\./${folder}/`).test(source);
}

describe('module boundaries', () => {
  it('server/ never imports vscode', () => {
    const offenders = sources('server').filter((f) => IMPORTS_VSCODE.test(fs.readFileSync(path.join(ROOT, f), 'utf8')));
    assert.deepEqual(offenders, []);
  });

  it('server/ never imports from extension/', () => {
    const offenders = sources('server').filter((f) => /from\s+['"][./]*\/?extension\//.test(fs.readFileSync(path.join(ROOT, f), 'utf8')));
    assert.deepEqual(offenders, []);
  });

  it('server/ logs through its logger, not console.*', () => {
    const offenders = sources('server').filter((f) => /\bconsole\.(log|error|warn|info|debug)\(/.test(fs.readFileSync(path.join(ROOT, f), 'utf8')));
    assert.deepEqual(offenders, []);
  });

  it('server/front and server/pool do not import each other (the front says what it needs in front/backend.ts)', () => {
    const crossing = (dir: string, other: string) => sources(dir).filter((f) => importsFolder(fs.readFileSync(path.join(ROOT, f), 'utf8'), other));
    assert.deepEqual(crossing('server/front', 'pool'), []);
    assert.deepEqual(crossing('server/pool', 'front'), []);
  });

  it('the rule itself catches an import of the other folder', () => {
    assert.ok(importsFolder(`import type { Worker } from '../pool/worker';`, 'pool'));
    assert.ok(importsFolder(`import { IdleUpstreams } from "../front/upstream";`, 'front'));
    assert.ok(importsFolder(`const u = require('../front/upstream')`, 'front'));
    assert.ok(!importsFolder(`import { Backend } from './backend';`, 'pool'));
    assert.ok(!importsFolder(`import { x } from '../frontier/y';`, 'front'));
  });

  it('the rule itself catches an import of vscode', () => {
    assert.ok(IMPORTS_VSCODE.test(`import * as vscode from 'vscode';`));
    assert.ok(IMPORTS_VSCODE.test(`const v = require("vscode")`));
    assert.ok(!IMPORTS_VSCODE.test(`import { x } from './vscode-like';`));
  });
});
