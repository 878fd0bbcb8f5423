/** SR_PORT_DENIED: the configured port is below 1024 and this user may not bind it. */
import type { Finding } from '../../protocol';
import type { Facts } from '../facts';
import { finding, locateJsonValue } from '../finding';

/** Bit 10 of the capability set. */
const CAP_NET_BIND_SERVICE = 1n << 10n;

export function checkPort(facts: Facts): Finding[] {
  const port = facts.config?.port;
  if (!port || port >= (facts.unprivilegedPortStart ?? 1024)) return [];
  if (facts.user.uid === 0 || (facts.user.capEff & CAP_NET_BIND_SERVICE) !== 0n) return [];
  const at = locateJsonValue(facts.configText, 'port');
  return [
    finding(
      'SR_PORT_DENIED',
      'error',
      `port ${port} is below ${facts.unprivilegedPortStart ?? 1024}: uid ${facts.user.uid} has no CAP_NET_BIND_SERVICE, so the master cannot listen on it (EACCES)`,
      'use a port above 1023 ("port": 3000, or --port 3000) and put a proxy in front if you need port 80',
      facts.config?.configFile && at ? { file: facts.config.configFile, ...at } : {},
    ),
  ];
}
