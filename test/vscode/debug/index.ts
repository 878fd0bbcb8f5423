/** Runs inside the extension host: the entry that extensionTestsPath names. Mocha's output goes to the console. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, reporter: 'spec', timeout: 90_000 });
  // SMOOTH_RELOAD_VSCODE_GREP=<text>: run only the tests whose title contains it (debugging).
  if (process.env.SMOOTH_RELOAD_VSCODE_GREP) mocha.grep(process.env.SMOOTH_RELOAD_VSCODE_GREP);
  for (const file of fs.readdirSync(__dirname).sort()) {
    if (file.endsWith('.test.js')) mocha.addFile(path.join(__dirname, file));
  }
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} test${failures > 1 ? 's' : ''} failed`)) : resolve()));
  });
}
