/** Mailboxes, messages and the outbound queue in the embedded store. */
import fs from 'node:fs';
import crypto from 'node:crypto';
import { sql, type Db } from './database.ts';
import type { Delivery, MailboxInfo, MailStore, MessageMeta, OutboundItem } from '../../../core/store/ports.ts';
import { BlobTable, prepareBlob } from './blobs.ts';
import { GroupCommit } from './group-commit.ts';
import { createMailbox, fillThreadRoots, MESSAGE_FIELDS, messageRow, saveThreadRoots, toMailbox, toMessage, type MailboxRow, type MessageRow } from './mailboxes.ts';
import { EmbeddedQueue } from './queue.ts';
import type { ChangeNotifier } from '../../../core/store/notifications.ts';
import type { EmailIds } from '../shared/object-ids.ts';
import { PAGE_ROWS, readPages } from '../shared/pages.ts';


export class EmbeddedMail implements MailStore {
  private readonly commits: GroupCommit;
  private readonly blobs: BlobTable;
  readonly queue: EmbeddedQueue;
  private readonly q;

  /** `changes` (IMAP IDLE) hears of every delivery and expunge once it is committed. */
  constructor(private readonly db: Db, private readonly blobDir: string, private readonly ids: EmailIds, private readonly changes?: ChangeNotifier) {
    this.commits = GroupCommit.of(db);
    this.blobs = new BlobTable(db, blobDir);
    this.queue = new EmbeddedQueue(db, blobDir, this.commits, this.blobs);
    this.q = {
      mailbox: db.prepare<[number, string], MailboxRow>('SELECT * FROM mailboxes WHERE account_id = ? AND name = ?'),
      allocate: db.prepare<[number], { uid: number; modseq: number }>(
        'UPDATE mailboxes SET uid_next = uid_next + 1, highest_modseq = highest_modseq + 1 WHERE id = ? RETURNING uid_next - 1 AS uid, highest_modseq AS modseq'),
      insertMessage: db.prepare('INSERT INTO messages (mailbox_id, uid, modseq, flags, internal_date, size, blob_id, thread_root) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      addUsage: db.prepare('UPDATE accounts SET usage = usage + ? WHERE id = ?'),
      usage: db.prepare<[number], { usage: number }>('SELECT usage FROM accounts WHERE id = ?'),
      quota: db.prepare<[number], { quota: number; usage: number }>('SELECT quota, usage FROM accounts WHERE id = ?'),
      // raw rows (database.ts rawSql): a SELECT lists the whole mailbox
      messages: db.prepare<[number, number, number], unknown[]>(
        `SELECT ${MESSAGE_FIELDS} FROM messages m WHERE m.mailbox_id = ? AND m.uid > ? ORDER BY m.uid LIMIT ?`).raw(true),
      deleteMessage: db.prepare<[number, number], { size: number; blob_id: string }>('DELETE FROM messages WHERE mailbox_id = ? AND uid = ? RETURNING size, blob_id'),
      bumpModseq: db.prepare<[number], { modseq: number; account_id: number }>('UPDATE mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = ? RETURNING highest_modseq AS modseq, account_id'),
    };
  }

  sweepOrphans(minAgeMs = 0): number {
    return this.blobs.sweepOrphans(minAgeMs);
  }

  private mailboxFor(accountId: number, name: string): MailboxRow {
    const row = this.q.mailbox.get(accountId, name);
    if (row) return row;
    createMailbox(this.db, accountId, name, null);
    return this.q.mailbox.get(accountId, name)!;
  }

  async deliver(d: Delivery): Promise<void> {
    if (!d.accountIds.length) return;
    const blob = await prepareBlob(this.blobDir, d.content);
    const flags = (d.flags ?? []).join(' ');
    const touched: { accountId: number; mailboxId: number; modseq: number }[] = [];
    await this.commits.run(() => {
      this.blobs.add(blob, d.accountIds.length);
      for (const accountId of d.accountIds) {
        const mbox = this.mailboxFor(accountId, d.mailbox ?? 'INBOX');
        const { uid, modseq } = this.q.allocate.get(mbox.id)!;
        touched.push({ accountId, mailboxId: mbox.id, modseq });
        this.q.insertMessage.run(mbox.id, uid, modseq, flags, d.internalDate.getTime(), blob.size, blob.id, blob.threadRoot);
        this.q.addUsage.run(blob.size, accountId);
      }
    });
    for (const change of touched) this.changes?.publish(change);
  }

  /** The outbound queue shares this store's group commit and blob table. */
  enqueue(item: OutboundItem): Promise<string> {
    return this.queue.enqueue(item);
  }

  async mailbox(accountId: number, name: string) {
    const r = this.q.mailbox.get(accountId, name);
    return r ? toMailbox(r) : null;
  }

  async listMailboxes(accountId: number) {
    return sql<[number], MailboxRow>(this.db, 'SELECT * FROM mailboxes WHERE account_id = ? ORDER BY name').all(accountId).map(toMailbox);
  }

  /** In pages, yielding between them: not one snapshot (see ../shared/pages.ts for why that is safe). */
  async messages(mailboxId: number) {
    const out: MessageMeta[] = [];
    await readPages<MessageRow>((after) => this.q.messages.all(mailboxId, after?.uid ?? 0, PAGE_ROWS).map(messageRow), async (page) => {
      const rows = await fillThreadRoots(page, async (id) => (await this.blobs.content(id)).header(), (roots) => saveThreadRoots(this.db, this.commits, page, roots));
      for (const r of rows) out.push(toMessage(r, this.ids));
    });
    return out;
  }

  async usage(accountId: number) {
    return this.q.usage.get(accountId)?.usage ?? 0;
  }

  async quotas(accountIds: number[]) {
    const out = new Map<number, { quota: number; usage: number }>();
    for (const id of new Set(accountIds)) {
      const r = this.q.quota.get(id);
      if (r) out.set(id, r);
    }
    return out;
  }

  read(blobId: string) {
    return this.blobs.read(blobId);
  }

  content(blobId: string) {
    return this.blobs.content(blobId);
  }

  async expunge(mailboxId: number, uids: number[]) {
    const files: string[] = [];
    const result = await this.commits.run(() => {
      const done: number[] = [];
      let freed = 0;
      for (const uid of uids) {
        const m = this.q.deleteMessage.get(mailboxId, uid);
        if (!m) continue;
        freed += m.size;
        const file = this.blobs.unref(m.blob_id);
        if (file) files.push(file);
        done.push(uid);
      }
      if (!done.length) return { removed: done, modseq: null, accountId: 0 };
      // one MODSEQ and one usage update for the whole expunge; the account from the mailbox row
      const { modseq, account_id } = this.q.bumpModseq.get(mailboxId)!;
      this.q.addUsage.run(-freed, account_id);
      return { removed: done, modseq, accountId: account_id };
    });
    // after the commit (core/store/notifications.ts), and so after the expunging session's view
    // could take it in: told before, that view would count its own expunge as another's
    if (result.modseq !== null) this.changes?.publish({ accountId: result.accountId, mailboxId, modseq: result.modseq });
    for (const f of files) await fs.promises.unlink(f).catch(() => undefined);
    return { removed: result.removed, modseq: result.modseq };
  }
}
