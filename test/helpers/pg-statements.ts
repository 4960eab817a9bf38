/**
 * The statements every pg client of this process sends while `record(fn)` runs, for the tests
 * that count round trips to PostgreSQL (each text, or a named statement's name).
 */
import pg from 'pg';
import type { Test } from 'tap';

export interface PgStatements {
  /** What the last `record` saw, in order. */
  readonly seen: string[];
  /** Runs `fn` with the statements it sends recorded (`seen` is cleared first). */
  record<T>(fn: () => Promise<T>): Promise<T>;
}

export function pgStatements(t: Test): PgStatements {
  const seen: string[] = [];
  let on = false;
  const original = pg.Client.prototype.query;
  (pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown }).query = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0] as string | { text?: string; name?: string };
    if (on) seen.push(typeof q === 'string' ? q : q?.text ?? q?.name ?? '?');
    return (original as unknown as (...a: unknown[]) => unknown).apply(this, args);
  };
  t.teardown(() => void (pg.Client.prototype.query = original));
  return {
    seen,
    async record<T>(fn: () => Promise<T>): Promise<T> {
      seen.length = 0;
      on = true;
      try {
        return await fn();
      } finally {
        on = false;
      }
    },
  };
}
