/**
 * A short-lived snapshot of domains, accounts and aliases for recipient resolution, so a
 * busy listener does not query the store for every RCPT. Changes made with the CLI while
 * the appliance runs are seen within `ttlMs`.
 */
import type { Account, Domain, Stores } from '../../core/store/ports.ts';
import type { AliasRule } from '../../policies/alias.ts';

export interface DirectorySnapshot {
  domains: Map<string, Domain>;
  accounts: Map<string, Account>;
  /** The same accounts by id. */
  accountsById: Map<number, Account>;
  aliases: AliasRule[];
}

export class DirectoryCache {
  private snapshot: DirectorySnapshot | null = null;
  private loadedAt = 0;
  private loading: Promise<DirectorySnapshot> | null = null;

  constructor(private readonly stores: Stores, private readonly ttlMs = 1000) {}

  async get(): Promise<DirectorySnapshot> {
    if (this.snapshot && Date.now() - this.loadedAt < this.ttlMs) return this.snapshot;
    this.loading ??= this.load().finally(() => (this.loading = null));
    return this.loading;
  }

  invalidate(): void {
    this.snapshot = null;
  }

  private async load(): Promise<DirectorySnapshot> {
    const [domains, accounts, aliases] = await Promise.all([
      this.stores.domains.list(), this.stores.accounts.list(), this.stores.aliases.list(),
    ]);
    this.snapshot = {
      domains: new Map(domains.map((d) => [d.name, d])),
      accounts: new Map(accounts.map((a) => [`${a.name}@${a.domain}`, a])),
      accountsById: new Map(accounts.map((a) => [a.id, a])),
      aliases,
    };
    this.loadedAt = Date.now();
    return this.snapshot;
  }
}
