/** Mailbox rows: creation with a fresh UIDVALIDITY (RFC 3501 §2.3.1.1) and the special-use set. */
import { sql, type Db } from './database.ts';
import { nextUidValidity } from '../shared/uid-validity.ts';
import { EmailIds, newMailboxObjectId, newObjectIdSecret, OBJECTID_SECRET } from '../shared/object-ids.ts';
import type { MailboxInfo, MessageMeta } from '../../../core/store/ports.ts';
import { threadIdOf, threadRootOf } from '../../imap/message/object-ids.ts';

/** RFC 6154 folders every new account gets, with their special-use attribute. */
export const SPECIAL_FOLDERS: [string, string][] = [
  ['Sent', '\\Sent'],
  ['Drafts', '\\Drafts'],
  ['Trash', '\\Trash'],
  ['Junk', '\\Junk'],
];

export function createMailbox(db: Db, accountId: number, name: string, specialUse: string | null): number {
  const res = sql(db, 'INSERT INTO mailboxes (account_id, name, uid_validity, special_use, object_id) VALUES (?, ?, ?, ?, ?)')
    .run(accountId, name, nextUidValidity(), specialUse, newMailboxObjectId());
  return Number(res.lastInsertRowid);
}

/** A row of the mailboxes table (first_recent_uid: IMAP \\Recent bookkeeping). */
export interface MailboxRow { id: number; account_id: number; name: string; uid_validity: number; uid_next: number; highest_modseq: number; special_use: string | null; first_recent_uid: number; object_id: string }
/** A row of the messages table. */
export interface MessageRow { mailbox_id: number; uid: number; modseq: number; flags: string; internal_date: number; size: number; blob_id: string; thread_root?: string | null }

export const toMailbox = (r: MailboxRow): MailboxInfo => ({
  id: r.id, accountId: r.account_id, name: r.name, uidValidity: r.uid_validity, uidNext: r.uid_next,
  highestModseq: r.highest_modseq, specialUse: r.special_use, objectId: r.object_id,
});
/** A message row as MessageMeta, its EMAILID from the installation's key (store/shared/object-ids.ts). */
export function toMessage(r: MessageRow, ids: EmailIds): MessageMeta {
  const emailId = ids.of(r.blob_id);
  return {
    mailboxId: r.mailbox_id, uid: r.uid, modseq: r.modseq, flags: r.flags ? r.flags.split(' ') : [],
    internalDate: new Date(r.internal_date), size: r.size, blobId: r.blob_id, emailId, threadId: threadIdOf(r.thread_root ?? '', emailId),
  };
}

/** The messages of a listing joined with their blob's thread root (`m` = messages, `b` = blobs). */
export const MESSAGE_COLUMNS = 'm.*, b.thread_root';

/**
 * Rows whose blob has no thread root yet (a blob stored before the column): computed from the
 * header (`head`), stored with the blob (`save`), and set on the rows. Once per old blob.
 */
export async function fillThreadRoots(rows: MessageRow[], head: (blobId: string) => Promise<Buffer | null>, save: (roots: Map<string, string>) => Promise<void> | void): Promise<MessageRow[]> {
  const roots = new Map<string, string>();
  for (const r of rows) {
    if (typeof r.thread_root === 'string' || roots.has(r.blob_id)) continue;
    const h = await head(r.blob_id).catch(() => null);
    if (h) roots.set(r.blob_id, threadRootOf(h));
  }
  if (!roots.size) return rows;
  await save(roots);
  for (const r of rows) if (roots.has(r.blob_id)) r.thread_root = roots.get(r.blob_id)!;
  return rows;
}

/** The installation's EMAILID key, made on the first open (RFC 8474 §5.1, §7). */
export function embeddedEmailIds(db: Db): EmailIds {
  sql(db, 'INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)').run(OBJECTID_SECRET, newObjectIdSecret());
  const row = sql<[string], { value: string }>(db, 'SELECT value FROM secrets WHERE name = ?').get(OBJECTID_SECRET)!;
  return new EmailIds(Buffer.from(row.value, 'hex'));
}
