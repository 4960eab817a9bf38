/**
 * Requests that arrive together, written or read in one statement: the requests that come while
 * `inFlight` statements are under way wait, then go together (at most `maxBatch` in one), so
 * under load many share one round trip and one commit; under light load a request goes alone,
 * one event-loop turn after it was made. The group commit of the PostgreSQL store's deliveries,
 * queue outcomes and quota reads (delivery-batch.ts, queue-complete-batch.ts, quota-batch.ts).
 *
 * `alone`: when a batch of several fails for another reason than a lost connection, each of its
 * requests is run again on its own, so that one cannot fail the others; without it, they all
 * fail with the batch.
 */
import { isConnectionError, type PgDb } from './database.ts';

interface Pending<I, R> {
  item: I;
  resolve: (v: R) => void;
  reject: (err: unknown) => void;
}

export interface StatementBatchOptions {
  /** Statements at once (each holds a pool connection until it returns). */
  inFlight?: number;
  /** Requests in one statement at most: bounds how long its row locks are held. */
  maxBatch?: number;
  /** A failed batch's requests are run again one by one (see above). */
  alone?: boolean;
}

export class StatementBatch<I, R> {
  private pending: Pending<I, R>[] = [];
  private running = 0;
  private scheduled = false;
  private readonly inFlight: number;
  private readonly maxBatch: number;

  /** `run` answers the requests in their order (one result each). */
  constructor(private readonly run: (items: I[]) => Promise<R[]>, private readonly opts: StatementBatchOptions = {}) {
    this.inFlight = Math.max(1, opts.inFlight ?? 2);
    this.maxBatch = Math.max(1, opts.maxBatch ?? 64);
  }

  /** Resolves with this request's result, once the statement that carried it has returned. */
  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
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

  private async flush(batch: Pending<I, R>[]): Promise<void> {
    this.running++;
    try {
      const results = await this.run(batch.map((p) => p.item));
      batch.forEach((p, i) => p.resolve(results[i]));
    } catch (err) {
      if (!this.opts.alone || batch.length === 1 || isConnectionError(err)) for (const p of batch) p.reject(err);
      else await Promise.all(batch.map((p) => this.run([p.item]).then((r) => p.resolve(r[0]), p.reject)));
    } finally {
      this.running--;
      this.schedule();
    }
  }
}
