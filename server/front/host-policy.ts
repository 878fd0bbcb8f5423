/**
 * Which Host (and, for the live-reload socket, which Origin) the front answers. A page on an
 * attacker's domain can make the browser resolve that domain to 127.0.0.1 (DNS rebinding) and
 * then read the app as same-origin; only the Host header tells such a request apart. So, as Vite
 * does since CVE-2025-24010, every request whose Host is not localhost, an IP literal, the host the
 * front listens on, or an allowed host gets 403, pages included. Pure: no sockets here.
 */

export interface HostPolicyOptions {
  /** `allowedHosts` from the config and `--allowed-hosts`: names, `.example.com` for a domain and its subdomains, or true for any. */
  allowedHosts: readonly string[] | true;
  /** The address the front listens on (allowed as a Host). */
  listenHost: string;
  /** The front serves TLS: its own pages' origins are https. */
  tls?: boolean;
  /** The front's port (known after listen): a page of this server names it in Host and Origin. */
  port?: () => number;
}

export class HostPolicy {
  private readonly configured: readonly string[] | true;
  /** Added while running (the editor's forwarded address, `allow-host` requests). */
  private readonly added = new Set<string>();

  constructor(private readonly options: HostPolicyOptions) {
    this.configured = options.allowedHosts === true ? true : options.allowedHosts.map((h) => h.toLowerCase());
  }

  /** Allow one more host while running; takes a host name or an authority (`name:port`). */
  allow(host: string): string | undefined {
    const name = hostnameOf(host) ?? host.toLowerCase();
    if (!isHostname(name)) return undefined;
    this.added.add(name);
    return name;
  }

  /** The names allowed besides localhost and IP literals (for status and messages). */
  list(): string[] | true {
    return this.configured === true ? true : [...new Set([...this.configured, ...this.added])];
  }

  /** May a request with this Host header be answered? An absent Host (HTTP/1.0) may. */
  allowsHost(hostHeader: string | undefined): boolean {
    if (hostHeader === undefined || hostHeader === '') return true;
    const name = hostnameOf(hostHeader);
    if (name === undefined) return false;
    return isLocalName(name) || isIpLiteral(name) || name === bare(this.options.listenHost) || this.explicitlyAllowed(name);
  }

  /**
   * May a page from `origin` open the live-reload socket reached through `hostHeader`? Only a
   * page of this server: the same authority as the Host, or a host allowed by name (a
   * forwarder that rewrites Host, such as a remote editor's port forwarding).
   */
  allowsSocket(hostHeader: string | undefined, origin: string | undefined): string | undefined {
    if (!this.allowsHost(hostHeader)) return `foreign Host header "${hostHeader}"`;
    if (!origin) return 'no Origin header (only pages served by this server may connect)';
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      return `malformed Origin "${origin}"`;
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `cross-origin page "${origin}"`;
    const ownScheme = parsed.protocol === (this.options.tls ? 'https:' : 'http:');
    if (ownScheme && hostHeader && parsed.host.toLowerCase() === hostHeader.toLowerCase() && this.isOwnPort(hostHeader)) return undefined;
    // A forwarder may serve the page over https and rewrite Host: trusted by name only.
    if (this.explicitlyAllowed(bare(parsed.hostname))) return undefined;
    return `cross-origin page "${origin}"`;
  }

  /** The Host names the front's own port (a page of another local server names its own). */
  private isOwnPort(hostHeader: string): boolean {
    const port = this.options.port?.();
    if (port === undefined) return true;
    const m = /:(\d+)$/.exec(hostHeader.replace(/^\[[^\]]*\]/, ''));
    return Number(m ? m[1] : this.options.tls ? 443 : 80) === port;
  }

  /** Allowed by name: `allowedHosts` (true: any), or added while running. */
  private explicitlyAllowed(name: string): boolean {
    if (this.configured === true || this.added.has(name)) return true;
    return this.configured.some((h) => (h.startsWith('.') ? name === h.slice(1) || name.endsWith(h) : name === h));
  }
}

/** The host name of a Host header or authority, lower-case, IPv6 without brackets; undefined when malformed. */
export function hostnameOf(authority: string): string | undefined {
  const a = authority.trim().toLowerCase();
  const v6 = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/.exec(a);
  if (v6) return v6[1];
  const m = /^([^:@/\s[\]]+)(?::(\d{1,5}))?$/.exec(a);
  if (!m) return undefined;
  return m[1].endsWith('.') ? m[1].slice(0, -1) : m[1];
}

function bare(host: string): string {
  return host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
}

function isHostname(name: string): boolean {
  return /^[a-z0-9._-]+$/.test(name) || isIpLiteral(name);
}

/** `localhost` and `*.localhost` (RFC 6761: always the loopback). */
function isLocalName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost');
}

function isIpLiteral(name: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return name.split('.').every((o) => Number(o) <= 255);
  return name.includes(':') && /^[0-9a-f:.]+$/.test(name);
}
