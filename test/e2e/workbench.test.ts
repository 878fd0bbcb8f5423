/**
 * The extension as a user meets it: a real VS Code workbench (code-server) in headless Chromium,
 * driven with the keyboard and mouse. Command palette → "Smooth Reload: Start", the status-bar
 * item's text and a click on it, a broken save typed in the editor, the Problems panel's rows,
 * the fix and the row disappearing. Keeps screenshots in test-results/.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { ControlClient } from '../../server/control/client';
import type { MasterEvent } from '../../server/protocol';
import { readStateFile } from '../../server/state-file';
import { waitNoProcessesUnder } from '../helpers/processes';
import { codeServerInstalled, launchBrowser, startCodeServer, waitForWorkbench, workbenchUrl, type CodeServer } from '../vscode/code-server';
import { get, waitFor } from '../vscode/wait';
import { killLeftoverMaster, makeWorkspace, REPO } from '../vscode/workspace';

/** UI waits are generous: a loaded CI machine renders the workbench slowly. */
const until = <T>(what: string, check: () => T | Promise<T>) => waitFor(what, check, 90_000, 100);

const STATUS_ITEM = '[id="smooth-reload.smooth-reload.reload"]';
const RESULTS = path.join(REPO, 'test-results');

describe('Smooth Reload in the VS Code workbench (UI)', function () {
  this.timeout(240_000);
  let root: string;
  let workspace: string;
  let server: CodeServer | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let client: ControlClient | undefined;
  const events: MasterEvent[] = [];

  const statusText = async () => ((await page.locator(STATUS_ITEM).innerText().catch(() => '')) ?? '').trim();

  async function runCommand(title: string): Promise<void> {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 30_000 });
    await input.fill(`>${title}`);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
  }

  async function problemRows(): Promise<{ message: string; source: string; code: string; line: string }[]> {
    return page.locator('.markers-panel .monaco-list-row').evaluateAll((rows) =>
      rows
        .filter((r) => r.querySelector('.marker-message'))
        // No named helper in here: tsx's __name wrapper does not exist in the page.
        .map((r) => ({
          message: (r.querySelector('.marker-message')?.textContent ?? '').trim(),
          source: (r.querySelector('.marker-source')?.textContent ?? '').trim(),
          code: (r.querySelector('.marker-code')?.textContent ?? '').trim(),
          line: (r.querySelector('.marker-line')?.textContent ?? '').trim(),
        })),
    );
  }

  before(async function () {
    if (!codeServerInstalled()) {
      // The suite needs code-server (scripts/install-vscode.sh, run by npm test's pretest).
      this.skip();
    }
    assert.ok(fs.existsSync(path.join(REPO, 'dist', 'extension.js')), 'run "npm run build" first');
    fs.mkdirSync(RESULTS, { recursive: true });
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'smooth-reload-workbench-'));
    workspace = makeWorkspace(root);
    server = await startCodeServer({ runDir: path.join(root, 'run') });
    context = await launchBrowser(path.join(root, 'run', 'chromium-profile'));
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto(workbenchUrl(server, workspace, { extensionDevelopmentPath: REPO }), { waitUntil: 'domcontentloaded', timeout: 120_000 });
    await waitForWorkbench(page);
    // The extension activates on the workspace's smooth-reload.config.json and shows its item.
    await page.locator(STATUS_ITEM).waitFor({ timeout: 120_000 });
  });

  after(async () => {
    if (page && server) {
      await page.screenshot({ path: path.join(RESULTS, 'workbench-final.png') }).catch(() => undefined);
      await runCommand('Smooth Reload: Stop').catch(() => undefined);
      await waitFor('the master to stop', () => !readStateFile(workspace).ok, 20_000).catch(() => undefined);
    }
    await client?.close();
    await context?.close().catch(() => undefined);
    await server?.stop();
    if (!root) return;
    const leftover = await killLeftoverMaster(workspace);
    const left = await waitNoProcessesUnder(root, 8000);
    fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    assert.equal(leftover, undefined, 'the master was left running');
    assert.deepEqual(left.map((p) => p.cmdline), [], 'processes left behind');
  });

  it('starts the master from the command palette and shows it in the status bar', async () => {
    assert.match(await statusText(), /Smooth Reload/);
    await runCommand('Smooth Reload: Start');
    await until('the status bar to show a ready worker', async () => /Smooth Reload: 1 worker/.test(await statusText()));
    const state = readStateFile(workspace);
    assert.ok(state.ok, 'the master wrote its state file');
    assert.match(await get(state.state.url), /Hello from version 1/);
    client = await ControlClient.connect(state.state);
    client.on('event', (e) => events.push(e));
  });

  it('reloads when the status-bar item is clicked', async () => {
    await page.locator(STATUS_ITEM).click();
    await until('a reload from the click', () => events.some((e) => e.kind === 'reload-done'));
    assert.ok(events.some((e) => e.kind === 'reload-start' && /Reload Now/.test(e.reason)));
  });

  it('lists a broken save in the Problems panel and removes the row after the fix', async () => {
    // Open app.js with Quick Open, go to line 5 (`const VERSION = 1;`) and break it.
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('app.js');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'app.js' }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
    await page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: 30_000 });
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+G');
    await page.keyboard.type('5');
    await page.keyboard.press('Enter');
    await page.keyboard.press('End');
    await page.keyboard.type(' = ;');
    await page.keyboard.press('Control+S');

    await page.keyboard.press('Control+Shift+M');
    const row = await until('a Smooth Reload row in the Problems panel', async () => (await problemRows()).find((r) => /Smooth Reload/.test(r.source)));
    assert.match(row.message, /SyntaxError/);
    assert.match(row.code, /SR_BOOT_CRASH/);
    assert.match(row.line, /5/);
    await until('the status bar to show the failure', async () => /failed/.test(await statusText()));
    await page.screenshot({ path: path.join(RESULTS, 'workbench-problems.png') });

    // Fix it: undo the typing, save again.
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+G');
    await page.keyboard.type('5');
    await page.keyboard.press('Enter');
    await page.keyboard.press('End');
    for (let i = 0; i < 4; i++) await page.keyboard.press('Backspace');
    await page.keyboard.press('Control+S');
    await until('the row to disappear', async () => !(await problemRows()).some((r) => /Smooth Reload/.test(r.source)));
    await until('the status bar to show ready again', async () => /Smooth Reload: 1 worker/.test(await statusText()));
    const state = readStateFile(workspace);
    assert.ok(state.ok);
    assert.match(await get(state.state.url), /Hello from version 1/);
  });
});
