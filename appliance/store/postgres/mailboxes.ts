/** Mailbox rows in the cluster store: creation, UID/MODSEQ allocation under the mailbox row lock. */
import { nextUidValidity } from '../shared/uid-validity.ts';
import { newMailboxObjectId } from '../shared/object-ids.ts';
import type { Sql } from './database.ts';

/**
 * Creates a mailbox (false when the name exists). UIDVALIDITY (RFC 3501 §2.3.1.1) must grow when
 * a name is reused: seconds since the epoch from this node, and above every UIDVALIDITY of the
 * account, so that a node with a late clock cannot hand out an old value again.
 */
export async function createMailbox(c: Sql, accountId: number, name: string, specialUse: string | null): Promise<number | null> {
  const r = await c.query<{ id: number }>(`INSERT INTO mailboxes (account_id, name, uid_validity, special_use, object_id)
    SELECT $1, $2, GREATEST($3::bigint, coalesce(max(uid_validity), 0) + 1), $4, $5 FROM mailboxes WHERE account_id = $1
    ON CONFLICT (account_id, name) DO NOTHING RETURNING id`, [accountId, name, nextUidValidity(), specialUse, newMailboxObjectId()]);
  return r.rows[0]?.id ?? null;
}

/**
 * Takes `n` consecutive UIDs and MODSEQs of a mailbox: the UPDATE holds the mailbox row lock to
 * the commit, so concurrent deliveries from any node get distinct, increasing UIDs and the
 * order of UIDs is the order of commits per mailbox.
 */
export async function allocate(c: Sql, mailboxId: number, n = 1): Promise<{ uid: number; modseq: number }> {
  const r = await c.query<{ uid: number; modseq: number }>(`UPDATE mailboxes SET uid_next = uid_next + $2, highest_modseq = highest_modseq + $2
    WHERE id = $1 RETURNING uid_next - $2 AS uid, highest_modseq - $2 + 1 AS modseq`, [mailboxId, n]);
  if (!r.rows.length) throw new Error(`mailbox ${mailboxId} is gone`);
  return r.rows[0];
}

/** A new MODSEQ for a change of the mailbox (flags, expunge). */
export async function bump(c: Sql, mailboxId: number): Promise<number> {
  const r = await c.query<{ m: number }>('UPDATE mailboxes SET highest_modseq = highest_modseq + 1 WHERE id = $1 RETURNING highest_modseq AS m', [mailboxId]);
  return r.rows[0]?.m ?? 0;
}
