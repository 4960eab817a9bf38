/**
 * The quota reads of SMTP DATA ends that arrive together, in one statement: each message asks
 * for its recipients' quota and usage (appliance/smtp/data.ts), and under load many ask at once.
 * A read waits at most for the reads in flight, so what it returns was read after it was asked
 * for, as when it runs alone. One that fails fails the reads it was batched with (each of
 * their SMTP transactions answers 451, as for a failed read of its own).
 */
import type { NamedStatement, PgDb } from './database.ts';
import { StatementBatch } from './statement-batch.ts';

export type Quotas = Map<number, { quota: number; usage: number }>;

const QUOTAS: NamedStatement = { name: 'account_quotas', text: 'SELECT id, quota, usage FROM accounts WHERE id = ANY($1::bigint[])' };

/** Quota reads that arrive together, in one statement (statement-batch.ts). */
export class QuotaReads {
  private readonly batch: StatementBatch<number[], Quotas>;

  /** `inFlight`: statements at once (each holds a pool connection until it returns). */
  constructor(db: PgDb, inFlight = 2) {
    this.batch = new StatementBatch(async (asked) => {
      const rows = await db.q<{ id: number; quota: number; usage: number }>(QUOTAS, [[...new Set(asked.flat())]]);
      const all = new Map(rows.map((r) => [r.id, { quota: r.quota, usage: r.usage }]));
      return asked.map((ids) => {
        const mine: Quotas = new Map();
        for (const id of ids) {
          const q = all.get(id);
          if (q) mine.set(id, q);
        }
        return mine;
      });
    }, { inFlight, maxBatch: 256 });
  }

  /** Quota and usage of each of `accountIds` that exists. */
  read(accountIds: number[]): Promise<Quotas> {
    return this.batch.submit(accountIds);
  }
}
