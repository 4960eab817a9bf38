/**
 * Leadership on the shared PostgreSQL: the holder of the virtual IP is whoever holds a
 * session-level advisory lock (pg_try_advisory_lock) on a connection of its own. PostgreSQL frees
 * the lock when that session ends — the node died (its kernel closes the socket at once) or the
 * network between them broke (server-side TCP keepalives / tcp_user_timeout end the session
 * within about 5 s). The holder checks its session every second with a query that must answer
 * within 2 s and drops the VIP on any failure (fencing) — before the server can have freed the
 * lock for another node, so two nodes never hold the VIP at once.
 */
import pg from 'pg';
import type { Logger } from '../../core/log.ts';
import { LEASE_APPLICATION } from '../../core/cluster.ts';

/** Server-side detection of a dead peer (seconds), set on the lease session. */
const SERVER_KEEPALIVE = { idle: 2, interval: 1, count: 3, userTimeoutMs: 5000 };
/** How long the holder's liveness query may take; must stay below the server's detection. */
export const CHECK_TIMEOUT_MS = 2000;

export class PgLease {
  private client: pg.Client | null = null;
  private connecting: Promise<pg.Client> | null = null;
  private lostHandler: (() => void) | null = null;
  private failing = false;

  constructor(private readonly url: string, private readonly key: number, private readonly log: Logger, private readonly connectTimeoutMs: number, private readonly nodeName: string) {}

  /** Called once when the session is lost (error or end) — the caller fences at once. */
  onLost(fn: () => void): void {
    this.lostHandler = fn;
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    this.connecting ??= (async () => {
      const client = new pg.Client({
        connectionString: this.url,
        keepAlive: true,
        keepAliveInitialDelayMillis: 1000,
        connectionTimeoutMillis: this.connectTimeoutMs,
        query_timeout: CHECK_TIMEOUT_MS,
        // `mailserver status` finds the holder by this name in pg_stat_activity
        application_name: `${LEASE_APPLICATION}${this.nodeName}`.slice(0, 63),
      });
      let lost = false;
      const onGone = (err?: Error) => {
        if (lost) return;
        lost = true;
        if (this.client === client) this.client = null;
        client.end().catch(() => {});
        this.log.warn({ err }, 'ipwatcher: lease session to PostgreSQL lost');
        this.lostHandler?.();
      };
      client.on('error', onGone);
      client.on('end', () => onGone());
      try {
        await client.connect();
        const k = SERVER_KEEPALIVE;
        await client.query(`SET tcp_keepalives_idle = ${k.idle}; SET tcp_keepalives_interval = ${k.interval}; SET tcp_keepalives_count = ${k.count}; SET tcp_user_timeout = ${k.userTimeoutMs}`);
      } catch (err) {
        lost = true;
        client.end().catch(() => {});
        throw err;
      }
      if (this.failing) this.log.info('ipwatcher: PostgreSQL reachable again');
      this.failing = false;
      this.client = client;
      return client;
    })().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    let client: pg.Client;
    try {
      client = await this.connect();
    } catch (err) {
      if (!this.failing) this.log.warn({ err }, 'ipwatcher: cannot reach PostgreSQL for the lease; retrying every interval');
      this.failing = true;
      throw err;
    }
    try {
      return (await client.query<T>(sql, params)).rows;
    } catch (err) {
      // a timed-out or failed query: this session can no longer be trusted to hold the lock
      this.drop();
      throw err;
    }
  }

  /** Tries to take the lock; true when this node holds it now. */
  async tryAcquire(): Promise<boolean> {
    const rows = await this.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [this.key]);
    return rows[0]?.ok === true;
  }

  /** Is the lock free right now (nobody holds it)? */
  async isFree(): Promise<boolean> {
    const rows = await this.query<{ held: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = $1 AND objsubid = 1 AND granted) AS held`,
      [this.key],
    );
    return rows[0]?.held === false;
  }

  /** The holder's check that its session (and with it the lock) is still alive. */
  async check(): Promise<void> {
    await this.query('SELECT 1');
  }

  async release(): Promise<void> {
    await this.query('SELECT pg_advisory_unlock($1)', [this.key]);
  }

  /** Ends the session without waiting (the server frees the lock when it sees the close). */
  drop(): void {
    const c = this.client;
    this.client = null;
    if (c) c.end().catch(() => {});
  }

  async close(): Promise<void> {
    this.lostHandler = null;
    const c = this.client;
    this.client = null;
    if (c) await c.end().catch(() => {});
  }
}
