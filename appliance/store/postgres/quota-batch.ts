/**
 * The quota reads of SMTP DATA ends that arrive together, in one statement: each message asks
 * for its recipients' quota and usage (appliance/smtp/data.ts), and under load many ask at once.
 * A read waits at most for the reads in flight, so what it returns was read after it was asked
 * for, as when it runs alone. One that fails fails the reads it was batched with (each of
 * their SMTP transactions answers 451, as for a failed read of its own).
 */
import type { NamedStatement, PgDb } from './database.ts';

export type Quotas = Map<number, { quota: number; usage: number }>;

const QUOTAS: NamedStatement = { name: 'account_quotas', text: 'SELECT id, quota, usage FROM accounts WHERE id = ANY($1::bigint[])' };

interface Pending {
  ids: number[];
  resolve: (v: Quotas) => void;
  reject: (err: unknown) => void;
}

export class QuotaReads {
  private pending: Pending[] = [];
  private running = 0;
  private scheduled = false;

  /** `inFlight`: statements at once (each holds a pool connection until it returns). */
  constructor(private readonly db: PgDb, private readonly inFlight = 2) {}

  /** Quota and usage of each of `accountIds` that exists. */
  read(accountIds: number[]): Promise<Quotas> {
    return new Promise<Quotas>((resolve, reject) => {
      this.pending.push({ ids: accountIds, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.inFlight || !this.pending.length) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.running < this.inFlight && this.pending.length) void this.flush(this.pending.splice(0, 256));
    });
  }

  private async flush(batch: Pending[]): Promise<void> {
    this.running++;
    try {
      const rows = await this.db.q<{ id: number; quota: number; usage: number }>(QUOTAS, [[...new Set(batch.flatMap((p) => p.ids))]]);
      const all = new Map(rows.map((r) => [r.id, { quota: r.quota, usage: r.usage }]));
      for (const p of batch) {
        const mine: Quotas = new Map();
        for (const id of p.ids) {
          const q = all.get(id);
          if (q) mine.set(id, q);
        }
        p.resolve(mine);
      }
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.running--;
      this.schedule();
    }
  }
}
