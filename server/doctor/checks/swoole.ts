/**
 * Swoole scripts whose reload cannot work or hurts:
 * - SR_SWOOLE_NO_RELOAD: nothing can reload the workers: the script never calls
 *   `$server->reload()`, writes no `pid_file` and never records `master_pid`, so SIGUSR1 has no
 *   pid to go to.
 * - SR_SWOOLE_BASE_MODE: `SWOOLE_BASE` is passed explicitly; in BASE mode the workers own the
 *   client connections, so reloading a worker drops its connections.
 * Skipped when Smooth Reload runs the script as its "command" (it restarts the whole process).
 */
import * as path from 'node:path';
import type { Finding } from '../../protocol';
import type { Facts } from '../facts';
import { finding } from '../finding';
import { ownsProcess, swooleServers } from './swoole-scan';

export function checkSwoole(facts: Facts): Finding[] {
  const out: Finding[] = [];
  for (const server of swooleServers(facts)) {
    if (ownsProcess(facts, server.file)) continue;
    const rel = path.relative(facts.dir, server.file);
    if (server.base) {
      out.push(
        finding(
          'SR_SWOOLE_BASE_MODE',
          'warning',
          `${rel} runs the Swoole server in SWOOLE_BASE mode: each worker owns its client connections, so a reload drops every open connection`,
          'pass SWOOLE_PROCESS as the mode (new Swoole\\Http\\Server($host, $port, SWOOLE_PROCESS)) so the master keeps connections across worker reloads',
          { file: server.file, ...server.base },
        ),
      );
    }
    if (!server.reloads) {
      out.push(
        finding(
          'SR_SWOOLE_NO_RELOAD',
          'warning',
          `${rel} starts a Swoole server with no reload path: it writes no pid_file, never records master_pid and never calls $server->reload(), so nothing can send it SIGUSR1 to reload its workers`,
          `add 'pid_file' => __DIR__ . '/swoole.pid' to $server->set([...]) so "kill -USR1 $(cat swoole.pid)" (and smooth-reload attach) can reload the workers`,
          { file: server.file, ...server.at },
        ),
      );
    }
  }
  return out;
}
