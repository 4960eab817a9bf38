/**
 * DNSBL queries (RFC 5782): the client address reversed under each zone — IPv4 by octet,
 * IPv6 by nibble (§2.4) — where any A record in 127.0.0.0/8 means "listed". Answers, both
 * listed and not, are cached; a lookup that runs past its timeout counts as not listed.
 */
import { promises as dns } from 'node:dns';
import ipaddr from 'ipaddr.js';

export function queryName(ip: string, zone: string): string | null {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.process(ip);
  } catch {
    return null;
  }
  if (addr.kind() === 'ipv4') return `${(addr as ipaddr.IPv4).octets.slice().reverse().join('.')}.${zone}`;
  const hex = (addr as ipaddr.IPv6).parts.map((p) => p.toString(16).padStart(4, '0')).join('');
  return `${hex.split('').reverse().join('.')}.${zone}`;
}

export interface Listing {
  zone: string;
  /** The A record the zone answered (its code, e.g. 127.0.0.2). */
  answer: string;
}

export class DnsblLookup {
  private readonly cache = new Map<string, { at: number; listing: Listing | null }>();
  private readonly resolver: dns.Resolver;

  constructor(private readonly opts: { zones: string[]; servers?: string[]; timeoutMs: number; cacheTtlMs: number; maxCache?: number }) {
    this.resolver = new dns.Resolver({ timeout: opts.timeoutMs, tries: 1 });
    if (opts.servers?.length) this.resolver.setServers(opts.servers);
  }

  private async one(ip: string, zone: string): Promise<Listing | null> {
    const name = queryName(ip, zone);
    if (!name) return null;
    const answers = await this.resolver.resolve4(name).catch(() => [] as string[]);
    const hit = answers.find((a) => a.startsWith('127.'));
    return hit ? { zone, answer: hit } : null;
  }

  /** The first zone that lists `ip`, or null; never takes longer than timeoutMs. */
  async check(ip: string): Promise<Listing | null> {
    const cached = this.cache.get(ip);
    if (cached && Date.now() - cached.at < this.opts.cacheTtlMs) return cached.listing;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), this.opts.timeoutMs)));
    const all = Promise.all(this.opts.zones.map((z) => this.one(ip, z))).then((l) => l.find(Boolean) ?? null);
    const result = await Promise.race([all, timeout]).finally(() => clearTimeout(timer));
    if (result === 'timeout') return null; // not cached: the next session asks again
    this.cache.set(ip, { at: Date.now(), listing: result });
    if (this.cache.size > (this.opts.maxCache ?? 10_000)) this.cache.delete(this.cache.keys().next().value as string);
    return result;
  }
}
