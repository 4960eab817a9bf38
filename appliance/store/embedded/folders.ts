/**
 * The embedded FolderStore (IMAP): mailbox create/rename/delete, subscriptions, flags with
 * MODSEQ (RFC 7162), append, copy and move. Writes share the group commit; every committed
 * change is published on the ChangeNotifier.
 */
import fs from 'node:fs';
import path from 'node:path';
import { rawSql, sql, type Db } from './database.ts';
import type { FlagMode, FlagUpdate, FolderStore, MailboxCounts, MailboxInfo, MessageMeta } from '../../../core/store/ports.ts';
import type { ChangeNotifier } from '../../../core/store/notifications.ts';
import { UsageError } from '../../../core/errors.ts';
import { BlobTable, prepareBlob } from './blobs.ts';
import { GroupCommit } from './group-commit.ts';
import { createMailbox, fillThreadRoots, MAILBOX_FIELDS, mailboxRow, MESSAGE_FIELDS, messageRow, saveThreadRoots, toMailbox, toMessage, type MailboxRow, type MessageRow } from './mailboxes.ts';
import type { EmailIds } from '../shared/object-ids.ts';
import { applyFlags } from '../shared/flags.ts';
import { decideFlagChange } from '../shared/conditional-store.ts';
import type { MessageContent } from '../../../core/store/content.ts';
import { latestByUid, PAGE_ROWS, readPages, UID_PAGE_ROWS } from '../shared/pages.ts';

/** A UID and MODSEQ taken from a mailbox, with what an append answers and notifies. */
interface Allocation { uid: number; modseq: number; account_id: number; uid_validity: number; first_recent_uid: number }

export class EmbeddedFolders implements FolderStore {
  private readonly commits: GroupCommit;
  private readonly blobs: BlobTable;

  constructor(private readonly db: Db, private readonly blobDir: string, private readonly changes: ChangeNotifier, private readonly ids: EmailIds) {
    this.commits = GroupCommit.of(db);
    this.blobs = new BlobTable(db, blobDir);
  }

  private row(id: number): MailboxRow | undefined {
    // raw (database.ts rawSql): read before every IMAP command
    const r = rawSql<[number]>(this.db, `SELECT ${MAILBOX_FIELDS} FROM mailboxes WHERE id = ?`).get(id);
    return r && mailboxRow(r);
  }

  private named(accountId: number, name: string): MailboxRow | undefined {
    return sql<[number, string], MailboxRow>(this.db, 'SELECT * FROM mailboxes WHERE account_id = ? AND name = ?').get(accountId, name);
  }

  private notify(row: { account_id: number; id: number } | undefined, modseq?: number): void {
    if (row) this.changes.publish({ accountId: row.account_id, mailboxId: row.id, modseq });
  }

  /** Allocates the next UID and MODSEQ of a mailbox (inside a transaction); undefined: no such mailbox. */
  private allocate(mailboxId: number): Allocation | undefined {
    return sql<[number], Allocation>(this.db,
      'UPDATE mailboxes SET uid_next = uid_next + 1, highest_modseq = highest_modseq + 1 WHERE id = ? RETURNING uid_next - 1 AS uid, highest_modseq AS modseq, account_id, uid_validity, first_recent_uid').get(mailboxId);
  }

  private bump(mailboxId: number): number {
    return this.bumpOf(mailboxId).m;
  }

  /** The next MODSEQ of a mailbox and its account (for the notification), in one statement. */
  private bumpOf(mailboxId: number): { m: number; account_id: number; id: number } {
    return sql<[number], { m: number; account_id: number; id: number }>(this.db,
      'UPDATE mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = ? RETURNING highest_modseq AS m, account_id, id').get(mailboxId)!;
  }

  async byId(mailboxId: number) {
    const r = this.row(mailboxId);
    return r ? toMailbox(r) : null;
  }

  async create(accountId: number, name: string, specialUse: string | null = null) {
    if (this.named(accountId, name)) return false;
    const id = createMailbox(this.db, accountId, name, specialUse);
    // a reused row id must not inherit an old mailbox's expunge records
    sql(this.db, 'DELETE FROM expunged WHERE mailbox_id = ?').run(id);
    return true;
  }

  async rename(accountId: number, from: string, to: string) {
    const src = this.named(accountId, from);
    if (!src) throw new UsageError(`no mailbox ${from}`);
    if (this.named(accountId, to)) throw new UsageError(`mailbox ${to} exists`);
    await this.commits.run(() => {
      if (from === 'INBOX') {
        // RFC 3501 §6.3.5: renaming INBOX moves its messages to a new mailbox; INBOX stays, empty
        const dst = createMailbox(this.db, accountId, to, null);
        const rows = sql<[number], MessageRow>(this.db, 'SELECT * FROM messages WHERE mailbox_id = ? ORDER BY uid').all(src.id);
        for (const m of rows) {
          const { uid, modseq } = this.allocate(dst)!;
          sql(this.db, 'INSERT INTO messages (mailbox_id, uid, modseq, flags, internal_date, size, blob_id, thread_root) VALUES (?,?,?,?,?,?,?,?)')
            .run(dst, uid, modseq, m.flags, m.internal_date, m.size, m.blob_id, m.thread_root ?? null);
        }
        sql(this.db, 'DELETE FROM messages WHERE mailbox_id = ?').run(src.id);
        if (rows.length) this.bump(src.id);
        return;
      }
      const children = sql<[number, string, string], MailboxRow>(this.db, "SELECT * FROM mailboxes WHERE account_id = ? AND substr(name, 1, length(?) + 1) = ? || '/'")
        .all(accountId, from, from);
      sql(this.db, 'UPDATE mailboxes SET name = ? WHERE id = ?').run(to, src.id);
      for (const c of children) sql(this.db, 'UPDATE mailboxes SET name = ? WHERE id = ?').run(to + c.name.slice(from.length), c.id);
    });
    this.notify(src);
  }

  async delete(accountId: number, name: string) {
    const box = this.named(accountId, name);
    if (!box) throw new UsageError(`no mailbox ${name}`);
    const files: string[] = [];
    await this.commits.run(() => {
      const rows = sql<[number], MessageRow>(this.db, 'SELECT * FROM messages WHERE mailbox_id = ?').all(box.id);
      let size = 0;
      for (const m of rows) {
        size += m.size;
        const f = this.blobs.unref(m.blob_id);
        if (f) files.push(f);
      }
      sql(this.db, 'UPDATE accounts SET usage = usage - ? WHERE id = ?').run(size, accountId);
      sql(this.db, 'DELETE FROM mailboxes WHERE id = ?').run(box.id);
      sql(this.db, 'DELETE FROM expunged WHERE mailbox_id = ?').run(box.id);
    });
    for (const f of files) await fs.promises.unlink(f).catch(() => undefined);
    this.notify(box);
  }

  async subscriptions(accountId: number) {
    return sql<[number], { name: string }>(this.db, 'SELECT name FROM subscriptions WHERE account_id = ? ORDER BY name').all(accountId).map((r) => r.name);
  }

  async subscribe(accountId: number, name: string, on: boolean) {
    if (on) sql(this.db, 'INSERT OR IGNORE INTO subscriptions (account_id, name) VALUES (?, ?)').run(accountId, name);
    else sql(this.db, 'DELETE FROM subscriptions WHERE account_id = ? AND name = ?').run(accountId, name);
  }

  async counts(mailboxId: number): Promise<MailboxCounts> {
    const r = sql<[number], { messages: number; seen: number; size: number; recent: number }>(this.db,
      `SELECT count(*) AS messages, coalesce(sum(size), 0) AS size,
        coalesce(sum(CASE WHEN (' ' || lower(flags) || ' ') LIKE '% \\seen %' THEN 1 ELSE 0 END), 0) AS seen,
        coalesce(sum(CASE WHEN uid >= (SELECT first_recent_uid FROM mailboxes WHERE id = mailbox_id) THEN 1 ELSE 0 END), 0) AS recent
       FROM messages WHERE mailbox_id = ?`).get(mailboxId)!;
    return { messages: r.messages, unseen: r.messages - r.seen, size: r.size, recent: r.recent };
  }

  /**
   * In pages by (MODSEQ, UID), the order of the messages_modseq index (which ends in the
   * primary key), so a few changes in a large mailbox cost a few index entries, and a STORE on
   * all of it is read a page at a time; then by UID, as the port promises (../shared/pages.ts).
   */
  async changedSince(mailboxId: number, modseq: number) {
    const out: MessageMeta[] = [];
    const page = rawSql<[number, number, number, number]>(this.db, `SELECT ${MESSAGE_FIELDS} FROM messages m
      WHERE m.mailbox_id = ? AND (m.modseq, m.uid) > (?, ?) ORDER BY m.modseq, m.uid LIMIT ?`);
    // the first page starts after (modseq, any UID): every row of a higher MODSEQ
    await readPages<MessageRow>((after) => page.all(mailboxId, after?.modseq ?? modseq, after?.uid ?? Number.MAX_SAFE_INTEGER, PAGE_ROWS).map(messageRow), async (rows) => {
      await fillThreadRoots(rows, async (id) => (await this.blobs.content(id)).header(), (roots) => saveThreadRoots(this.db, this.commits, rows, roots));
      for (const r of rows) out.push(toMessage(r, this.ids));
    });
    return latestByUid(out);
  }

  async readRange(blobId: string, start: number, length: number): Promise<Buffer> {
    const row = sql<[number, number, string], { data: Buffer | null; path: string | null }>(this.db,
      'SELECT substr(data, ?, ?) AS data, path FROM blobs WHERE id = ?').get(start + 1, length, blobId);
    if (!row) throw new Error(`message blob ${blobId} not found`);
    if (!row.path) return row.data ?? Buffer.alloc(0);
    const fh = await fs.promises.open(path.join(this.blobDir, row.path), 'r');
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, start);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  /** Expunge records are kept forever: read in pages like changedSince. */
  async vanished(mailboxId: number, modseq: number) {
    const out: { uid: number; modseq: number }[] = [];
    const page = sql<[number, number, number, number], { uid: number; modseq: number }>(this.db,
      'SELECT uid, modseq FROM expunged WHERE mailbox_id = ? AND (modseq, uid) > (?, ?) ORDER BY modseq, uid LIMIT ?');
    await readPages<{ uid: number; modseq: number }>((after) => page.all(mailboxId, after?.modseq ?? modseq, after?.uid ?? Number.MAX_SAFE_INTEGER, UID_PAGE_ROWS),
      (rows) => void out.push(...rows), UID_PAGE_ROWS);
    return latestByUid(out).map((r) => r.uid);
  }

  async claimRecent(mailboxId: number) {
    const read = () => sql<[number], { first: number; next: number }>(this.db,
      'SELECT first_recent_uid AS first, uid_next AS next FROM mailboxes WHERE id = ?').get(mailboxId);
    const r = read();
    if (!r) return { first: 0, next: 0 };
    // nothing new since the last claim: no write (SELECT stays read-only on the disk)
    if (r.first >= r.next) return { first: r.next, next: r.next };
    return this.commits.run(() => {
      // read again inside the commit: another session may have claimed in between
      const cur = read()!;
      sql(this.db, 'UPDATE mailboxes SET first_recent_uid = uid_next WHERE id = ?').run(mailboxId);
      return { first: Math.min(cur.first, cur.next), next: cur.next };
    }, { durable: false });
  }

  async setFlags(mailboxId: number, uids: number[], mode: FlagMode, flags: string[], unchangedSince?: number) {
    const result = await this.commits.run(() => {
      const updated: FlagUpdate[] = [];
      const failed: number[] = [];
      let modseq = 0;
      let box: { account_id: number; id: number } | undefined;
      const get = sql<[number, number], MessageRow>(this.db, 'SELECT * FROM messages WHERE mailbox_id = ? AND uid = ?');
      const put = sql(this.db, 'UPDATE messages SET flags = ?, modseq = ? WHERE mailbox_id = ? AND uid = ?');
      for (const uid of uids) {
        const m = get.get(mailboxId, uid);
        if (!m) continue;
        const d = decideFlagChange(m.flags ? m.flags.split(' ') : [], m.modseq, mode, flags, unchangedSince);
        if (d.kind === 'failed') failed.push(uid);
        else if (d.kind === 'same') {
          if (d.report) updated.push({ uid, flags: d.flags, modseq: m.modseq });
        } else {
          if (!modseq) ({ m: modseq, ...box } = this.bumpOf(mailboxId));
          put.run(d.flags.join(' '), modseq, mailboxId, uid);
          updated.push({ uid, flags: d.flags, modseq });
        }
      }
      return { updated, failed, box, modseq };
      // flags are answered after their commit, not its fsync (see group-commit.ts)
    }, { durable: false });
    this.notify(result.box, result.modseq);
    return { updated: result.updated, failed: result.failed };
  }

  async append(mailboxId: number, content: Buffer | MessageContent, flags: string[], internalDate: Date, opts: { claimRecent?: boolean } = {}) {
    const blob = await prepareBlob(this.blobDir, content);
    const stored = applyFlags([], 'set', flags).join(' ');
    let a: Allocation;
    try {
      a = await this.commits.run(() => {
        // the mailbox is looked up by the UID allocation itself: no row, no such mailbox
        const a = this.allocate(mailboxId);
        if (!a) throw new UsageError('no such mailbox');
        this.blobs.add(blob, 1);
        sql(this.db, 'INSERT INTO messages (mailbox_id, uid, modseq, flags, internal_date, size, blob_id, thread_root) VALUES (?,?,?,?,?,?,?,?)')
          .run(mailboxId, a.uid, a.modseq, stored, internalDate.getTime(), blob.size, blob.id, blob.threadRoot);
        sql(this.db, 'UPDATE accounts SET usage = usage + ? WHERE id = ?').run(blob.size, a.account_id);
        // the claim as claimRecent makes it, in this transaction: [first unclaimed, the new UID_NEXT)
        if (opts.claimRecent) sql(this.db, 'UPDATE mailboxes SET first_recent_uid = ? WHERE id = ?').run(a.uid + 1, mailboxId);
        return a;
      });
    } catch (err) {
      // a large message's file was written before the commit: not kept for a write that failed
      if (blob.path) await fs.promises.unlink(path.join(this.blobDir, blob.path)).catch(() => undefined);
      throw err;
    }
    this.notify({ account_id: a.account_id, id: mailboxId }, a.modseq);
    const message = toMessage({ mailbox_id: mailboxId, uid: a.uid, modseq: a.modseq, flags: stored, internal_date: internalDate.getTime(), size: blob.size, blob_id: blob.id, thread_root: blob.threadRoot }, this.ids);
    const recent = opts.claimRecent ? { first: Math.min(a.first_recent_uid, a.uid), next: a.uid + 1 } : undefined;
    return { uid: a.uid, uidValidity: a.uid_validity, message, recent };
  }

  async copy(fromMailboxId: number, uids: number[], toMailboxId: number) {
    return this.transfer(fromMailboxId, uids, toMailboxId, false);
  }

  async move(fromMailboxId: number, uids: number[], toMailboxId: number) {
    return this.transfer(fromMailboxId, uids, toMailboxId, true);
  }

  private async transfer(fromId: number, uids: number[], toId: number, remove: boolean) {
    const src = this.row(fromId);
    const dst = this.row(toId);
    if (!src || !dst) throw new UsageError('no such mailbox');
    const pairs = await this.commits.run(() => {
      const out: [number, number][] = [];
      const get = sql<[number, number], MessageRow>(this.db, 'SELECT * FROM messages WHERE mailbox_id = ? AND uid = ?');
      let size = 0;
      for (const uid of uids) {
        const m = get.get(fromId, uid);
        if (!m) continue;
        const a = this.allocate(toId)!;
        sql(this.db, 'INSERT INTO messages (mailbox_id, uid, modseq, flags, internal_date, size, blob_id, thread_root) VALUES (?,?,?,?,?,?,?,?)')
          .run(toId, a.uid, a.modseq, m.flags, m.internal_date, m.size, m.blob_id, m.thread_root ?? null);
        if (remove) sql(this.db, 'DELETE FROM messages WHERE mailbox_id = ? AND uid = ?').run(fromId, uid);
        else this.blobs.ref(m.blob_id);
        size += m.size;
        out.push([uid, a.uid]);
      }
      if (remove && out.length) this.bump(fromId);
      if (!remove) sql(this.db, 'UPDATE accounts SET usage = usage + ? WHERE id = ?').run(size, dst.account_id);
      else if (src.account_id !== dst.account_id) {
        sql(this.db, 'UPDATE accounts SET usage = usage - ? WHERE id = ?').run(size, src.account_id);
        sql(this.db, 'UPDATE accounts SET usage = usage + ? WHERE id = ?').run(size, dst.account_id);
      }
      return out;
    });
    this.notify(dst);
    if (remove) this.notify(src);
    return { uidValidity: dst.uid_validity, pairs };
  }
}
