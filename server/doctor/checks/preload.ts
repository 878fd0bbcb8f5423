/**
 * SR_PRELOADED_CODE: app code loaded once by a long-lived parent process and never read again,
 * so a graceful reload (SIGHUP, SIGUSR1) forks new workers from the parent's old copy:
 * - Gunicorn `preload_app = True` (or `--preload`): the app is imported in the arbiter.
 * - Swoole: files required before `$server->start()` (outside any function, read from the PHP
 *   syntax tree) live in the master and manager processes.
 * When Smooth Reload runs that process itself ("command"), each reload starts it afresh and the
 * parent's copy is new too, so nothing is reported then.
 */
import * as path from 'node:path';
import type { Finding } from '../../protocol';
import type { Facts } from '../facts';
import { finding, positionAt } from '../finding';
import { maskSource } from '../source-scan';
import { ownsProcess, swooleServers } from './swoole-scan';

const GUNICORN_CONF = /(^|\/)gunicorn[\w.-]*\.py$/;

export function checkPreloadedCode(facts: Facts): Finding[] {
  return [...gunicornPreload(facts), ...swoolePreload(facts)];
}

function gunicornPreload(facts: Facts): Finding[] {
  const command = facts.config?.command ?? '';
  if (/\bgunicorn\b/.test(command)) return [];
  const out: Finding[] = [];
  for (const f of facts.files) {
    if (f.isDir || !GUNICORN_CONF.test(f.rel)) continue;
    const text = facts.texts.get(f.abs);
    if (!text) continue;
    const masked = maskSource(text, { hashComments: true });
    const m = /^[ \t]*preload_app[ \t]*=[ \t]*True\b/m.exec(masked);
    if (!m) continue;
    out.push(
      finding(
        'SR_PRELOADED_CODE',
        'warning',
        `${f.rel} sets preload_app = True: Gunicorn imports the app once in its arbiter, so a graceful reload (SIGHUP) forks new workers from the old code`,
        'set preload_app = False while developing (or let Smooth Reload run Gunicorn as its "command", which starts a fresh arbiter on each reload)',
        { file: f.abs, ...positionAt(text, m.index + m[0].indexOf('preload_app')) },
      ),
    );
  }
  return out;
}

function swoolePreload(facts: Facts): Finding[] {
  const out: Finding[] = [];
  for (const server of swooleServers(facts)) {
    if (ownsProcess(facts, server.file)) continue;
    for (const p of server.preloads) {
      // The Composer autoloader only registers a loader; classes load later, in the workers.
      if (/vendor\/autoload\.php/.test(p.target)) continue;
      out.push(
        finding(
          'SR_PRELOADED_CODE',
          'warning',
          `${path.relative(facts.dir, server.file)} loads ${p.target} before ${server.variable}->start(): that code lives in the Swoole master and manager, and a reload (SIGUSR1) does not read it again`,
          'move the require into the "WorkerStart" callback ($server->on("WorkerStart", function () { require …; })) so every reloaded worker loads the new code',
          { file: server.file, line: p.line, column: p.column },
        ),
      );
    }
  }
  return out;
}
