/**
 * Takes a snapshot of the store's runtime data (see format.ts). Works while the appliance runs:
 * the embedded store is SQLite in WAL mode, so this process reads a consistent state alongside it.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from '../../store/embedded/sqlite-driver.ts';
import type { ListMember, Stores } from '../../../core/store/ports.ts';
import type { RepliedRow, Snapshot } from './format.ts';

/**
 * The keys of every list that has members. The ListStore port has no "all lists" call, so the
 * embedded database is asked directly (read-only).
 */
export function embeddedListKeys(dataDir: string): string[] {
  const file = path.join(dataDir, 'mailserver.db');
  if (!fs.existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT DISTINCT list FROM list_members ORDER BY list').all() as { list: string }[]).map((r) => r.list);
  } finally {
    db.close();
  }
}

export async function readSnapshot(stores: Stores, listKeys: string[]): Promise<Snapshot> {
  const accounts = await stores.accounts.list();
  const lists: Record<string, ListMember[]> = {};
  if (stores.lists) for (const key of listKeys) lists[key] = await stores.lists.members(key);
  const replied: RepliedRow[] = [];
  for (const a of accounts) {
    for (const r of await stores.autoreply.list(a.id)) replied.push({ account: `${a.name}@${a.domain}`, ...r });
  }
  return {
    domains: await stores.domains.list(),
    accounts: accounts.map(({ id: _id, ...rest }) => rest),
    aliases: await stores.aliases.list(),
    lists,
    refusedIps: (await stores.refusedIps?.list()) ?? [],
    replied,
  };
}
