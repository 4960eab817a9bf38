/**
 * Config across nodes, the PostgreSQL side: table `cluster_config` holds one
 * row per published config commit (the cluster-wide id is the publishing node's oid; `seq` orders
 * them), `cluster_config_nodes` which published commit each node runs (or why it could not
 * apply it). A publish NOTIFYs `mailserver_cluster_config` inside its transaction, so listeners
 * hear of it at COMMIT. Tables are created on first use (not a store migration: the embedded
 * store has no cluster).
 */
import pg from 'pg';
import type { CommitAuthor } from '../config-repo/repository.ts';

export const CHANNEL = 'mailserver_cluster_config';
/** pg_advisory_lock key of the start-up decision (adopt or publish), so nodes starting together take turns. */
const START_LOCK = 0x6d63_6667; // "mcfg"

const DDL = [
  `CREATE TABLE IF NOT EXISTS cluster_config (
    seq bigserial PRIMARY KEY,
    oid text NOT NULL,
    parent text,
    files jsonb NOT NULL,
    author_name text NOT NULL,
    author_email text NOT NULL,
    message text NOT NULL,
    node text NOT NULL,
    origin text NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE IF NOT EXISTS cluster_config_nodes (
    node text PRIMARY KEY,
    seq bigint,
    oid text,
    local_oid text,
    error text,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
];

/** One published commit. `files`: repository path -> contents. */
export interface PublishedConfig {
  seq: number;
  oid: string;
  parent: string | null;
  files: Record<string, Buffer>;
  author: CommitAuthor;
  message: string;
  node: string;
  origin: string;
  publishedAt: Date;
}

interface Row {
  seq: string; oid: string; parent: string | null; files: Record<string, string>; author_name: string; author_email: string;
  message: string; node: string; origin: string; published_at: Date;
}

function fromRow(r: Row): PublishedConfig {
  return {
    seq: Number(r.seq), oid: r.oid, parent: r.parent,
    files: Object.fromEntries(Object.entries(r.files).map(([p, b64]) => [p, Buffer.from(b64, 'base64')])),
    author: { name: r.author_name, email: r.author_email }, message: r.message, node: r.node, origin: r.origin, publishedAt: r.published_at,
  };
}

export type Queryable = pg.Pool | pg.Client | pg.PoolClient;

export async function ensureTables(db: Queryable): Promise<void> {
  for (const ddl of DDL) {
    try {
      await db.query(ddl);
    } catch (err) {
      // two nodes creating a table at once: the loser's CREATE fails on the catalog's unique index
      if ((err as { code?: string }).code !== '23505') throw err;
    }
  }
}

/** The newest published commit, or null when nothing was published yet. */
export async function latestPublished(db: Queryable): Promise<PublishedConfig | null> {
  const { rows } = await db.query<Row>('SELECT * FROM cluster_config ORDER BY seq DESC LIMIT 1');
  return rows[0] ? fromRow(rows[0]) : null;
}

/** Publishes a commit and notifies every node; returns its seq. */
export async function publish(
  db: Queryable,
  c: { oid: string; files: Record<string, Buffer>; author: CommitAuthor; message: string; node: string; origin: string },
): Promise<number> {
  await db.query('BEGIN');
  try {
    const parent = await db.query<{ oid: string }>('SELECT oid FROM cluster_config ORDER BY seq DESC LIMIT 1');
    const files = Object.fromEntries(Object.entries(c.files).map(([p, b]) => [p, b.toString('base64')]));
    const { rows } = await db.query<{ seq: string }>(
      `INSERT INTO cluster_config (oid, parent, files, author_name, author_email, message, node, origin)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq`,
      [c.oid, parent.rows[0]?.oid ?? null, JSON.stringify(files), c.author.name, c.author.email, c.message, c.node, c.origin],
    );
    const seq = Number(rows[0]!.seq);
    await db.query('SELECT pg_notify($1, $2)', [CHANNEL, String(seq)]);
    await db.query('COMMIT');
    return seq;
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** What a node runs: the published commit (seq, id), its own oid for it, and the last apply error. */
export async function recordNode(
  db: Queryable,
  r: { node: string; seq: number | null; oid: string | null; localOid: string | null; error: string | null },
): Promise<void> {
  await db.query(
    `INSERT INTO cluster_config_nodes (node, seq, oid, local_oid, error, updated_at) VALUES ($1, $2, $3, $4, $5, now())
     ON CONFLICT (node) DO UPDATE SET seq = $2, oid = $3, local_oid = $4, error = $5, updated_at = now()`,
    [r.node, r.seq, r.oid, r.localOid, r.error],
  );
}

export interface NodeConfigState { node: string; seq: number | null; oid: string | null; localOid: string | null; error: string | null; updatedAt: Date }

export async function nodeStates(db: Queryable): Promise<NodeConfigState[]> {
  const { rows } = await db.query<{ node: string; seq: string | null; oid: string | null; local_oid: string | null; error: string | null; updated_at: Date }>(
    'SELECT * FROM cluster_config_nodes ORDER BY node',
  );
  return rows.map((r) => ({ node: r.node, seq: r.seq === null ? null : Number(r.seq), oid: r.oid, localOid: r.local_oid, error: r.error, updatedAt: r.updated_at }));
}

/** Runs `fn` holding the start-up lock (session level, released before returning). */
export async function withStartLock<T>(db: Queryable, fn: () => Promise<T>): Promise<T> {
  await db.query('SELECT pg_advisory_lock($1)', [START_LOCK]);
  try {
    return await fn();
  } finally {
    await db.query('SELECT pg_advisory_unlock($1)', [START_LOCK]).catch(() => undefined);
  }
}

/** A client for one short job (start-up), closed afterwards. */
export async function withClient<T>(url: string, fn: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, application_name: 'mailserver-config-sync' });
  db.on('error', () => {});
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end().catch(() => undefined);
  }
}
