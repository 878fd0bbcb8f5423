/** Names the process that listens on a TCP port, for "port in use" errors (SR_PORT_IN_USE). */
import { ProcToolMissingError, portHolder } from './procs';

/** "pid 123 (node app.js)", or undefined when it cannot tell (another user's process, no lsof). */
export function describePortHolder(port: number): string | undefined {
  let holder: { pid: number; command: string } | undefined;
  try {
    holder = portHolder(port);
  } catch (err) {
    if (err instanceof ProcToolMissingError) return undefined;
    throw err;
  }
  if (!holder) return undefined;
  return `pid ${holder.pid}${holder.command ? ` (${holder.command.slice(0, 120)})` : ''}`;
}
