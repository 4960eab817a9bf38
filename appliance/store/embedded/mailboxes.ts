/** Mailbox rows: creation with a fresh UIDVALIDITY (RFC 3501 §2.3.1.1) and the special-use set. */
import { sql, type Db } from './database.ts';

/** RFC 6154 folders every new account gets, with their special-use attribute. */
export const SPECIAL_FOLDERS: [string, string][] = [
  ['Sent', '\\Sent'],
  ['Drafts', '\\Drafts'],
  ['Trash', '\\Trash'],
  ['Junk', '\\Junk'],
];

/**
 * UIDVALIDITY must change whenever a mailbox name is reused with new UIDs; seconds since
 * the epoch plus a per-process counter keeps it increasing without a lookup.
 */
let lastValidity = 0;
export function nextUidValidity(): number {
  lastValidity = Math.max(lastValidity + 1, Math.floor(Date.now() / 1000));
  return lastValidity;
}

export function createMailbox(db: Db, accountId: number, name: string, specialUse: string | null): number {
  const res = sql(db, 'INSERT INTO mailboxes (account_id, name, uid_validity, special_use) VALUES (?, ?, ?, ?)')
    .run(accountId, name, nextUidValidity(), specialUse);
  return Number(res.lastInsertRowid);
}
