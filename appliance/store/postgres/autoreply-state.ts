/** The auto-reply plugin's runtime state in the cluster store (table autoreply_state, AR-1). */
import type { AutoreplyStateStore, RepliedAddress } from '../../../core/store/ports.ts';
import type { PgDb } from './database.ts';

export class PgAutoreplyState implements AutoreplyStateStore {
  constructor(private readonly db: PgDb) {}

  /** One statement decides and records: two nodes delivering at once cannot both reply. */
  async claimReply(accountId: number, address: string, opts: { now: Date; periodMs: number; record: boolean; neverAgain: boolean }): Promise<boolean> {
    const now = opts.now.getTime();
    const rows = await this.db.q(`INSERT INTO autoreply_state (account_id, address, last_reply, replies, recorded, never_again)
      VALUES ($1, $2, $3, 1, $4, $5)
      ON CONFLICT (account_id, address) DO UPDATE SET last_reply = EXCLUDED.last_reply, replies = autoreply_state.replies + 1,
        recorded = autoreply_state.recorded OR EXCLUDED.recorded, never_again = autoreply_state.never_again OR EXCLUDED.never_again
      WHERE NOT autoreply_state.never_again AND ($6::bigint <= 0 OR autoreply_state.last_reply <= $3::bigint - $6::bigint)
      RETURNING 1`, [accountId, address.toLowerCase(), now, opts.record, opts.neverAgain, opts.periodMs]);
    return rows.length > 0;
  }

  async list(accountId: number): Promise<RepliedAddress[]> {
    return (await this.db.q<{ address: string; last_reply: number; replies: number; recorded: boolean; never_again: boolean }>(
      'SELECT * FROM autoreply_state WHERE account_id = $1 ORDER BY address COLLATE "C"', [accountId])).map((r) => ({
      address: r.address, lastReply: new Date(r.last_reply), replies: r.replies, recorded: r.recorded, neverAgain: r.never_again,
    }));
  }

  async forget(accountId: number, address?: string): Promise<number> {
    const rows = address === undefined
      ? await this.db.q('DELETE FROM autoreply_state WHERE account_id = $1 RETURNING 1', [accountId])
      : await this.db.q('DELETE FROM autoreply_state WHERE account_id = $1 AND address = $2 RETURNING 1', [accountId, address.toLowerCase()]);
    return rows.length;
  }
}
