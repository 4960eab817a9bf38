/**
 * Group commit for the cluster store's deliveries: the deliveries that arrive while the
 * statements in flight are being written wait and then go into one transaction together, so
 * a busy node pays one COMMIT (one WAL flush, with fsync on) for many messages instead of one
 * each. Under light load a delivery runs alone, one event-loop turn after it was asked for.
 *
 * Every caller still learns its own outcome: when a batch fails for a reason of one of its
 * deliveries (a constraint, a gone account), each delivery of it is written again on its own,
 * so one bad message cannot fail the others. A batch is one statement: a connection lost on the
 * way is ridden out by running it again (it is idempotent, see writeDeliveries) for up to
 * RECONNECT_WINDOW_MS; after that the whole batch fails (the SMTP clients retry).
 */
import type { NamedStatement, PgDb } from './database.ts';
import { StatementBatch, type StatementBatchOptions } from './statement-batch.ts';
import { MAILBOX_CHANNEL } from './notifier.ts';
import { peekUidValidity } from '../shared/uid-validity.ts';
import { newMailboxObjectId } from '../shared/object-ids.ts';

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

/** The statement of a batch of `n` messages, by name: parsed once per connection and size. */
function statement(n: number): NamedStatement {
  const data = Array.from({ length: n }, (_, i) => `$${i + 12}::bytea`).join(', ');
  return {
    name: `deliver_messages_${n}`,
    text: `SELECT o_step, o_mailbox FROM deliver_messages($1::text[], ARRAY[${data}]::bytea[], $2::integer[], $3::integer[], $4::bigint[],
      $5::text[], $6::text[], $7::bigint[], $8::bigint, $9::text[], $10, $11)`,
  };
}

/**
 * The writes of several deliveries in one statement, so one round trip and one commit (schema
 * migration 4, deliver_messages): the blobs, then every (account, mailbox) in account order, so
 * two batches delivering to the same accounts take the mailbox and account row locks in the same
 * order; a missing mailbox is made on the way. The message bytes go as binary parameters, one
 * each. Safe to run again after a lost connection: a batch whose first blob is stored already
 * committed, and is answered without writing anything.
 */
export async function writeDeliveries(db: PgDb, sender: string, items: BatchDelivery[], what = 'delivery'): Promise<Touched[][]> {
  const steps = items.flatMap((d, i) => d.accountIds.map((accountId) => ({ i, accountId, d })));
  steps.sort((a, b) => a.accountId - b.accountId || (a.d.name < b.d.name ? -1 : a.d.name > b.d.name ? 1 : 0));
  const uidValidity = peekUidValidity();
  const rows = await db.q<{ o_step: number; o_mailbox: number }>(statement(items.length), [
    items.map((d) => d.blobId), items.map((d) => d.accountIds.length), steps.map((s) => s.i + 1), steps.map((s) => s.accountId),
    steps.map((s) => s.d.name), steps.map((s) => s.d.flags), steps.map((s) => s.d.date), uidValidity, steps.map(() => newMailboxObjectId()),
    MAILBOX_CHANNEL, sender, ...items.map((d) => d.content),
  ], { idempotent: true, what });
  const touched: Touched[][] = items.map(() => []);
  for (const r of rows) {
    const s = steps[r.o_step - 1];
    touched[s.i].push({ accountId: s.accountId, mailboxId: r.o_mailbox });
  }
  return touched;
}

export type DeliveryBatchOptions = Omit<StatementBatchOptions, 'alone'>;

/** The deliveries that arrive together, in one transaction (statement-batch.ts). */
export class DeliveryBatch {
  private readonly batch: StatementBatch<BatchDelivery, Touched[]>;

  constructor(db: PgDb, sender: string, opts: DeliveryBatchOptions = {}) {
    this.batch = new StatementBatch((items) => writeDeliveries(db, sender, items, items.length > 1 ? `delivery of ${items.length}` : 'delivery'), { ...opts, alone: true });
  }

  /** Resolves after the COMMIT that stored `item`, with the mailboxes it went into. */
  deliver(item: BatchDelivery): Promise<Touched[]> {
    return this.batch.submit(item);
  }
}
