/**
 * The cluster store's connection pool. Every write is one transaction that resolves only after
 * COMMIT returned (synchronous_commit on: the WAL is flushed, PostgreSQL groups concurrent
 * commits into one flush). A dropped connection (PostgreSQL restarted) fails the operations in
 * flight with a clear error, nothing half-stored; the pool opens new connections for the next.
 */
import pg from 'pg';
import { UsageError } from '../../../core/errors.ts';
import { MIGRATIONS } from './schema.ts';

export type Sql = pg.ClientBase;

/**
 * A hot statement by name: node-postgres parses it once per pool connection and then only binds
 * and executes it (no parse, no plan per call). One name, one text, always.
 */
export interface NamedStatement { name: string; text: string }

/** bigint (count(*), ids, ms times) and numeric (sum()) as JS numbers: they stay below 2^53. */
const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return (pg.types.getTypeParser as (oid: number, format?: string) => unknown)(oid, format);
  },
} as unknown as pg.CustomTypesConfig;

/** How long an operation waits for PostgreSQL to come back (a restart) before it fails. */
export const RECONNECT_WINDOW_MS = 10_000;

/** The server went away or is not accepting connections yet (restart, failover, network). */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (!e) return false;
  if (e.code && /^(08|57P0[1-3])/.test(e.code)) return true;
  if (e.code && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN'].includes(e.code)) return true;
  return /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect/i.test(e.message ?? '');
}

function backoff(attempt: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 1000)));
}

/** PostgreSQL error codes retried by a transaction: deadlock, serialization failure. */
const RETRY = new Set(['40P01', '40001']);

export class StoreUnavailableError extends Error {
  constructor(what: string, cause: Error) {
    super(`PostgreSQL store: ${what} failed: ${cause.message}`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}

export class PgDb {
  readonly pool: pg.Pool;
  constructor(readonly url: string, opts: { poolSize?: number; applicationName?: string; log?: (msg: string, err?: unknown) => void } = {}) {
    this.pool = new pg.Pool({
      connectionString: url, max: opts.poolSize ?? 10, types, keepAlive: true,
      connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000, application_name: opts.applicationName ?? 'mailserver',
    });
    // an idle connection dropped by the server (restart): the pool discards it and opens another
    this.pool.on('error', (err) => opts.log?.('idle PostgreSQL connection lost', err));
  }

  /**
   * One statement outside a transaction (autocommit). A read that finds PostgreSQL restarting
   * is tried again for up to RECONNECT_WINDOW_MS; a write only when it never reached the server.
   */
  async q<R extends pg.QueryResultRow = pg.QueryResultRow>(query: string | NamedStatement, params: unknown[] = [], opts: { idempotent?: boolean; what?: string } = {}): Promise<R[]> {
    const deadline = Date.now() + RECONNECT_WINDOW_MS;
    const text = typeof query === 'string' ? query : query.text;
    // run again after a lost connection: a read, or a write the caller made safe to repeat
    const readOnly = opts.idempotent || /^\s*SELECT\b/i.test(text);
    for (let attempt = 0; ; attempt++) {
      let client: pg.PoolClient | null = null;
      let release: (err?: Error) => void = () => undefined;
      try {
        client = await this.pool.connect();
        release = guard(client);
        const rows = (typeof query === 'string' ? await client.query<R>(query, params) : await client.query<R>({ ...query, values: params })).rows;
        release();
        return rows;
      } catch (err) {
        const sent = client !== null;
        if (client) release(isConnectionError(err) ? (err as Error) : undefined);
        if (isConnectionError(err) && (!sent || readOnly) && Date.now() < deadline) {
          await backoff(attempt);
          continue;
        }
        throw wrap(err, opts.what ?? firstWords(text));
      }
    }
  }

  /**
   * Runs `fn` in a transaction; resolves after COMMIT. Retried as a whole on deadlock, and when
   * the connection was lost before COMMIT was sent (PostgreSQL restarting: nothing of it was
   * committed) for up to RECONNECT_WINDOW_MS. A connection lost after COMMIT was sent leaves
   * the outcome unknown: that error goes to the caller (SMTP answers 451, the client retries,
   * and at worst the message is stored twice, never lost).
   */
  async tx<T>(fn: (c: Sql) => Promise<T>, what = 'transaction'): Promise<T> {
    const deadline = Date.now() + RECONNECT_WINDOW_MS;
    for (let attempt = 0; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        if (isConnectionError(err) && Date.now() < deadline) {
          await backoff(attempt);
          continue;
        }
        throw wrap(err, `${what} (connect)`);
      }
      let broken: Error | undefined;
      let commitSent = false;
      const release = guard(client);
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        commitSent = true;
        await client.query('COMMIT');
        return result;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (isConnectionError(err)) broken = err as Error;
        else {
          try {
            await client.query('ROLLBACK');
          } catch (e) {
            broken = e as Error;
          }
        }
        if (code && RETRY.has(code) && attempt < 8) {
          await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * (attempt + 1)));
          continue;
        }
        if (broken && !commitSent && isConnectionError(err) && Date.now() < deadline) {
          await backoff(attempt);
          continue;
        }
        throw wrap(err, what);
      } finally {
        release(broken);
      }
    }
  }

  async migrate(): Promise<void> {
    await this.tx(async (c) => {
      // two nodes starting together: the second waits for the first's migrations
      await c.query('SELECT pg_advisory_xact_lock(7261930015)');
      await c.query('CREATE TABLE IF NOT EXISTS mailserver_schema (version integer NOT NULL)');
      const rows = (await c.query<{ version: number }>('SELECT version FROM mailserver_schema')).rows;
      if (!rows.length) await c.query('INSERT INTO mailserver_schema (version) VALUES (0)');
      const version = rows[0]?.version ?? 0;
      if (version > MIGRATIONS.length) throw new Error(`the database has schema version ${version}, newer than this build (${MIGRATIONS.length})`);
      for (let v = version; v < MIGRATIONS.length; v++) await c.query(MIGRATIONS[v]);
      await c.query('UPDATE mailserver_schema SET version = $1', [MIGRATIONS.length]);
    }, 'schema migration');
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/**
 * While a client is checked out, pg-pool does not listen for its 'error' events: a connection
 * dropped between two queries of a transaction would be an uncaught error and end the process.
 * Listens meanwhile; a client that saw an error is destroyed on release, not reused.
 */
function guard(client: pg.PoolClient): (err?: Error) => void {
  let seen: Error | undefined;
  const onError = (err: Error) => (seen = err);
  client.on('error', onError);
  let done = false;
  return (err?: Error) => {
    if (done) return;
    done = true;
    client.removeListener('error', onError);
    client.release(err ?? seen);
  };
}

function firstWords(text: string): string {
  return text.trim().split(/\s+/).slice(0, 3).join(' ');
}

/** UsageErrors pass through; database errors name what failed. */
export function wrap(err: unknown, what: string): Error {
  if (err instanceof UsageError || err instanceof StoreUnavailableError) return err;
  if (err instanceof Error) return new StoreUnavailableError(what, err);
  return new Error(`PostgreSQL store: ${what} failed: ${String(err)}`);
}

/** A unique-constraint violation (23505). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.code === '23505' || e?.cause?.code === '23505';
}
