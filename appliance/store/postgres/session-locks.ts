/**
 * Locks that hold across the nodes of a cluster for as long as a session lasts (the POP3
 * maildrop lock, RFC 1939 §8). They are PostgreSQL session-level advisory locks on one
 * dedicated connection per store: a node that dies, or loses its connection, frees its locks
 * with it, so a crashed node never leaves a maildrop locked. Advisory locks are re-entrant within
 * a connection, so the caller keeps its own in-process lock table in front of this one
 * (appliance/pop3/maildrop.ts).
 */
import pg from 'pg';
import type { SessionLockKind, SessionLocks } from '../../../core/store/ports.ts';
import type { PgDb } from './database.ts';

/** The two-key form of the advisory locks keeps these apart from other users' single keys. */
const KIND_KEYS: Record<SessionLockKind, number> = { pop3: 0x504f5033 /* "POP3" */ };

export class PgSessionLocks implements SessionLocks {
  private client: Promise<pg.Client> | null = null;
  private closed = false;

  constructor(private readonly db: PgDb, private readonly log?: (msg: string, err?: unknown) => void) {}

  private connection(): Promise<pg.Client> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    if (!this.client) {
      const client = new pg.Client({ connectionString: this.db.url, keepAlive: true, application_name: 'mailserver-locks' });
      const lost = (err?: Error) => {
        if (this.client !== pending) return;
        this.client = null;
        // every lock of this connection is gone with it: the sessions holding them go on, and
        // another node may now open the same maildrop (logged, as PostgreSQL itself restarted)
        if (!this.closed) this.log?.('PostgreSQL session-lock connection lost; maildrop locks of this node were released', err);
        client.end().catch(() => undefined);
      };
      client.on('error', lost);
      client.on('end', () => lost());
      const pending: Promise<pg.Client> = client.connect().then(() => client, (err: Error) => {
        lost(err);
        throw err;
      });
      this.client = pending;
    }
    return this.client;
  }

  async tryLock(kind: SessionLockKind, id: number): Promise<boolean> {
    const client = await this.connection();
    const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [KIND_KEYS[kind], id]);
    return r.rows[0]?.ok === true;
  }

  async unlock(kind: SessionLockKind, id: number): Promise<void> {
    if (!this.client) return; // the connection (and with it the lock) is gone already
    const client = await this.connection();
    await client.query('SELECT pg_advisory_unlock($1, $2)', [KIND_KEYS[kind], id]);
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.client;
    this.client = null;
    if (pending) await pending.then((c) => c.end(), () => undefined).catch(() => undefined);
  }
}
