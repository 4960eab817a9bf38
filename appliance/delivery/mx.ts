/**
 * Where a domain's mail goes: MX lookup through the configured DNS servers (TX-3, up to three,
 * `ip` or `ip:port`; the system resolver when none), RFC 5321 §5.1 ordering and fallback, RFC
 * 7505 null MX, and the MX cache of destinations that took mail (seed default 10 days).
 */
import { promises as dns } from 'node:dns';
import net from 'node:net';

/** A destination that cannot be reached now (temporary) or ever (permanent). */
export class DestinationError extends Error {
  constructor(message: string, readonly permanent: boolean, readonly status: string) {
    super(message);
    this.name = 'DestinationError';
  }
}

export interface MxHost {
  host: string;
  preference: number;
  /** Its addresses, when known (the MX cache keeps them). */
  addresses?: string[];
}

const TEMPORARY = new Set(['ETIMEOUT', 'ESERVFAIL', 'EREFUSED', 'ECONNREFUSED', 'EAI_AGAIN', 'ECANCELLED', 'EBADRESP', 'ECONNRESET']);

function dnsCode(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? 'EUNKNOWN';
}

function shuffle<T>(list: T[]): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}

export class MxResolver {
  private readonly resolver: dns.Resolver;
  private readonly cache = new Map<string, { hosts: MxHost[]; until: number }>();

  constructor(servers: string[], private readonly cacheSeconds: number, timeoutMs = 5000) {
    this.resolver = new dns.Resolver({ timeout: timeoutMs, tries: 2 });
    if (servers.length) this.resolver.setServers(servers);
  }

  /**
   * The hosts to try, best first: MX records by preference (equal ones in random order, RFC 5321
   * §5.1), or the domain itself when it has no MX but exists. Throws DestinationError.
   */
  async mxHosts(domain: string): Promise<MxHost[]> {
    const literal = /^\[(.*)\]$/.exec(domain);
    if (literal) return [{ host: literal[1].replace(/^IPv6:/i, ''), preference: 0 }];
    const cached = this.cache.get(domain);
    if (cached && cached.until > Date.now()) return cached.hosts.map((h) => ({ ...h }));
    let records: { exchange: string; priority: number }[];
    try {
      records = await this.resolver.resolveMx(domain);
    } catch (err) {
      const code = dnsCode(err);
      if (code === 'ENOTFOUND') throw new DestinationError(`domain ${domain} does not exist (DNS NXDOMAIN)`, true, '5.1.2');
      if (code !== 'ENODATA') throw new DestinationError(`MX lookup for ${domain} failed (${code})`, false, '4.4.3');
      records = [];
    }
    // RFC 7505: a single MX of "." (preference 0) says the domain takes no mail
    if (records.some((r) => r.exchange === '' || r.exchange === '.')) {
      throw new DestinationError(`domain ${domain} accepts no mail (null MX, RFC 7505)`, true, '5.1.10');
    }
    if (!records.length) return [{ host: domain, preference: 0 }];
    const byPref = new Map<number, MxHost[]>();
    for (const r of records) {
      const list = byPref.get(r.priority) ?? [];
      list.push({ host: r.exchange.replace(/\.$/, ''), preference: r.priority });
      byPref.set(r.priority, list);
    }
    return [...byPref.keys()].sort((a, b) => a - b).flatMap((p) => shuffle(byPref.get(p)!));
  }

  /** IPv4 then IPv6 addresses of a host; [] when it has none (or DNS fails). */
  async addresses(host: string): Promise<string[]> {
    if (net.isIP(host)) return [host];
    const [v4, v6] = await Promise.all([
      this.resolver.resolve4(host).catch(() => [] as string[]),
      this.resolver.resolve6(host).catch(() => [] as string[]),
    ]);
    return [...v4, ...v6];
  }

  /** Remembers the MX hosts (with their addresses) of a destination that took mail (TX-3 MX cache; 0 s = off). */
  remember(domain: string, hosts: MxHost[]): void {
    const known = this.cache.get(domain);
    if (this.cacheSeconds > 0 && !(known && known.until > Date.now())) this.cache.set(domain, { hosts, until: Date.now() + this.cacheSeconds * 1000 });
  }

  forget(domain: string): void {
    this.cache.delete(domain);
  }
}
