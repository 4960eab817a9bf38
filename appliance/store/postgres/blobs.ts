/**
 * Message bytes in PostgreSQL (`blobs`, bytea, one row per message shared by every mailbox copy
 * with a reference count), as the embedded store's blob table without the file tier: the bytes
 * commit with their index in one transaction on the shared database.
 */
import crypto from 'node:crypto';
import type { PgDb, Sql } from './database.ts';
import { headBounds } from '../../../core/message-head.ts';
import { threadRootOf } from '../../imap/message/object-ids.ts';

export function newBlobId(): string {
  return crypto.randomBytes(12).toString('hex');
}

export async function insertBlob(c: Sql, id: string, content: Buffer, refs: number): Promise<void> {
  const root = threadRootOf(content.subarray(0, headBounds(content).headEnd));
  await c.query('INSERT INTO blobs (id, size, data, refs, thread_root) VALUES ($1, $2, $3, $4, $5)', [id, content.length, content, refs, root]);
}

/** The header section of a stored blob (its first 64 KiB at most), for a thread root not yet stored. */
export async function pgHeader(db: PgDb, id: string): Promise<Buffer | null> {
  const [r] = await db.q<{ data: Buffer }>('SELECT substring(data FROM 1 FOR 65536) AS data FROM blobs WHERE id = $1', [id]);
  return r ? r.data.subarray(0, headBounds(r.data).headEnd) : null;
}

export async function saveThreadRoots(db: PgDb, roots: Map<string, string>): Promise<void> {
  await db.q('UPDATE blobs b SET thread_root = v.root FROM unnest($1::text[], $2::text[]) AS v(id, root) WHERE b.id = v.id', [[...roots.keys()], [...roots.values()]]);
}

/** Drops `n` references to each blob (id → n); deletes the blobs no longer referenced. */
export async function unrefBlobs(c: Sql, counts: Map<string, number>): Promise<void> {
  if (!counts.size) return;
  const ids = [...counts.keys()];
  const ns = ids.map((id) => counts.get(id)!);
  const gone = await c.query<{ id: string }>(`UPDATE blobs b SET refs = b.refs - v.n FROM unnest($1::text[], $2::int[]) AS v(id, n)
    WHERE b.id = v.id RETURNING b.id, b.refs`, [ids, ns]);
  const drop = gone.rows.filter((r) => (r as unknown as { refs: number }).refs <= 0).map((r) => r.id);
  if (drop.length) await c.query('DELETE FROM blobs WHERE id = ANY($1)', [drop]);
}

export function countBlobs(rows: { blob_id: string }[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) m.set(r.blob_id, (m.get(r.blob_id) ?? 0) + 1);
  return m;
}

