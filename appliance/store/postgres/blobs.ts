/**
 * Message bytes in PostgreSQL (`blobs`, bytea, one row per message shared by every mailbox copy
 * with a reference count), as the embedded store's blob table without the file tier: the bytes
 * commit with their index in one transaction on the shared database.
 */
import crypto from 'node:crypto';
import type { Sql } from './database.ts';

export function newBlobId(): string {
  return crypto.randomBytes(12).toString('hex');
}

export async function insertBlob(c: Sql, id: string, content: Buffer, refs: number): Promise<void> {
  await c.query('INSERT INTO blobs (id, size, data, refs) VALUES ($1, $2, $3, $4)', [id, content.length, content, refs]);
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

