/** Mailboxes and messages in the cluster store (MailStore: SMTP delivery, POP3, quota). */
import type { Delivery, MailboxInfo, MailStore, MessageMeta, OutboundItem } from '../../../core/store/ports.ts';
import { fillThreadRoots, MESSAGE_COLUMNS, toMailbox, toMessage, type MailboxRow, type MessageRow } from '../embedded/mailboxes.ts';
import type { PgDb, Sql } from './database.ts';
import { countBlobs, newBlobId, pgHeader, saveThreadRoots, unrefBlobs } from './blobs.ts';
import { bump } from './mailboxes.ts';
import type { PgNotifier } from './notifier.ts';
import { DeliveryBatch } from './delivery-batch.ts';
import { QuotaReads } from './quota-batch.ts';
import type { PgQueue } from './queue.ts';
import type { EmailIds } from '../shared/object-ids.ts';
import { MessageContent } from '../../../core/store/content.ts';
import { MessageGoneError } from '../../../core/errors.ts';
import { mapInSlices } from '../../runtime/loop-slice.ts';

export class PgMail implements MailStore {
  /** Deliveries that arrive together commit together (one WAL flush for many messages). */
  private readonly batch: DeliveryBatch;
  private readonly quotaReads: QuotaReads;
  constructor(private readonly db: PgDb, private readonly changes: PgNotifier, readonly queue: PgQueue, private readonly ids: EmailIds) {
    this.batch = new DeliveryBatch(db, changes.sender);
    this.quotaReads = new QuotaReads(db);
  }

  async deliver(d: Delivery): Promise<void> {
    if (!d.accountIds.length) return;
    // the cluster store keeps message bytes in a bytea column: a spooled message is loaded here
    const content = await MessageContent.from(d.content).toBuffer();
    const touched = await this.batch.deliver({
      blobId: newBlobId(), content, accountIds: [...d.accountIds], name: d.mailbox ?? 'INBOX',
      flags: (d.flags ?? []).join(' '), date: d.internalDate.getTime(),
    });
    for (const change of touched) this.changes.publish(change);
  }

  enqueue(item: OutboundItem): Promise<string> {
    return this.queue.enqueue(item);
  }

  async mailbox(accountId: number, name: string) {
    const [r] = await this.db.q<MailboxRow>('SELECT * FROM mailboxes WHERE account_id = $1 AND name = $2', [accountId, name]);
    return r ? toMailbox(r) : null;
  }

  async listMailboxes(accountId: number): Promise<MailboxInfo[]> {
    // COLLATE "C": the byte order SQLite uses, whatever the database's locale
    return (await this.db.q<MailboxRow>('SELECT * FROM mailboxes WHERE account_id = $1 ORDER BY name COLLATE "C"', [accountId])).map(toMailbox);
  }

  async messages(mailboxId: number): Promise<MessageMeta[]> {
    const rows = await this.db.q<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages m LEFT JOIN blobs b ON b.id = m.blob_id WHERE m.mailbox_id = $1 ORDER BY m.uid`, [mailboxId]);
    await fillThreadRoots(rows, (id) => pgHeader(this.db, id), (roots) => saveThreadRoots(this.db, roots));
    // one query (pg parses the rows as they arrive, between reads of the socket), then the rows
    // made into messages in time slices: a 100,000-message mailbox is 50–100 ms of that
    return mapInSlices(rows, (r) => toMessage(r, this.ids));
  }

  async usage(accountId: number) {
    return (await this.db.q<{ usage: number }>('SELECT usage FROM accounts WHERE id = $1', [accountId]))[0]?.usage ?? 0;
  }

  /** One round trip for every recipient of a message, shared with the messages asking at the same time (quota-batch.ts). */
  quotas(accountIds: number[]) {
    return this.quotaReads.read(accountIds);
  }

  async read(blobId: string): Promise<Buffer> {
    const [r] = await this.db.q<{ data: Buffer }>('SELECT data FROM blobs WHERE id = $1', [blobId]);
    if (!r) throw new MessageGoneError(blobId);
    return r.data;
  }

  async content(blobId: string): Promise<MessageContent> {
    return MessageContent.of(await this.read(blobId));
  }

  async expunge(mailboxId: number, uids: number[]) {
    if (!uids.length) return { removed: [], modseq: null };
    const result = await this.db.tx(async (c) => expungeUids(c, mailboxId, uids, this.changes), 'expunge');
    if (result.removed.length) this.changes.publish({ accountId: result.accountId, mailboxId });
    return { removed: result.removed, modseq: null };
  }
}

/**
 * Deletes messages by UID under the mailbox row lock (the trigger records them in `expunged`
 * with the next MODSEQ, which the bump then takes), frees usage and blob references.
 */
export async function expungeUids(c: Sql, mailboxId: number, uids: number[], notifier?: PgNotifier): Promise<{ accountId: number; removed: number[] }> {
  const box = (await c.query<{ account_id: number }>('SELECT account_id FROM mailboxes WHERE id = $1 FOR UPDATE', [mailboxId])).rows[0];
  if (!box) return { accountId: 0, removed: [] };
  const gone = (await c.query<{ uid: number; size: number; blob_id: string }>(
    'DELETE FROM messages WHERE mailbox_id = $1 AND uid = ANY($2::bigint[]) RETURNING uid, size, blob_id', [mailboxId, uids])).rows;
  if (!gone.length) return { accountId: box.account_id, removed: [] };
  const size = gone.reduce((s, r) => s + r.size, 0);
  await c.query('UPDATE accounts SET usage = usage - $1 WHERE id = $2', [size, box.account_id]);
  await unrefBlobs(c, countBlobs(gone));
  await bump(c, mailboxId);
  await notifier?.notifyMailbox(c, { accountId: box.account_id, mailboxId });
  const removed = new Set(gone.map((r) => r.uid));
  return { accountId: box.account_id, removed: [...new Set(uids)].filter((u) => removed.has(u)) };
}
