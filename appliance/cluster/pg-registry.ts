/**
 * NodeRegistry in the shared PostgreSQL: table cluster_nodes, one row a node (created on first
 * use, so it does not depend on the store's migrations). Uses `pg` directly, one pool of 1.
 */
import pg from 'pg';
import { LEASE_APPLICATION, type NodeRecord, type NodeRegistry } from './registry.ts';

const DDL = `CREATE TABLE IF NOT EXISTS cluster_nodes (
  name text PRIMARY KEY,
  version text NOT NULL,
  config_commit text NOT NULL,
  started_at timestamptz NOT NULL,
  heartbeat_at timestamptz NOT NULL,
  addresses text[] NOT NULL DEFAULT '{}',
  vip text,
  pid integer NOT NULL
)`;

interface Row {
  name: string; version: string; config_commit: string; started_at: Date; heartbeat_at: Date;
  addresses: string[]; vip: string | null; pid: number;
}

export class PgNodeRegistry implements NodeRegistry {
  private readonly pool: pg.Pool;
  private ready: Promise<void> | null = null;

  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 5000, idleTimeoutMillis: 10_000, keepAlive: true });
    // an idle connection that breaks (server restart) must not crash the process
    this.pool.on('error', () => {});
  }

  private init(): Promise<void> {
    // two nodes creating the table at once: the loser's CREATE fails on the catalog's unique index
    this.ready ??= this.pool.query(DDL).then(() => undefined, async (err) => {
      this.ready = null;
      if ((err as { code?: string }).code !== '23505') throw err;
    });
    return this.ready;
  }

  async put(r: NodeRecord): Promise<void> {
    await this.init();
    await this.pool.query(
      `INSERT INTO cluster_nodes (name, version, config_commit, started_at, heartbeat_at, addresses, vip, pid)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (name) DO UPDATE SET version = $2, config_commit = $3, started_at = $4, heartbeat_at = $5, addresses = $6, vip = $7, pid = $8`,
      [r.name, r.version, r.configCommit, r.startedAt, r.heartbeatAt, r.addresses, r.vip, r.pid],
    );
  }

  async list(): Promise<NodeRecord[]> {
    await this.init();
    const { rows } = await this.pool.query<Row>('SELECT * FROM cluster_nodes ORDER BY name');
    return rows.map((r) => ({
      name: r.name, version: r.version, configCommit: r.config_commit, startedAt: r.started_at, heartbeatAt: r.heartbeat_at,
      addresses: r.addresses, vip: r.vip, pid: r.pid,
    }));
  }

  async leaseHolders(): Promise<string[]> {
    const { rows } = await this.pool.query<{ app: string }>(
      `SELECT a.application_name AS app FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE $1`,
      [`${LEASE_APPLICATION}%`],
    );
    return rows.map((r) => r.app.slice(LEASE_APPLICATION.length));
  }

  /** Nodes that could not apply the cluster's newest config commit, and why (appliance/cluster/config-sync-db.ts). */
  async configErrors(): Promise<{ node: string; error: string }[]> {
    try {
      const { rows } = await this.pool.query<{ node: string; error: string }>('SELECT node, error FROM cluster_config_nodes WHERE error IS NOT NULL ORDER BY node');
      return rows;
    } catch (err) {
      if ((err as { code?: string }).code === '42P01') return []; // no config published yet
      throw err;
    }
  }

  async remove(name: string): Promise<boolean> {
    await this.init();
    return ((await this.pool.query('DELETE FROM cluster_nodes WHERE name = $1', [name])).rowCount ?? 0) > 0;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
