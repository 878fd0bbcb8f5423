/** The front's Host check for every request (see host-policy.ts): a 403 that says how to allow the host. */
import type { FrontExtension } from './front';
import { headerValue } from './headers';
import type { HostPolicy } from './host-policy';

export function hostGuard(policy: HostPolicy): FrontExtension {
  return {
    respond(req) {
      const host = headerValue(req.headers, 'host');
      if (policy.allowsHost(host)) return undefined;
      const name = JSON.stringify(host ?? '');
      return {
        status: 403,
        headers: ['Content-Type', 'text/plain; charset=utf-8', 'Cache-Control', 'no-store'],
        body: `Blocked request: the Host ${name} is not allowed (a page on another domain could otherwise read this app through DNS rebinding).\nTo allow it, add it to "allowedHosts" in smooth-reload.config.json, or start with --allowed-hosts ${(host ?? '').replace(/:\d+$/, '')}.\n`,
      };
    },
  };
}
