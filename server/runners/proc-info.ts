/**
 * The process look-ups of command workers (server/procs answers them): the processes a worker
 * started (the shim's descendants, which a SIGKILL of the shim alone would leave running), the
 * TCP ports they listen on (to say "the app listens on 3000, not on $PORT=41234" instead of a
 * silent timeout), and memory for the status. Best effort on the paths that stop workers and
 * report status: a missing `ps` or `lsof` gives empty answers here (`serve` warns about it at
 * start, naming the tool), never an exception in a kill timer.
 */
import * as procs from '../procs';

export type { ListeningSocket } from '../procs';

function bestEffort<T>(answer: () => T, none: T): T {
  try {
    return answer();
  } catch (err) {
    if (err instanceof procs.ProcToolMissingError) return none;
    throw err;
  }
}

export const descendants = (root: number) => bestEffort(() => procs.descendants(root), { pids: [], groups: [] });
export const listeningPorts = (root: number) => bestEffort(() => procs.listeningPorts(root), []);
export const rssBytes = (pid: number) => bestEffort(() => procs.rssBytes(pid), undefined);
export const treeRssBytes = (root: number) => bestEffort(() => procs.treeRssBytes(root), undefined);
