/**
 * Which Host a master must accept when the app is opened through a port forwarder (WSL, SSH,
 * containers, Codespaces, code-server). Pure, so it is unit-tested in plain Node.
 */

/**
 * The authority (`name` or `name:port`) of `externalUrl` when it differs from the master's own
 * URL's: the Host header browsers will send through the forwarding. Undefined when they match
 * (no forwarding, or a forwarder that kept the local address).
 */
export function hostToAllow(masterUrl: string, externalUrl: string): string | undefined {
  const local = new URL(masterUrl);
  const external = new URL(externalUrl);
  if (external.protocol !== 'http:' && external.protocol !== 'https:') return undefined;
  return external.host === local.host ? undefined : external.host;
}
