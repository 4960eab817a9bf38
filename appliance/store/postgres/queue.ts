/**
 * The outbound queue in the cluster store, shared by the delivery workers of every node. A
 * claim takes due recipients with FOR UPDATE SKIP LOCKED and leases them until `leaseUntil`:
 * two nodes never hold the same recipient, and when a node dies its leases run out and another
 * node claims the batch again (at-least-once: a message the dead node was sending when it died
 * may go out twice). Lease ids start with the node name, so `releaseAll` at a node's start
 * frees only what that node held before it restarted.
 */
import crypto from 'node:crypto';
import { derivedTransactionId, newTransactionId } from '../../../core/session.ts';
import type { ClaimedBatch, OutboundItem, QueueEntry, QueueRecipient, QueueStore, RecipientOutcome } from '../../../core/store/ports.ts';
import { domainOf, toRecipient, type QueueRow, type RcptRow } from '../shared/queue-rows.ts';
import type { NamedStatement, PgDb } from './database.ts';
import { newBlobId, unrefBlobs } from './blobs.ts';
import { QUEUE_CHANNEL, type PgNotifier } from './notifier.ts';
import { CompletionBatch, completionStatement } from './queue-complete-batch.ts';
import { MessageContent } from '../../../core/store/content.ts';

/** See PgQueue.enqueue. The recipients' foreign key is checked at the end of the statement, after the entry's insert. */
const ENQUEUE: NamedStatement = {
  name: 'queue_enqueue',
  text: `WITH b AS (INSERT INTO blobs (id, size, data, refs) VALUES ($1, $2, $3, 1) ON CONFLICT (id) DO NOTHING RETURNING id),
    q AS (INSERT INTO queue (id, mail_from, blob_id, created, size) SELECT $4, $5, id, $6, $2 FROM b),
    r AS (INSERT INTO queue_recipients (queue_id, recipient, domain, next_attempt)
      SELECT $4, v.r, v.d, $6 FROM unnest($7::text[], $8::text[]) AS v(r, d) WHERE EXISTS (SELECT 1 FROM b) ON CONFLICT DO NOTHING)
    SELECT pg_notify($9, $10) FROM b`,
};

/** See PgQueue.claim and schema migration 6 (queue_claim). */
const CLAIM: NamedStatement = {
  name: 'queue_claim',
  text: 'SELECT * FROM queue_claim($1, $2::text[], $3, $4, $5, $6)',
};

export class PgQueue implements QueueStore {
  private readonly completions: CompletionBatch;

  constructor(private readonly db: PgDb, private readonly changes: PgNotifier, private readonly node: string) {
    this.completions = new CompletionBatch(db);
  }

  /**
   * One statement (one round trip, one commit): the blob, the entry, its recipients and the
   * NOTIFY that wakes the other nodes' delivery services at COMMIT. Safe to run again after a
   * lost connection: when the blob is stored already the first run committed, and the entry and
   * recipients are not inserted twice.
   */
  async enqueue(item: OutboundItem): Promise<string> {
    const id = item.id ?? newTransactionId();
    const content = await MessageContent.from(item.content).toBuffer();
    const now = Date.now();
    await this.db.q(ENQUEUE, this.enqueueValues(id, item, content, now), { idempotent: true, what: 'enqueue' });
    this.changes.queueChanged();
    return id;
  }

  /** ENQUEUE's parameters for one message (a new blob, the entry, its recipients, the NOTIFY). */
  private enqueueValues(id: string, item: OutboundItem, content: Buffer, now: number): unknown[] {
    return [newBlobId(), content.length, content, id, item.mailFrom, now, item.recipients, item.recipients.map(domainOf), QUEUE_CHANNEL, `${this.changes.sender}:`];
  }

  onEnqueue(listener: () => void): () => void {
    return this.changes.onQueue(listener);
  }

  /**
   * One statement (one round trip, one commit; schema migration 6, queue_claim): the due
   * recipients nobody holds (rows another claim is taking right now are skipped, not waited
   * for), grouped by (entry, domain) in due order, the first `limit` groups leased whole (a row
   * leased meanwhile fails the re-checked lease_until), returned with their entry's columns and,
   * on each group's first row, the message bytes (the delivery needs them next: one round trip
   * fewer). Not run again after a lost connection (it writes leases): the batch is claimed again
   * when its lease runs out.
   */
  async claim(limit: number, leaseMs: number, opts: { skipDomains?: string[] } = {}): Promise<ClaimedBatch[]> {
    if (limit <= 0) return [];
    const now = Date.now();
    const lease = `${this.node}:${crypto.randomBytes(6).toString('hex')}`;
    const leaseUntil = now + leaseMs;
    const rows = await this.db.q<RcptRow & { mail_from: string; blob_id: string; created: number; data: Buffer | null }>(CLAIM,
      [now, opts.skipDomains ?? [], limit * 8 + 32, limit, leaseUntil, lease]);
    const batches = new Map<string, ClaimedBatch>();
    for (const r of rows) {
      const key = `${r.queue_id}\u0000${r.domain}`;
      let b = batches.get(key);
      if (!b) {
        batches.set(key, (b = {
          queueId: r.queue_id, mailFrom: r.mail_from, blobId: r.blob_id, created: new Date(r.created), domain: r.domain,
          recipients: [], lease, leaseUntil: new Date(leaseUntil),
        }));
      }
      if (r.data) b.content = r.data;
      b.recipients.push(toRecipient(r));
    }
    return [...batches.values()];
  }

  async complete(batch: ClaimedBatch, outcomes: RecipientOutcome[], bounces: OutboundItem[] = []): Promise<void> {
    // no bounce: group-committed with the other attempts that finish meanwhile (queue-complete-batch.ts)
    if (!bounces.length) return this.completions.complete(batch, outcomes);
    // with bounces (RFC 3464 reports): one transaction, the outcomes as above (queue_complete():
    // the entry row lock, a finished entry removed) and each report queued in one statement, so
    // the reports are queued exactly when the outcomes that caused them are stored
    const contents = await Promise.all(bounces.map((b) => MessageContent.from(b.content).toBuffer()));
    await this.db.tx(async (c) => {
      await c.query(completionStatement([{ batch, outcomes }]));
      const now = Date.now();
      for (const [i, b] of bounces.entries()) {
        const id = b.id ?? derivedTransactionId(batch.queueId);
        await c.query({ ...ENQUEUE, values: this.enqueueValues(id, b, contents[i], now) });
      }
    }, 'queue outcome');
    this.changes.queueChanged();
  }

  async release(batch: ClaimedBatch): Promise<void> {
    await this.db.q('UPDATE queue_recipients SET lease_until = 0, lease = NULL WHERE queue_id = $1 AND domain = $2 AND lease = $3',
      [batch.queueId, batch.domain, batch.lease]);
  }

  /** Frees this node's leases only (at start: nothing of this node is in flight; other nodes' are). */
  async releaseAll(): Promise<number> {
    const rows = await this.db.q(`UPDATE queue_recipients SET lease_until = 0, lease = NULL
      WHERE lease IS NOT NULL AND left(lease, length($1) + 1) = $1 || ':' RETURNING 1`, [this.node]);
    return rows.length;
  }

  private toEntry(row: QueueRow, rcpts: RcptRow[]): QueueEntry {
    return { id: row.id, mailFrom: row.mail_from, blobId: row.blob_id, size: row.size, created: new Date(row.created), recipients: rcpts.map(toRecipient) };
  }

  async list(): Promise<QueueEntry[]> {
    const byId = new Map<string, RcptRow[]>();
    for (const r of await this.db.q<RcptRow>('SELECT * FROM queue_recipients')) {
      let list = byId.get(r.queue_id);
      if (!list) byId.set(r.queue_id, (list = []));
      list.push(r);
    }
    return (await this.db.q<QueueRow>('SELECT * FROM queue ORDER BY created, id'))
      .map((row) => this.toEntry(row, (byId.get(row.id) ?? []).sort((a, b) => a.recipient.localeCompare(b.recipient))));
  }

  async depth(): Promise<{ pending: number; deferred: number; active: number }> {
    const [r] = await this.db.q<{ pending: string | null; deferred: string | null; active: string | null }>(
      `SELECT COUNT(*) FILTER (WHERE lease_until > $1) AS active, COUNT(*) FILTER (WHERE lease_until <= $1 AND attempts = 0) AS pending,
       COUNT(*) FILTER (WHERE lease_until <= $1 AND attempts > 0) AS deferred FROM queue_recipients WHERE status = 'pending'`, [Date.now()]);
    return { pending: Number(r?.pending ?? 0), deferred: Number(r?.deferred ?? 0), active: Number(r?.active ?? 0) };
  }

  async get(id: string): Promise<QueueEntry | null> {
    const [row] = await this.db.q<QueueRow>('SELECT * FROM queue WHERE id = $1', [id]);
    if (!row) return null;
    const rcpts = (await this.db.q<RcptRow>('SELECT * FROM queue_recipients WHERE queue_id = $1', [id])).sort((a, b) => (a.recipient < b.recipient ? -1 : a.recipient > b.recipient ? 1 : 0));
    return this.toEntry(row, rcpts);
  }

  async retryNow(id?: string): Promise<number> {
    const n = await this.db.tx(async (c) => {
      const r = id === undefined
        ? await c.query(`UPDATE queue_recipients SET next_attempt = 0 WHERE status = 'pending'`)
        : await c.query(`UPDATE queue_recipients SET next_attempt = 0 WHERE status = 'pending' AND queue_id = $1`, [id]);
      if (r.rowCount) await this.changes.notifyQueue(c);
      return r.rowCount ?? 0;
    }, 'queue retry');
    if (n) this.changes.queueChanged();
    return n;
  }

  async delete(id: string): Promise<boolean> {
    return this.db.tx(async (c) => {
      const row = (await c.query<QueueRow>('DELETE FROM queue WHERE id = $1 RETURNING *', [id])).rows[0];
      if (!row) return false;
      await unrefBlobs(c, new Map([[row.blob_id, 1]]));
      return true;
    }, 'queue delete');
  }

  async read(blobId: string): Promise<Buffer> {
    const [r] = await this.db.q<{ data: Buffer }>('SELECT data FROM blobs WHERE id = $1', [blobId]);
    if (!r) throw new Error(`message blob ${blobId} not found`);
    return r.data;
  }
}
