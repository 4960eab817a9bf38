/**
 * Group commit for the cluster store's deliveries: the deliveries that arrive while the
 * transactions in flight are being written wait and then go into one transaction together, so
 * a busy node pays one COMMIT (one WAL flush, with fsync on) for many messages instead of one
 * each. Under light load a delivery runs alone, one event-loop turn after it was asked for.
 *
 * Every caller still learns its own outcome: when a batch fails for a reason of one of its
 * deliveries (a constraint, a gone account), each delivery of it is written again on its own,
 * so one bad message cannot fail the others. A lost connection fails the whole batch as it
 * fails a single delivery today (see PgDb.tx: the SMTP client retries).
 */
import { isConnectionError, type PgDb, type Sql } from './database.ts';
import { insertBlob } from './blobs.ts';
import { createMailbox } from './mailboxes.ts';
import { MAILBOX_CHANNEL } from './notifier.ts';

/** One message for one or more accounts' mailbox `name`, its bytes already in memory. */
export interface BatchDelivery {
  blobId: string;
  content: Buffer;
  accountIds: number[];
  name: string;
  flags: string;
  date: number;
}

export interface Touched { accountId: number; mailboxId: number }

/**
 * One message into one mailbox in one statement: the UPDATE takes the UID and MODSEQ under the
 * mailbox row lock, the message row and the usage follow, and NOTIFY goes out at COMMIT.
 */
async function deliverOne(c: Sql, sender: string, accountId: number, d: BatchDelivery): Promise<number | null> {
  const r = await c.query<{ id: number }>(`WITH mb AS (
      UPDATE mailboxes SET uid_next = uid_next + 1, highest_modseq = highest_modseq + 1 WHERE account_id = $1 AND name = $2
      RETURNING id, uid_next - 1 AS uid, highest_modseq AS modseq),
    ins AS (INSERT INTO messages (mailbox_id, uid, modseq, flags, internal_date, size, blob_id) SELECT id, uid, modseq, $3, $4, $5, $6 FROM mb),
    use AS (UPDATE accounts SET usage = usage + $5 WHERE id = $1 AND EXISTS (SELECT 1 FROM mb))
    SELECT id, pg_notify($7, $8 || ':' || $1 || ':' || id) FROM mb`,
  [accountId, d.name, d.flags, d.date, d.content.length, d.blobId, MAILBOX_CHANNEL, sender]);
  return r.rows[0]?.id ?? null;
}

/**
 * The writes of several deliveries in the caller's transaction: the blobs first (new rows, no
 * lock anyone waits for), then every (account, mailbox) in account order, so two transactions
 * delivering to the same accounts take the mailbox and account row locks in the same order.
 */
export async function writeDeliveries(c: Sql, sender: string, items: BatchDelivery[]): Promise<Touched[][]> {
  for (const d of items) await insertBlob(c, d.blobId, d.content, d.accountIds.length);
  const steps = items.flatMap((d, i) => d.accountIds.map((accountId) => ({ i, accountId, d })));
  steps.sort((a, b) => a.accountId - b.accountId || (a.d.name < b.d.name ? -1 : a.d.name > b.d.name ? 1 : 0));
  const touched: Touched[][] = items.map(() => []);
  for (const { i, accountId, d } of steps) {
    let mailboxId = await deliverOne(c, sender, accountId, d);
    if (mailboxId === null) {
      await createMailbox(c, accountId, d.name, null);
      mailboxId = await deliverOne(c, sender, accountId, d);
      if (mailboxId === null) throw new Error(`cannot deliver to account ${accountId}: no mailbox ${d.name}`);
    }
    touched[i].push({ accountId, mailboxId });
  }
  return touched;
}

interface Pending {
  item: BatchDelivery;
  resolve: (v: Touched[]) => void;
  reject: (err: unknown) => void;
}

export interface DeliveryBatchOptions {
  /** Transactions written at once (each holds a pool connection until COMMIT returns). */
  inFlight?: number;
  /** Deliveries in one transaction at most: bounds how long its row locks are held. */
  maxBatch?: number;
}

export class DeliveryBatch {
  private pending: Pending[] = [];
  private running = 0;
  private scheduled = false;
  private readonly inFlight: number;
  private readonly maxBatch: number;

  constructor(private readonly db: PgDb, private readonly sender: string, opts: DeliveryBatchOptions = {}) {
    this.inFlight = Math.max(1, opts.inFlight ?? 2);
    this.maxBatch = Math.max(1, opts.maxBatch ?? 64);
  }

  /** Resolves after the COMMIT that stored `item`, with the mailboxes it went into. */
  deliver(item: BatchDelivery): Promise<Touched[]> {
    return new Promise<Touched[]>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.inFlight || !this.pending.length) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.running < this.inFlight && this.pending.length) void this.flush(this.pending.splice(0, this.maxBatch));
    });
  }

  private async flush(batch: Pending[]): Promise<void> {
    this.running++;
    try {
      const results = await this.db.tx((c) => writeDeliveries(c, this.sender, batch.map((p) => p.item)), batch.length > 1 ? `delivery of ${batch.length}` : 'delivery');
      batch.forEach((p, i) => p.resolve(results[i]));
    } catch (err) {
      if (batch.length === 1 || isConnectionError(err)) for (const p of batch) p.reject(err);
      else await Promise.all(batch.map((p) => this.db.tx((c) => writeDeliveries(c, this.sender, [p.item]), 'delivery').then((r) => p.resolve(r[0]), p.reject)));
    } finally {
      this.running--;
      this.schedule();
    }
  }
}
