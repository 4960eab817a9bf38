/**
 * The cluster store's FolderStore (IMAP): mailbox create/rename/delete, subscriptions, flags
 * with MODSEQ (RFC 7162), \Recent claims, append, copy and move. Each change is one
 * transaction holding the mailbox row lock; its NOTIFY reaches the other nodes at COMMIT.
 */
import type { FlagMode, FlagUpdate, FolderStore, MailboxCounts, MessageMeta } from '../../../core/store/ports.ts';
import { UsageError } from '../../../core/errors.ts';
import { fillThreadRoots, MESSAGE_COLUMNS, toMailbox, toMessage, type MailboxRow, type MessageRow } from '../embedded/mailboxes.ts';
import type { EmailIds } from '../shared/object-ids.ts';
import type { PgDb, Sql } from './database.ts';
import { countBlobs, insertBlob, newBlobId, pgHeader, saveThreadRoots, unrefBlobs } from './blobs.ts';
import { allocate, bump, createMailbox } from './mailboxes.ts';
import { applyFlags } from '../shared/flags.ts';
import { decideFlagChange } from '../shared/conditional-store.ts';
import { MAILBOX_CHANNEL, type PgNotifier } from './notifier.ts';
import { MessageContent } from '../../../core/store/content.ts';
import { mapInSlices } from '../../runtime/loop-slice.ts';

export class PgFolders implements FolderStore {
  constructor(private readonly db: PgDb, private readonly changes: PgNotifier, private readonly ids: EmailIds) {}

  private async row(id: number): Promise<MailboxRow | undefined> {
    return (await this.db.q<MailboxRow>('SELECT * FROM mailboxes WHERE id = $1', [id]))[0];
  }

  private async named(accountId: number, name: string): Promise<MailboxRow | undefined> {
    return (await this.db.q<MailboxRow>('SELECT * FROM mailboxes WHERE account_id = $1 AND name = $2', [accountId, name]))[0];
  }

  private async lock(c: Sql, id: number): Promise<MailboxRow | undefined> {
    return (await c.query<MailboxRow>('SELECT * FROM mailboxes WHERE id = $1 FOR UPDATE', [id])).rows[0];
  }

  private notify(row: { account_id: number; id: number } | undefined): void {
    if (row) this.changes.publish({ accountId: row.account_id, mailboxId: row.id });
  }

  private notifyTx(c: Sql, row: { account_id: number; id: number }): Promise<void> {
    return this.changes.notifyMailbox(c, { accountId: row.account_id, mailboxId: row.id });
  }

  async byId(mailboxId: number) {
    const r = await this.row(mailboxId);
    return r ? toMailbox(r) : null;
  }

  async create(accountId: number, name: string, specialUse: string | null = null) {
    return (await this.db.tx((c) => createMailbox(c, accountId, name, specialUse), 'mailbox create')) !== null;
  }

  async rename(accountId: number, from: string, to: string) {
    const src = await this.named(accountId, from);
    if (!src) throw new UsageError(`no mailbox ${from}`);
    if (await this.named(accountId, to)) throw new UsageError(`mailbox ${to} exists`);
    await this.db.tx(async (c) => {
      if (!(await this.lock(c, src.id))) throw new UsageError(`no mailbox ${from}`);
      if (from === 'INBOX') {
        // RFC 3501 §6.3.5: renaming INBOX moves its messages to a new mailbox; INBOX stays, empty
        const dst = await createMailbox(c, accountId, to, null);
        if (dst === null) throw new UsageError(`mailbox ${to} exists`);
        const n = await copyRows(c, src.id, null, dst);
        if (n.length) {
          await c.query('DELETE FROM messages WHERE mailbox_id = $1', [src.id]);
          await bump(c, src.id);
        }
      } else {
        // the mailbox and its children (`from/...`) take the new name
        await c.query(`UPDATE mailboxes SET name = $3 || substr(name, length($2) + 1)
          WHERE account_id = $1 AND (name = $2 OR left(name, length($2) + 1) = $2 || '/')`, [accountId, from, to]);
      }
      await this.notifyTx(c, src);
    }, 'mailbox rename').catch((err) => {
      if ((err as { cause?: { code?: string } }).cause?.code === '23505') throw new UsageError(`mailbox ${to} exists`);
      throw err;
    });
    this.notify(src);
  }

  async delete(accountId: number, name: string) {
    const box = await this.named(accountId, name);
    if (!box) throw new UsageError(`no mailbox ${name}`);
    await this.db.tx(async (c) => {
      if (!(await this.lock(c, box.id))) throw new UsageError(`no mailbox ${name}`);
      const rows = (await c.query<{ size: number; blob_id: string }>('SELECT size, blob_id FROM messages WHERE mailbox_id = $1', [box.id])).rows;
      const size = rows.reduce((s, r) => s + r.size, 0);
      await c.query('UPDATE accounts SET usage = usage - $1 WHERE id = $2', [size, accountId]);
      await unrefBlobs(c, countBlobs(rows));
      await c.query('DELETE FROM mailboxes WHERE id = $1', [box.id]);
      await c.query('DELETE FROM expunged WHERE mailbox_id = $1', [box.id]);
      await this.notifyTx(c, box);
    }, 'mailbox delete');
    this.notify(box);
  }

  async subscriptions(accountId: number) {
    return (await this.db.q<{ name: string }>('SELECT name FROM subscriptions WHERE account_id = $1 ORDER BY name COLLATE "C"', [accountId])).map((r) => r.name);
  }

  async subscribe(accountId: number, name: string, on: boolean) {
    if (on) await this.db.q('INSERT INTO subscriptions (account_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING', [accountId, name]);
    else await this.db.q('DELETE FROM subscriptions WHERE account_id = $1 AND name = $2', [accountId, name]);
  }

  async counts(mailboxId: number): Promise<MailboxCounts> {
    const [r] = await this.db.q<{ messages: number; seen: number; size: number; recent: number }>(
      `SELECT count(*) AS messages, coalesce(sum(m.size), 0) AS size,
        count(*) FILTER (WHERE position(' \\seen ' IN ' ' || lower(m.flags) || ' ') > 0) AS seen,
        count(*) FILTER (WHERE m.uid >= b.first_recent_uid) AS recent
       FROM mailboxes b LEFT JOIN messages m ON m.mailbox_id = b.id WHERE b.id = $1 AND m.uid IS NOT NULL`, [mailboxId]);
    return { messages: r.messages, unseen: r.messages - r.seen, size: r.size, recent: r.recent };
  }

  async changedSince(mailboxId: number, modseq: number): Promise<MessageMeta[]> {
    const rows = await this.db.q<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages m LEFT JOIN blobs b ON b.id = m.blob_id WHERE m.mailbox_id = $1 AND m.modseq > $2 ORDER BY m.uid`, [mailboxId, modseq]);
    await fillThreadRoots(rows, (id) => pgHeader(this.db, id), (roots) => saveThreadRoots(this.db, roots));
    return mapInSlices(rows, (r) => toMessage(r, this.ids));
  }

  async readRange(blobId: string, start: number, length: number): Promise<Buffer> {
    // bytea stored EXTERNAL (uncompressed): substring reads only the TOAST chunks it covers
    const [r] = await this.db.q<{ data: Buffer }>('SELECT substring(data FROM $1::int FOR $2::int) AS data FROM blobs WHERE id = $3', [start + 1, length, blobId]);
    if (!r) throw new Error(`message blob ${blobId} not found`);
    return r.data;
  }

  async vanished(mailboxId: number, modseq: number) {
    return (await this.db.q<{ uid: number }>('SELECT uid FROM expunged WHERE mailbox_id = $1 AND modseq > $2 ORDER BY uid', [mailboxId, modseq])).map((r) => r.uid);
  }

  async claimRecent(mailboxId: number) {
    const [r] = await this.db.q<{ first: number; next: number }>('SELECT first_recent_uid AS first, uid_next AS next FROM mailboxes WHERE id = $1', [mailboxId]);
    if (!r) return { first: 0, next: 0 };
    // nothing new since the last claim: no write
    if (r.first >= r.next) return { first: r.next, next: r.next };
    // the row lock makes two sessions (on any nodes) claim disjoint ranges (RFC 3501 §2.3.2)
    return this.db.tx(async (c) => {
      const cur = (await c.query<{ first: number; next: number }>(
        'SELECT first_recent_uid AS first, uid_next AS next FROM mailboxes WHERE id = $1 FOR UPDATE', [mailboxId])).rows[0];
      if (!cur) return { first: 0, next: 0 };
      await c.query('UPDATE mailboxes SET first_recent_uid = uid_next WHERE id = $1', [mailboxId]);
      return { first: Math.min(cur.first, cur.next), next: cur.next };
    }, 'recent claim');
  }

  /**
   * Two statements in the transaction: the mailbox row locked with the messages read (a STORE on
   * another node waits, so no flag change is lost), then the new MODSEQ, the flags and the NOTIFY
   * together (one MODSEQ for the STORE). The mailbox lock comes first, as in deliveries and expunges.
   */
  async setFlags(mailboxId: number, uids: number[], mode: FlagMode, flags: string[], unchangedSince?: number) {
    const result = await this.db.tx(async (c) => {
      const rows = (await c.query<{ account_id: number; highest_modseq: number; uid: number | null; flags: string | null; modseq: number | null }>(
        { name: 'flags_lock_read', text: `SELECT b.account_id, b.highest_modseq, m.uid, m.flags, m.modseq FROM mailboxes b
          LEFT JOIN messages m ON m.mailbox_id = b.id AND m.uid = ANY($2::bigint[]) WHERE b.id = $1 FOR UPDATE OF b`, values: [mailboxId, uids] })).rows;
      const updated: FlagUpdate[] = [];
      const failed: number[] = [];
      if (!rows.length) return { updated, failed, box: undefined };
      const box = { account_id: rows[0].account_id, id: mailboxId };
      const byUid = new Map(rows.filter((r) => r.uid !== null).map((r) => [r.uid!, { flags: r.flags ?? '', modseq: r.modseq! }]));
      // the MODSEQ the write below takes: the row lock holds highest_modseq until the commit
      const modseq = rows[0].highest_modseq + 1;
      const puts: { uid: number; flags: string }[] = [];
      for (const uid of uids) {
        const m = byUid.get(uid);
        if (!m) continue;
        const d = decideFlagChange(m.flags ? m.flags.split(' ') : [], m.modseq, mode, flags, unchangedSince);
        if (d.kind === 'failed') failed.push(uid);
        else if (d.kind === 'same') {
          if (d.report) updated.push({ uid, flags: d.flags, modseq: m.modseq });
        } else {
          m.flags = d.flags.join(' ');
          m.modseq = modseq;
          puts.push({ uid, flags: m.flags });
          updated.push({ uid, flags: d.flags, modseq });
        }
      }
      if (puts.length) {
        await c.query({ name: 'flags_write', text: `WITH mb AS (UPDATE mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = $1 RETURNING highest_modseq AS m),
            up AS (UPDATE messages m SET flags = v.flags, modseq = $2 FROM unnest($3::bigint[], $4::text[]) AS v(uid, flags) WHERE m.mailbox_id = $1 AND m.uid = v.uid)
          SELECT m, pg_notify($5, $6) FROM mb`,
        values: [mailboxId, modseq, puts.map((p) => p.uid), puts.map((p) => p.flags), MAILBOX_CHANNEL, `${this.changes.sender}:${box.account_id}:${mailboxId}`] });
      }
      return { updated, failed, box: puts.length ? box : undefined };
    }, 'flag change');
    this.notify(result.box);
    return { updated: result.updated, failed: result.failed };
  }

  async append(mailboxId: number, input: Buffer | MessageContent, flags: string[], internalDate: Date) {
    const blobId = newBlobId();
    const content = await MessageContent.from(input).toBuffer();
    const res = await this.db.tx(async (c) => {
      const box = await this.lock(c, mailboxId);
      if (!box) throw new UsageError('no such mailbox');
      await insertBlob(c, blobId, content, 1);
      const a = await allocate(c, mailboxId);
      await c.query('INSERT INTO messages (mailbox_id, uid, modseq, flags, internal_date, size, blob_id) VALUES ($1,$2,$3,$4,$5,$6,$7)',
        [mailboxId, a.uid, a.modseq, applyFlags([], 'set', flags).join(' '), internalDate.getTime(), content.length, blobId]);
      await c.query('UPDATE accounts SET usage = usage + $1 WHERE id = $2', [content.length, box.account_id]);
      await this.notifyTx(c, box);
      return { box, uid: a.uid };
    }, 'append');
    this.notify(res.box);
    return { uid: res.uid, uidValidity: res.box.uid_validity };
  }

  async copy(fromMailboxId: number, uids: number[], toMailboxId: number) {
    return this.transfer(fromMailboxId, uids, toMailboxId, false);
  }

  async move(fromMailboxId: number, uids: number[], toMailboxId: number) {
    return this.transfer(fromMailboxId, uids, toMailboxId, true);
  }

  private async transfer(fromId: number, uids: number[], toId: number, remove: boolean) {
    const res = await this.db.tx(async (c) => {
      // both rows locked in id order (no deadlock between a copy A→B and a copy B→A)
      const locked = new Map<number, MailboxRow>();
      for (const id of [...new Set([fromId, toId])].sort((a, b) => a - b)) {
        const r = await this.lock(c, id);
        if (r) locked.set(id, r);
      }
      const src = locked.get(fromId);
      const dst = locked.get(toId);
      if (!src || !dst) throw new UsageError('no such mailbox');
      const pairs = await copyRows(c, fromId, uids, toId);
      if (pairs.length) {
        const moved = pairs.map((p) => p[0]);
        const sizes = (await c.query<{ size: number; blob_id: string }>('SELECT size, blob_id FROM messages WHERE mailbox_id = $1 AND uid = ANY($2::bigint[])', [fromId, moved])).rows;
        const size = sizes.reduce((s, r) => s + r.size, 0);
        if (remove) {
          await c.query('DELETE FROM messages WHERE mailbox_id = $1 AND uid = ANY($2::bigint[])', [fromId, moved]);
          await bump(c, fromId);
          if (src.account_id !== dst.account_id) {
            await c.query('UPDATE accounts SET usage = usage - $1 WHERE id = $2', [size, src.account_id]);
            await c.query('UPDATE accounts SET usage = usage + $1 WHERE id = $2', [size, dst.account_id]);
          }
          await this.notifyTx(c, src);
        } else {
          const refs = countBlobs(sizes);
          await c.query('UPDATE blobs b SET refs = b.refs + v.n FROM unnest($1::text[], $2::int[]) AS v(id, n) WHERE b.id = v.id',
            [[...refs.keys()], [...refs.values()]]);
          await c.query('UPDATE accounts SET usage = usage + $1 WHERE id = $2', [size, dst.account_id]);
        }
        await this.notifyTx(c, dst);
      }
      return { src, dst, pairs };
    }, remove ? 'move' : 'copy');
    this.notify(res.dst);
    if (remove) this.notify(res.src);
    return { uidValidity: res.dst.uid_validity, pairs: res.pairs };
  }
}

/**
 * Copies message rows (all of them when `uids` is null) to another mailbox in UID order with new
 * consecutive UIDs and MODSEQs (the destination row is locked by the caller's transaction).
 * Returns [sourceUid, newUid] pairs in the order of `uids`.
 */
async function copyRows(c: Sql, fromId: number, uids: number[] | null, toId: number): Promise<[number, number][]> {
  const src = uids === null
    ? (await c.query<{ uid: number }>('SELECT uid FROM messages WHERE mailbox_id = $1 ORDER BY uid', [fromId])).rows
    : (await c.query<{ uid: number }>('SELECT uid FROM messages WHERE mailbox_id = $1 AND uid = ANY($2::bigint[])', [fromId, uids])).rows;
  if (!src.length) return [];
  const have = new Set(src.map((r) => r.uid));
  const order = uids === null ? src.map((r) => r.uid) : [...new Set(uids)].filter((u) => have.has(u));
  const a = await allocate(c, toId, order.length);
  const newUids = order.map((_, i) => a.uid + i);
  await c.query(`INSERT INTO messages (mailbox_id, uid, modseq, flags, internal_date, size, blob_id)
    SELECT $1, v.new_uid, $2 + v.ord - 1, m.flags, m.internal_date, m.size, m.blob_id
    FROM unnest($3::bigint[], $4::bigint[]) WITH ORDINALITY AS v(old_uid, new_uid, ord)
    JOIN messages m ON m.mailbox_id = $5 AND m.uid = v.old_uid`, [toId, a.modseq, order, newUids, fromId]);
  return order.map((u, i) => [u, newUids[i]]);
}
