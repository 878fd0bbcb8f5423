import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The extension's logic modules run (and are unit-tested) in plain Node: no vscode import. */
const PURE = ['burst.ts', 'status-view.ts', 'findings-map.ts', 'cli-tools.ts', 'session.ts', 'event-lines.ts', 'forwarded-host.ts', 'workers-view-model.ts', 'debug/launch-config.ts'];

describe('extension: pure modules', () => {
  for (const file of PURE) {
    it(`${file} does not import vscode`, () => {
      const text = fs.readFileSync(path.join(__dirname, '..', '..', 'extension', file), 'utf8');
      assert.doesNotMatch(text, /from 'vscode'|require\('vscode'\)/);
    });
  }
});
