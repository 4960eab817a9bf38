/** The auto-reply plugin's runtime state in the embedded store (table autoreply_state). */
import type { AutoreplyStateStore, RepliedAddress } from '../../../core/store/ports.ts';
import { sql, type Db } from './database.ts';

interface Row { address: string; last_reply: number; replies: number; recorded: number; never_again: number }

export class EmbeddedAutoreplyState implements AutoreplyStateStore {
  constructor(private readonly db: Db) {}

  async claimReply(accountId: number, address: string, opts: { now: Date; periodMs: number; record: boolean; neverAgain: boolean }): Promise<boolean> {
    const a = address.toLowerCase();
    const now = opts.now.getTime();
    return this.db.transaction(() => {
      const row = sql<[number, string], Row>(this.db, 'SELECT * FROM autoreply_state WHERE account_id = ? AND address = ?').get(accountId, a);
      if (row?.never_again) return false;
      if (row && opts.periodMs > 0 && row.last_reply > now - opts.periodMs) return false;
      sql(this.db, `INSERT INTO autoreply_state (account_id, address, last_reply, replies, recorded, never_again) VALUES (?, ?, ?, 1, ?, ?)
        ON CONFLICT (account_id, address) DO UPDATE SET last_reply = excluded.last_reply, replies = replies + 1,
          recorded = max(recorded, excluded.recorded), never_again = max(never_again, excluded.never_again)`)
        .run(accountId, a, now, opts.record ? 1 : 0, opts.neverAgain ? 1 : 0);
      return true;
    }).immediate();
  }

  async list(accountId: number): Promise<RepliedAddress[]> {
    return sql<[number], Row>(this.db, 'SELECT * FROM autoreply_state WHERE account_id = ? ORDER BY address').all(accountId).map((r) => ({
      address: r.address, lastReply: new Date(r.last_reply), replies: r.replies, recorded: !!r.recorded, neverAgain: !!r.never_again,
    }));
  }

  async forget(accountId: number, address?: string): Promise<number> {
    const r = address === undefined
      ? sql(this.db, 'DELETE FROM autoreply_state WHERE account_id = ?').run(accountId)
      : sql(this.db, 'DELETE FROM autoreply_state WHERE account_id = ? AND address = ?').run(accountId, address.toLowerCase());
    return r.changes;
  }
}
