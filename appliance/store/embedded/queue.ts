/**
 * The outbound queue in the embedded store: one `queue` row a message, one `queue_recipients`
 * row a recipient with its delivery state and lease. Claims, outcomes and the bounces they
 * cause are SQLite transactions; outcomes go through the group commit, so many workers finishing
 * together share one fsync.
 */
import crypto from 'node:crypto';
import { derivedTransactionId, newTransactionId } from '../../../core/session.ts';
import fs from 'node:fs';
import type { Db } from './database.ts';
import type { ClaimedBatch, OutboundItem, QueueEntry, QueueRecipient, QueueStore, RecipientOutcome } from '../../../core/store/ports.ts';
import { prepareBlob, type BlobTable, type PreparedBlob } from './blobs.ts';
import type { GroupCommit } from './group-commit.ts';

import { domainOf, toRecipient, type QueueRow, type RcptRow } from '../shared/queue-rows.ts';


export class EmbeddedQueue implements QueueStore {
  private readonly listeners = new Set<() => void>();
  private readonly q;

  constructor(private readonly db: Db, private readonly blobDir: string, private readonly commits: GroupCommit, private readonly blobs: BlobTable) {
    this.q = {
      insert: db.prepare('INSERT INTO queue (id, mail_from, blob_id, created, size) VALUES (?, ?, ?, ?, ?)'),
      insertRcpt: db.prepare('INSERT OR IGNORE INTO queue_recipients (queue_id, recipient, domain, next_attempt) VALUES (?, ?, ?, ?)'),
      // (a unary + keeps SQLite on the primary key where one entry is meant, off the due index)
      // walks the (status, next_attempt) index in order: a claim costs the rows it takes, not the queue's length
      due: db.prepare<[number, number, string, number], { queue_id: string; domain: string }>(
        `SELECT queue_id, domain FROM queue_recipients INDEXED BY queue_recipients_due
         WHERE status = 'pending' AND next_attempt <= ? AND lease_until <= ? AND domain NOT IN (SELECT value FROM json_each(?))
         ORDER BY next_attempt LIMIT ?`),
      lease: db.prepare<[number, string, string, string, number, number], RcptRow>(
        `UPDATE queue_recipients SET lease_until = ?, lease = ?
         WHERE queue_id = ? AND domain = ? AND +status = 'pending' AND +next_attempt <= ? AND lease_until <= ? RETURNING *`),
      entry: db.prepare<[string], QueueRow>('SELECT * FROM queue WHERE id = ?'),
      entries: db.prepare<[], QueueRow>('SELECT * FROM queue ORDER BY created, id'),
      recipients: db.prepare<[string], RcptRow>('SELECT * FROM queue_recipients WHERE queue_id = ? ORDER BY recipient'),
      allRecipients: db.prepare<[], RcptRow>('SELECT * FROM queue_recipients'),
      sent: db.prepare(`UPDATE queue_recipients SET status = 'sent', attempts = attempts + 1, last_error = ?, lease_until = 0, lease = NULL
        WHERE queue_id = ? AND recipient = ? AND lease = ?`),
      failed: db.prepare(`UPDATE queue_recipients SET status = 'failed', attempts = attempts + 1, last_error = ?, lease_until = 0, lease = NULL,
        first_failure = coalesce(first_failure, ?) WHERE queue_id = ? AND recipient = ? AND lease = ?`),
      deferred: db.prepare(`UPDATE queue_recipients SET attempts = attempts + 1, refusals = refusals + ?, last_error = ?, next_attempt = ?,
        first_failure = coalesce(first_failure, ?), lease_until = 0, lease = NULL WHERE queue_id = ? AND recipient = ? AND lease = ?`),
      pendingLeft: db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM queue_recipients WHERE queue_id = ? AND +status = 'pending'`),
      pendingLeased: db.prepare<[string, string], { n: number; mine: number | null }>(
        `SELECT count(*) AS n, sum(lease = ?) AS mine FROM queue_recipients WHERE queue_id = ? AND +status = 'pending'`),
      deleteEntry: db.prepare('DELETE FROM queue WHERE id = ?'),
      release: db.prepare('UPDATE queue_recipients SET lease_until = 0, lease = NULL WHERE queue_id = ? AND domain = ? AND lease = ?'),
      releaseAll: db.prepare('UPDATE queue_recipients SET lease_until = 0, lease = NULL WHERE lease IS NOT NULL'),
      retryAll: db.prepare(`UPDATE queue_recipients SET next_attempt = 0 WHERE status = 'pending'`),
      retryOne: db.prepare(`UPDATE queue_recipients SET next_attempt = 0 WHERE +status = 'pending' AND queue_id = ?`),
    };
  }

  private insertPrepared(blob: PreparedBlob, item: OutboundItem, id: string, now: number): void {
    this.blobs.add(blob, 1);
    this.q.insert.run(id, item.mailFrom, blob.id, now, blob.size);
    for (const r of item.recipients) this.q.insertRcpt.run(id, r, domainOf(r), now);
  }

  async enqueue(item: OutboundItem): Promise<string> {
    const blob = await prepareBlob(this.blobDir, item.content);
    const id = item.id ?? newTransactionId();
    await this.commits.run(() => this.insertPrepared(blob, item, id, Date.now()));
    this.notify();
    return id;
  }

  onEnqueue(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  async claim(limit: number, leaseMs: number, opts: { skipDomains?: string[] } = {}): Promise<ClaimedBatch[]> {
    if (limit <= 0) return [];
    const now = Date.now();
    const lease = crypto.randomBytes(8).toString('hex');
    const leaseUntil = now + leaseMs;
    // in the group commit: a claim shares its commit with the outcomes finishing in the same tick
    // (a lease lost in a crash costs nothing: the restart takes every lease back)
    return this.commits.run(() => {
      const out: ClaimedBatch[] = [];
      const groups = new Map<string, { queue_id: string; domain: string }>();
      for (const row of this.q.due.all(now, now, JSON.stringify(opts.skipDomains ?? []), limit * 8 + 32)) {
        if (groups.size >= limit) break;
        groups.set(`${row.queue_id}\u0000${row.domain}`, row);
      }
      for (const g of groups.values()) {
        const rows = this.q.lease.all(leaseUntil, lease, g.queue_id, g.domain, now, now);
        const entry = this.q.entry.get(g.queue_id);
        if (!rows.length || !entry) continue;
        out.push({
          queueId: entry.id, mailFrom: entry.mail_from, blobId: entry.blob_id, created: new Date(entry.created), domain: g.domain,
          recipients: rows.map(toRecipient), lease, leaseUntil: new Date(leaseUntil),
        });
      }
      return out;
    });
  }

  async complete(batch: ClaimedBatch, outcomes: RecipientOutcome[], bounces: OutboundItem[] = []): Promise<void> {
    const prepared = await Promise.all(bounces.map(async (b) => ({ item: b, blob: await prepareBlob(this.blobDir, b.content), id: b.id ?? derivedTransactionId(batch.queueId) })));
    const files: string[] = [];
    await this.commits.run(() => {
      const now = Date.now();
      // a batch that ends its entry leaves its recipients unmarked: they go with the entry (ON
      // DELETE CASCADE), as PostgreSQL's queue_complete does
      const ends = this.finishes(batch, outcomes);
      if (!ends) {
        for (const o of outcomes) {
          if (o.result === 'sent') this.q.sent.run(o.response, batch.queueId, o.recipient, batch.lease);
          else if (o.result === 'failed') this.q.failed.run(o.error, now, batch.queueId, o.recipient, batch.lease);
          else this.q.deferred.run(o.refusal ? 1 : 0, o.error, o.nextAttempt.getTime(), now, batch.queueId, o.recipient, batch.lease);
        }
      }
      for (const p of prepared) this.insertPrepared(p.blob, p.item, p.id, now);
      // a finished message leaves the queue (its history is in the delivery and failure logs)
      if (ends || this.q.pendingLeft.get(batch.queueId)!.n === 0) {
        const file = this.blobs.unref(batch.blobId);
        if (file) files.push(file);
        this.q.deleteEntry.run(batch.queueId);
      }
    });
    for (const f of files) await fs.promises.unlink(f).catch(() => undefined);
    if (prepared.length) this.notify();
  }

  /**
   * True when every recipient of the entry still pending is leased by this batch and ends now
   * (sent or failed): nothing of the entry is left to deliver. In the commit, so it holds.
   */
  private finishes(batch: ClaimedBatch, outcomes: RecipientOutcome[]): boolean {
    if (outcomes.some((o) => o.result === 'deferred')) return false;
    const { n, mine } = this.q.pendingLeased.get(batch.lease, batch.queueId)!;
    return n === (mine ?? 0) && n === new Set(outcomes.map((o) => o.recipient)).size;
  }

  async release(batch: ClaimedBatch): Promise<void> {
    this.q.release.run(batch.queueId, batch.domain, batch.lease);
  }

  async releaseAll(): Promise<number> {
    return this.q.releaseAll.run().changes;
  }

  private toEntry(row: QueueRow, rcpts: RcptRow[]): QueueEntry {
    return { id: row.id, mailFrom: row.mail_from, blobId: row.blob_id, size: row.size, created: new Date(row.created), recipients: rcpts.map(toRecipient) };
  }

  async list(): Promise<QueueEntry[]> {
    const byId = new Map<string, RcptRow[]>();
    for (const r of this.q.allRecipients.all()) {
      let list = byId.get(r.queue_id);
      if (!list) byId.set(r.queue_id, (list = []));
      list.push(r);
    }
    return this.q.entries.all().map((row) => this.toEntry(row, (byId.get(row.id) ?? []).sort((a, b) => a.recipient.localeCompare(b.recipient))));
  }

  async depth(): Promise<{ pending: number; deferred: number; active: number }> {
    const r = this.db.prepare<[number, number, number], { pending: number | null; deferred: number | null; active: number | null }>(
      `SELECT SUM(lease_until > ?) AS active, SUM(lease_until <= ? AND attempts = 0) AS pending,
           SUM(lease_until <= ? AND attempts > 0) AS deferred FROM queue_recipients WHERE status = 'pending'`).get(Date.now(), Date.now(), Date.now());
    return { pending: r?.pending ?? 0, deferred: r?.deferred ?? 0, active: r?.active ?? 0 };
  }

  async get(id: string): Promise<QueueEntry | null> {
    const row = this.q.entry.get(id);
    return row ? this.toEntry(row, this.q.recipients.all(id)) : null;
  }

  async retryNow(id?: string): Promise<number> {
    const n = id === undefined ? this.q.retryAll.run().changes : this.q.retryOne.run(id).changes;
    if (n) this.notify();
    return n;
  }

  async delete(id: string): Promise<boolean> {
    const files: string[] = [];
    const deleted = await this.commits.run(() => {
      const row = this.q.entry.get(id);
      if (!row) return false;
      const file = this.blobs.unref(row.blob_id);
      if (file) files.push(file);
      this.q.deleteEntry.run(id);
      return true;
    });
    for (const f of files) await fs.promises.unlink(f).catch(() => undefined);
    return deleted;
  }

  read(blobId: string): Promise<Buffer> {
    return this.blobs.read(blobId);
  }
}
