/** The SIGTERM cases of test/fixtures/doctor/shutdown: each case has a `bad` project and its `clean` twin. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const SHUTDOWN_FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures', 'doctor', 'shutdown');

export interface ShutdownCase {
  name: string;
  /** What the static check reports for the bad twin: the code and the file:line of process.on. */
  expect: { code: string; at: string };
  /** Where `doctor --run` finds the SIGTERM handler function of the bad twin (the inspector's location), when not at `expect.at`. */
  runAt?: string;
}

/** Every case, with the finding its bad twin must produce (its clean twin must produce none). */
export const SHUTDOWN_CASES: ShutdownCase[] = [
  { name: 'log-return', expect: { code: 'SR_SIGTERM_NO_EXIT', at: 'app.js:3' } },
  { name: 'clears-timers', expect: { code: 'SR_SIGTERM_NO_EXIT', at: 'app.js:4' } },
  { name: 'await-never', expect: { code: 'SR_SIGTERM_NO_EXIT', at: 'app.js:3' } },
  { name: 'await-no-exit', expect: { code: 'SR_SIGTERM_NO_EXIT', at: 'app.js:6' } },
  { name: 'other-module', expect: { code: 'SR_SIGTERM_NO_EXIT', at: 'app.js:4' }, runAt: 'lib/lifecycle.js:1' },
  { name: 'typescript', expect: { code: 'SR_SIGTERM_NO_EXIT', at: 'app.ts:6' } },
  { name: 'esm', expect: { code: 'SR_SIGTERM_NO_EXIT', at: 'app.mjs:6' } },
  { name: 'once', expect: { code: 'SR_SIGTERM_NO_EXIT', at: 'app.js:3' } },
  { name: 'keepalive', expect: { code: 'SR_SIGTERM_KEEPALIVE', at: 'app.js:7' } },
];

/** The files of a fixture project, relative path → text. */
export function fixtureFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out[r] = fs.readFileSync(path.join(dir, r), 'utf8');
    }
  };
  walk('');
  return out;
}
