/**
 * Group commit for the outcomes of delivery attempts that queue no bounce: the outcomes that
 * arrive while the statements in flight are being written wait and then go into one statement
 * together (one round trip, one COMMIT, one WAL flush for many messages). Under light load an
 * outcome is written alone, one event-loop turn after it was given.
 *
 * Every caller still learns its own result: when a batch fails (a deadlock with another node's
 * claim of a recipient whose lease ran out, say), each outcome of it is written again on its
 * own, so one cannot fail the others. The lease semantics are queue_complete()'s (schema
 * migration 2): a row is written only under the lease it was claimed with.
 */
import type { NamedStatement, PgDb } from './database.ts';
import { StatementBatch, type StatementBatchOptions } from './statement-batch.ts';
import type { ClaimedBatch, RecipientOutcome } from '../../../core/store/ports.ts';

export interface Completion { batch: ClaimedBatch; outcomes: RecipientOutcome[] }

/**
 * queue_complete() once per attempt, in the order of the arrays, in one statement: the outcomes
 * of all attempts are flat arrays, attempt i owns elements first[i] .. last[i]. The function is
 * VOLATILE, so each call sees what the calls before it in the statement wrote (two batches of
 * one entry, other domains: the second finds no pending recipient left and removes the entry).
 */
const COMPLETE: NamedStatement = {
  name: 'queue_complete_batch',
  text: `SELECT queue_complete(a.queue_id, a.lease, $3, ($4::text[])[a.first:a.last], ($5::text[])[a.first:a.last],
      ($6::text[])[a.first:a.last], ($7::bigint[])[a.first:a.last], ($8::integer[])[a.first:a.last])
    FROM unnest($1::text[], $2::text[], $9::integer[], $10::integer[]) WITH ORDINALITY AS a(queue_id, lease, first, last, n) ORDER BY a.n`,
};

/** The statement and parameters of writeCompletions, for running it inside a transaction too. */
export function completionStatement(items: Completion[]): { name: string; text: string; values: unknown[] } {
  const sorted = [...items].sort((a, b) => (a.batch.queueId < b.batch.queueId ? -1 : a.batch.queueId > b.batch.queueId ? 1 : 0));
  const outcomes = sorted.flatMap((c) => c.outcomes);
  const first: number[] = [];
  const last: number[] = [];
  let at = 1;
  for (const c of sorted) {
    first.push(at);
    at += c.outcomes.length;
    last.push(at - 1);
  }
  const text = (o: RecipientOutcome) => (o.result === 'sent' ? o.response : o.error);
  return {
    ...COMPLETE,
    values: [
      sorted.map((c) => c.batch.queueId), sorted.map((c) => c.batch.lease), Date.now(),
      outcomes.map((o) => o.recipient), outcomes.map((o) => o.result), outcomes.map(text),
      outcomes.map((o) => (o.result === 'deferred' ? o.nextAttempt.getTime() : 0)), outcomes.map((o) => (o.result === 'deferred' && o.refusal ? 1 : 0)),
      first, last,
    ],
  };
}

/**
 * Writes the attempts' outcomes in one statement. The attempts go in entry order, so two
 * statements in flight at once (this node's or another's) take the entries' row locks in the
 * same order. Safe to run twice (q() runs a SELECT again after a lost connection): the rows are
 * matched by the lease, which the first run cleared, and a removed entry is not found again.
 */
export async function writeCompletions(db: PgDb, items: Completion[], what = 'queue outcome'): Promise<void> {
  const { values, ...statement } = completionStatement(items);
  await db.q(statement, values, { idempotent: true, what });
}

export type CompletionBatchOptions = Omit<StatementBatchOptions, 'alone'>;

/** The outcomes of attempts that finish together, in one statement (statement-batch.ts). */
export class CompletionBatch {
  private readonly batch: StatementBatch<Completion, void>;

  constructor(db: PgDb, opts: CompletionBatchOptions = {}) {
    this.batch = new StatementBatch<Completion, void>(async (items) => {
      await writeCompletions(db, items, items.length > 1 ? `queue outcome of ${items.length}` : 'queue outcome');
      return items.map(() => undefined);
    }, { ...opts, alone: true });
  }

  /** Resolves after the COMMIT that stored the outcomes (durable: the attempt is not made again). */
  complete(batch: ClaimedBatch, outcomes: RecipientOutcome[]): Promise<void> {
    return this.batch.submit({ batch, outcomes });
  }
}
