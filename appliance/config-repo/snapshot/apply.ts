/**
 * Loads a data snapshot into the store (restore, CF-1). Replace semantics, chosen so that no mail
 * is lost by accident:
 *
 * - domains and accounts of the snapshot are created, or updated to the snapshot's values
 *   (password hash included); domains and accounts that are NOT in the snapshot are kept and
 *   reported, because deleting an account deletes its mailbox. With `prune` they are deleted.
 * - aliases, list members, refused IPs become exactly the snapshot's (no mail hangs on them).
 * - auto-reply state is added (each address counted as one reply on its last-reply date).
 */
import type { Stores } from '../../../core/store/ports.ts';
import type { Snapshot } from './format.ts';

export interface ApplyReport {
  domains: { created: number; updated: number };
  accounts: { created: number; updated: number };
  /** Accounts and domains in the store but not in the snapshot: kept (or deleted with prune). */
  extraAccounts: string[];
  extraDomains: string[];
  pruned: boolean;
  aliases: number;
  lists: Record<string, number>;
  refusedIps: number;
  /** Accounts flagged APOP: their secret is not in a snapshot, so APOP waits for a new password. */
  apopWithoutSecret: string[];
}

export async function applySnapshot(stores: Stores, snap: Snapshot, opts: { prune?: boolean; listKeys?: string[] } = {}): Promise<ApplyReport> {
  const report: ApplyReport = {
    domains: { created: 0, updated: 0 }, accounts: { created: 0, updated: 0 }, extraAccounts: [], extraDomains: [],
    pruned: !!opts.prune, aliases: 0, lists: {}, refusedIps: 0, apopWithoutSecret: [],
  };
  for (const d of snap.domains) {
    if (await stores.domains.get(d.name)) {
      // no limit while the accounts are restored (a lower current limit must not stop them); set after
      await stores.domains.update(d.name, { accountLimit: 0, admin: d.admin, copyErrorsToAdmin: d.copyErrorsToAdmin });
      report.domains.updated++;
    } else {
      // the limit is set after the accounts: a restore must not trip over it half-way
      await stores.domains.create({ name: d.name, admin: d.admin, copyErrorsToAdmin: d.copyErrorsToAdmin });
      report.domains.created++;
    }
  }
  const wanted = new Set(snap.accounts.map((a) => `${a.name}@${a.domain}`.toLowerCase()));
  for (const a of snap.accounts) {
    const address = `${a.name}@${a.domain}`;
    const { passwordHash, ...fields } = a;
    if (await stores.accounts.get(address)) {
      await stores.accounts.update(address, { ...fields, password: passwordHash });
      report.accounts.updated++;
    } else {
      await stores.accounts.create({ ...fields, password: passwordHash });
      report.accounts.created++;
    }
    if (a.apop) report.apopWithoutSecret.push(address);
  }
  for (const d of snap.domains) await stores.domains.update(d.name, { accountLimit: d.accountLimit });

  for (const a of await stores.accounts.list()) {
    const address = `${a.name}@${a.domain}`;
    if (wanted.has(address.toLowerCase())) continue;
    report.extraAccounts.push(address);
    if (opts.prune) await stores.accounts.delete(address);
  }
  const domainNames = new Set(snap.domains.map((d) => d.name.toLowerCase()));
  for (const d of await stores.domains.list()) {
    if (domainNames.has(d.name)) continue;
    report.extraDomains.push(d.name);
    if (opts.prune) await stores.domains.delete(d.name);
  }

  for (const a of await stores.aliases.list()) await stores.aliases.delete(a.alias);
  for (const a of snap.aliases) await stores.aliases.add(a);
  report.aliases = snap.aliases.length;

  if (stores.lists) {
    const keys = new Set([...(opts.listKeys ?? []), ...Object.keys(snap.lists)]);
    for (const key of [...keys].sort()) {
      const members = snap.lists[key] ?? [];
      await stores.lists.replaceMembers(key, members.map((m) => ({ address: m.address, name: m.name })));
      for (const m of members) {
        for (let i = 0; i < (m.bounces ?? 0); i++) await stores.lists.recordBounce(key, m.address);
        if (m.disabled) await stores.lists.setDisabled(key, m.address, true);
      }
      report.lists[key] = members.length;
    }
  }

  if (stores.refusedIps) {
    const keep = new Set(snap.refusedIps.map((r) => r.ip));
    for (const r of await stores.refusedIps.list()) if (!keep.has(r.ip)) await stores.refusedIps.remove(r.ip);
    for (const r of snap.refusedIps) await stores.refusedIps.add(r.ip, r.reason);
    report.refusedIps = snap.refusedIps.length;
  }

  for (const r of snap.replied) {
    const account = await stores.accounts.get(r.account);
    if (!account) continue;
    await stores.autoreply.forget(account.id, r.address);
    await stores.autoreply.claimReply(account.id, r.address, { now: r.lastReply, periodMs: 0, record: r.recorded, neverAgain: r.neverAgain });
  }
  return report;
}
