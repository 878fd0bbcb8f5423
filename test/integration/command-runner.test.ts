/**
 * Command workers (`--command`) with real apps in other languages: a Python http.server app and
 * PHP's built-in server, reloaded under load; an app that listens on a fixed port instead of
 * $PORT; and a master killed with SIGKILL, which must leave no worker or grandchild behind.
 */
import { strict as assert } from 'node:assert';
import { freePort } from '../../server/pool/worker';
import { startMaster, waitServed, type RunningMaster } from '../helpers/master';
import { runLoad } from '../helpers/load';
import { processesUnder, waitFor, waitNoProcessesUnder } from '../helpers/processes';
import { makeProject, writeFile } from '../helpers/project';

function pythonApp(version: number, extra = ''): string {
  return `import http.server, os
${extra}
VERSION = ${JSON.stringify(String(version))}

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def do_GET(self):
        body = ('v' + VERSION + ' ' + str(os.getpid()) + '\\n').encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

Server((os.environ.get('HOST', '127.0.0.1'), int(os.environ['PORT'])), Handler).serve_forever()
`;
}

function phpApp(version: number): string {
  return `<?php
header('Content-Type: text/plain');
echo 'v${version} ' . getmypid() . "\\n";
`;
}

/** Three saves under load: no failed request, and after each reload only that version or later. */
async function reloadUnderLoad(master: RunningMaster, dir: string, save: (version: number) => void): Promise<void> {
  // The load runs until the last generation served part of it (runLoad stops it then); 60 s is
  // only its bound. How long a reload takes depends on the stack, the machine's load and the
  // process reader (ps and lsof with /proc off), so nothing here is timed.
  const doneAt: [number, number][] = [];
  const result = await runLoad({ url: master.url, durationSec: 60, connections: 10 }, async () => {
    for (const v of [2, 3, 4]) {
      // Each generation serves part of the load before the next save.
      await waitServed(dir, 20);
      const since = master.events.length;
      save(v);
      const done = await master.waitEvent('reload-done', () => true, 30000, since);
      assert.ok(done.ok);
      doneAt.push([Date.now(), v]);
    }
    await waitServed(dir, 20);
  });
  assert.ok(result.requests > 50, `load ran (${result.requests} requests)`);
  assert.deepEqual(
    { errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, codes: result.errorCodes },
    { errors: 0, timeouts: 0, non2xx: 0, codes: {} },
  );
  for (const [at, version] of doneAt) {
    const stale = result.versions.filter(([t, v]) => t > at && Number(v.slice(1)) < version);
    assert.equal(stale.length, 0, `${stale.length} responses from code older than v${version} after its reload was done`);
  }
  const seen = new Set(result.versions.map(([, v]) => v));
  for (const v of ['v1', 'v2', 'v3', 'v4']) assert.ok(seen.has(v), `some response came from ${v} (seen: ${[...seen].join(', ')})`);
}

describe('command runner (--command)', function () {
  this.timeout(120_000);

  it('Python http.server app: 0 failed requests across 3 reloads under load, new code after each', async () => {
    const dir = makeProject({ 'app.py': pythonApp(1) }, 'py');
    const master = await startMaster(dir, ['--command', 'python3 app.py', '--workers', '2']);
    await master.waitEvent('reload-done', (e) => e.ok, 30000);
    await reloadUnderLoad(master, dir, (v) => writeFile(dir, 'app.py', pythonApp(v)));
  });

  it("PHP's built-in server (php -S 127.0.0.1:$PORT): 0 failed requests across 3 reloads under load, new code after each", async () => {
    const dir = makeProject({ 'index.php': phpApp(1) }, 'php');
    const master = await startMaster(dir, ['--command', 'php -S 127.0.0.1:$PORT -t .']);
    await master.waitEvent('reload-done', (e) => e.ok, 30000);
    await reloadUnderLoad(master, dir, (v) => writeFile(dir, 'index.php', phpApp(v)));
  });

  it('an app that listens on a fixed port instead of $PORT gets a finding naming both ports', async () => {
    const fixed = await freePort();
    const app = pythonApp(1).replace("int(os.environ['PORT'])", String(fixed));
    const dir = makeProject({ 'app.py': app, 'smooth-reload.config.json': JSON.stringify({ command: 'python3 app.py', readiness: { timeoutMs: 10000 } }) }, 'fixed');
    const master = await startMaster(dir, []);
    const failed = await master.waitEvent('reload-failed', () => true, 30000);
    assert.equal(failed.finding?.code, 'SR_BOOT_TIMEOUT');
    const message = failed.finding?.message ?? '';
    const port = /\$PORT=(\d+)/.exec(message)?.[1];
    assert.ok(port && Number(port) !== fixed, `the message names $PORT: ${message}`);
    assert.ok(message.includes(`the app listens on ${fixed}, not on $PORT=${port}`), `the message names the port the app listened on: ${message}`);
    // The failed worker (and the Python process under its shell) is gone; the master still runs.
    const left = await waitNoProcessesUnder(dir, 10000);
    assert.deepEqual(left.filter((p) => !p.cmdline.includes('cli.js')), []);
  });

  it('SIGKILL of the master leaves no command worker or grandchild alive', async () => {
    // The app starts a grandchild of its own, which must die with it.
    const extra = "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])";
    const dir = makeProject({ 'app.py': pythonApp(1, extra) }, 'kill');
    const master = await startMaster(dir, ['--command', 'python3 app.py', '--workers', '2']);
    await master.waitEvent('reload-done', (e) => e.ok, 30000);
    // Per worker: the shim (node), the shell (unless it exec'ed), python and its sleeping child.
    const before = await waitFor('both apps and grandchildren', () => {
      const list = processesUnder(dir).filter((p) => p.pid !== master.proc.pid);
      return list.filter((p) => p.cmdline.includes('time.sleep')).length === 2 && list;
    }, 15000);
    assert.ok(before.length >= 6, `workers, apps and grandchildren run (${before.length})`);
    master.proc.kill('SIGKILL');
    await master.stop();
    const left = await waitNoProcessesUnder(dir, 10000);
    assert.deepEqual(left, [], 'no process is left after the master was killed');
  });
});
