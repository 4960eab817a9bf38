/** Mailbox rows: creation with a fresh UIDVALIDITY (RFC 3501 §2.3.1.1) and the special-use set. */
import { sql, type Db } from './database.ts';
import type { GroupCommit } from './group-commit.ts';
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

/** The columns of a mailbox row in the order `mailboxRow` reads them (a raw statement, database.ts rawSql). */
export const MAILBOX_FIELDS = 'id, account_id, name, uid_validity, uid_next, highest_modseq, special_use, first_recent_uid, object_id';
export const mailboxRow = (r: unknown[]): MailboxRow => ({
  id: r[0] as number, account_id: r[1] as number, name: r[2] as string, uid_validity: r[3] as number, uid_next: r[4] as number,
  highest_modseq: r[5] as number, special_use: r[6] as string | null, first_recent_uid: r[7] as number, object_id: r[8] as string,
});

/** The columns of a message listing in the order `messageRow` reads them (`m` = messages; a raw statement). */
export const MESSAGE_FIELDS = 'm.mailbox_id, m.uid, m.modseq, m.flags, m.internal_date, m.size, m.blob_id, m.thread_root';
export const messageRow = (r: unknown[]): MessageRow => ({
  mailbox_id: r[0] as number, uid: r[1] as number, modseq: r[2] as number, flags: r[3] as string, internal_date: r[4] as number,
  size: r[5] as number, blob_id: r[6] as string, thread_root: r[7] as string | null,
});

export const toMailbox = (r: MailboxRow): MailboxInfo => ({
  id: r.id, accountId: r.account_id, name: r.name, uidValidity: r.uid_validity, uidNext: r.uid_next,
  highestModseq: r.highest_modseq, specialUse: r.special_use, objectId: r.object_id,
});
/**
 * A message row as MessageMeta. Its EMAILID (a keyed hash, store/shared/object-ids.ts) and
 * THREADID are worked out when first read, not for every row listed: a SELECT of a mailbox of
 * 100,000 messages reads neither, and one HMAC a row would hold the event loop for seconds there.
 */
class StoredMessage implements MessageMeta {
  readonly mailboxId: number;
  readonly uid: number;
  // not readonly: an IMAP session's view sets them when its own STORE changes them (a copy of
  // the object would lose the derived ids below)
  modseq: number;
  flags: string[];
  readonly size: number;
  readonly blobId: string;
  readonly #ids: EmailIds;
  readonly #threadRoot: string;
  readonly #arrived: number;
  #internalDate: Date | undefined;

  constructor(r: MessageRow, ids: EmailIds) {
    this.mailboxId = r.mailbox_id;
    this.uid = r.uid;
    this.modseq = r.modseq;
    this.flags = r.flags ? r.flags.split(' ') : [];
    this.#arrived = r.internal_date;
    this.size = r.size;
    this.blobId = r.blob_id;
    this.#ids = ids;
    this.#threadRoot = r.thread_root ?? '';
  }

  /** Made when first asked for (FETCH INTERNALDATE, SEARCH, SORT): a SELECT lists every message. */
  get internalDate(): Date {
    return (this.#internalDate ??= new Date(this.#arrived));
  }

  get emailId(): string {
    return this.#ids.of(this.blobId);
  }

  get threadId(): string {
    return threadIdOf(this.#threadRoot, this.emailId);
  }
}

export const toMessage = (r: MessageRow, ids: EmailIds): MessageMeta => new StoredMessage(r, ids);

/** The PostgreSQL store's message listings: each joined with its blob's thread root (`m` = messages, `b` = blobs). */
export const MESSAGE_COLUMNS = 'm.*, b.thread_root';

/**
 * Stores the thread roots fillThreadRoots worked out for listed rows: on their blobs (for the
 * copies and appends to come) and on the rows themselves (the embedded store's listings read
 * them from the messages table, schema.ts), in one write.
 */
export function saveThreadRoots(db: Db, commits: GroupCommit, rows: MessageRow[], roots: Map<string, string>): Promise<void> {
  return commits.run(() => {
    for (const [id, root] of roots) sql(db, 'UPDATE blobs SET thread_root = ? WHERE id = ?').run(root, id);
    const row = sql(db, 'UPDATE messages SET thread_root = ? WHERE mailbox_id = ? AND uid = ?');
    for (const r of rows) if (roots.has(r.blob_id)) row.run(roots.get(r.blob_id)!, r.mailbox_id, r.uid);
  });
}

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
