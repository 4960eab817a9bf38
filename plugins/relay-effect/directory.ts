/**
 * Who is local: the sender and recipient classes of the seed's matrices (internal with
 * account, internal without account, external), from a one-second snapshot of the store so a
 * busy listener does not query it for every MAIL and RCPT.
 */
import type { Account, Stores } from '../../core/store/ports.ts';
import type { AddressClass } from '../../policies/effect-rules.ts';

interface Snapshot {
  domains: Set<string>;
  accounts: Map<string, Account>;
  aliases: Set<string>;
}

export class LocalDirectory {
  private snapshot: Snapshot | null = null;
  private loadedAt = 0;
  private loading: Promise<Snapshot> | null = null;
  constructor(private readonly stores: Pick<Stores, 'domains' | 'accounts' | 'aliases'>, private readonly ttlMs = 1000) {}

  private async get(): Promise<Snapshot> {
    if (this.snapshot && Date.now() - this.loadedAt < this.ttlMs) return this.snapshot;
    this.loading ??= (async () => {
      const [domains, accounts, aliases] = await Promise.all([
        this.stores.domains.list(), this.stores.accounts.list(), this.stores.aliases.list(),
      ]);
      this.snapshot = {
        domains: new Set(domains.map((d) => d.name.toLowerCase())),
        accounts: new Map(accounts.map((a) => [`${a.name}@${a.domain}`.toLowerCase(), a])),
        // exact aliases only: a catch-all would make every forged sender "with account"
        aliases: new Set(aliases.filter((a) => !a.alias.startsWith('*@')).map((a) => a.alias.toLowerCase())),
      };
      this.loadedAt = Date.now();
      return this.snapshot;
    })().finally(() => (this.loading = null));
    return this.loading;
  }

  /** The class of an envelope address; '' (the null sender) is external. */
  async classify(address: string): Promise<{ cls: AddressClass; account?: Account }> {
    const lower = address.toLowerCase();
    const at = lower.lastIndexOf('@');
    if (at < 0) return { cls: 'external' };
    const dir = await this.get();
    if (!dir.domains.has(lower.slice(at + 1))) return { cls: 'external' };
    const account = dir.accounts.get(lower);
    if (account) return { cls: 'local', account };
    return { cls: dir.aliases.has(lower) ? 'local' : 'local-unknown' };
  }

  /** The account a login or address names (`user@domain`, `user%domain`, or a bare name in one domain). */
  async account(login: string): Promise<Account | undefined> {
    const dir = await this.get();
    const n = login.trim().toLowerCase().replace('%', '@');
    if (n.includes('@')) return dir.accounts.get(n);
    const hits = [...dir.accounts.values()].filter((a) => a.name === n);
    return hits.length === 1 ? hits[0] : undefined;
  }
}
