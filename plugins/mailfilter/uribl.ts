/**
 * URI blocklist lookups for `RBL:` (SURBL/URIBL style): `<domain>.<zone>` answering an A record
 * in 127.0.0.0/8 means listed. The domain and its parents down to two labels are asked, since
 * the lists hold registered domains. A lookup past its timeout counts as not listed.
 */
import { promises as dns } from 'node:dns';

export class UriBlocklist {
  private readonly resolver: dns.Resolver;
  private readonly cache = new Map<string, { at: number; listed: boolean }>();

  constructor(private readonly opts: { servers: string[]; timeoutMs: number; cacheTtlMs?: number }) {
    this.resolver = new dns.Resolver({ timeout: opts.timeoutMs, tries: 1 });
    if (opts.servers.length) this.resolver.setServers(opts.servers);
  }

  private async one(name: string): Promise<boolean> {
    const hit = this.cache.get(name);
    if (hit && Date.now() - hit.at < (this.opts.cacheTtlMs ?? 300_000)) return hit.listed;
    const answers = await this.resolver.resolve4(name).catch(() => [] as string[]);
    const listed = answers.some((a) => a.startsWith('127.'));
    this.cache.set(name, { at: Date.now(), listed });
    if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value as string);
    return listed;
  }

  /** Whether any of the domains (or a parent of one) is listed in `zone`. */
  async listed(zone: string, domains: string[]): Promise<boolean> {
    const names = new Set<string>();
    for (const d of domains) {
      const labels = d.split('.');
      for (let i = 0; i <= labels.length - 2; i++) names.add(`${labels.slice(i).join('.')}.${zone}`);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), this.opts.timeoutMs)));
    const all = Promise.all([...names].map((n) => this.one(n))).then((l) => l.some(Boolean));
    return Promise.race([all, timeout]).finally(() => clearTimeout(timer));
  }
}
