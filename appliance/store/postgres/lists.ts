/** Mailing-list runtime data in the cluster store (same behaviour as embedded/lists.ts). */
import { listKey, ListPosters } from '../shared/list-posters.ts';
import type { ListArticle, ListMember, ListPending, ListStore } from '../../../core/store/ports.ts';
import type { PgDb } from './database.ts';

const key = listKey;

export class PgLists extends ListPosters implements ListStore {
  constructor(private readonly db: PgDb) {
    super();
  }

  async members(list: string): Promise<ListMember[]> {
    return (await this.db.q<{ seq: string; address: string; name: string; bounces: number; disabled: boolean }>(
      'SELECT seq, address, name, bounces, disabled FROM list_members WHERE list = $1 ORDER BY seq', [key(list)]))
      .map((r) => ({ id: Number(r.seq), address: r.address, name: r.name, bounces: r.bounces, disabled: r.disabled }));
  }

  async memberId(list: string, address: string): Promise<number | null> {
    const [row] = await this.db.q<{ seq: string }>('SELECT seq FROM list_members WHERE list = $1 AND addr_key = $2', [key(list), key(address)]);
    return row ? Number(row.seq) : null;
  }

  async isMember(list: string, address: string): Promise<boolean> {
    return (await this.db.q('SELECT 1 FROM list_members WHERE list = $1 AND addr_key = $2', [key(list), key(address)])).length > 0;
  }

  async addMember(list: string, m: ListMember): Promise<boolean> {
    const added = await this.db.q(`INSERT INTO list_members (list, addr_key, address, name) VALUES ($1, $2, $3, $4)
      ON CONFLICT (list, addr_key) DO NOTHING RETURNING seq`, [key(list), key(m.address), m.address, m.name]);
    if (added.length) return true;
    // adding a member again (CLI add, a confirmed JOIN) renames it and enables it again after bounces
    await this.db.q(`UPDATE list_members SET name = CASE WHEN $3 <> '' THEN $3 ELSE name END, disabled = false, bounces = 0
      WHERE list = $1 AND addr_key = $2`, [key(list), key(m.address), m.name]);
    return false;
  }

  async recordBounce(list: string, address: string): Promise<number | null> {
    const [row] = await this.db.q<{ bounces: number }>('UPDATE list_members SET bounces = bounces + 1 WHERE list = $1 AND addr_key = $2 RETURNING bounces',
      [key(list), key(address)]);
    return row?.bounces ?? null;
  }

  async setDisabled(list: string, address: string, disabled: boolean): Promise<boolean> {
    const q = disabled ? 'UPDATE list_members SET disabled = true WHERE list = $1 AND addr_key = $2 RETURNING 1'
      : 'UPDATE list_members SET disabled = false, bounces = 0 WHERE list = $1 AND addr_key = $2 RETURNING 1';
    return (await this.db.q(q, [key(list), key(address)])).length > 0;
  }

  async removeMember(list: string, address: string): Promise<boolean> {
    return (await this.db.q('DELETE FROM list_members WHERE list = $1 AND addr_key = $2 RETURNING 1', [key(list), key(address)])).length > 0;
  }

  async replaceMembers(list: string, members: ListMember[]): Promise<void> {
    await this.db.tx(async (c) => {
      const seen = new Set<string>();
      const unique = members.filter((m) => !seen.has(key(m.address)) && seen.add(key(m.address)));
      await c.query('DELETE FROM list_members WHERE list = $1 AND NOT (addr_key = ANY($2::text[]))', [key(list), unique.map((m) => key(m.address))]);
      // a member that stays keeps its row (its subscription id); the import resets its bounce state
      for (const m of unique) {
        await c.query(`INSERT INTO list_members (list, addr_key, address, name) VALUES ($1, $2, $3, $4)
          ON CONFLICT (list, addr_key) DO UPDATE SET address = EXCLUDED.address, name = EXCLUDED.name, bounces = 0, disabled = false`,
        [key(list), key(m.address), m.address, m.name]);
      }
    }, 'list member import');
  }

  async nextCounter(list: string, start: number): Promise<number> {
    const [row] = await this.db.q<{ counter: number }>(`INSERT INTO list_counters (list, counter) VALUES ($1, $2::bigint + 1)
      ON CONFLICT (list) DO UPDATE SET counter = GREATEST(list_counters.counter, $2::bigint) + 1 RETURNING counter`, [key(list), start]);
    return row.counter;
  }

  async archive(list: string, a: ListArticle, content: Buffer): Promise<void> {
    await this.db.q(`INSERT INTO list_archive (list, n, subject, sender, date, content) VALUES ($1, $2, $3, $4, $5, $6)
      ON CONFLICT (list, n) DO UPDATE SET subject = EXCLUDED.subject, sender = EXCLUDED.sender, date = EXCLUDED.date, content = EXCLUDED.content`,
    [key(list), a.n, a.subject, a.from, a.date.getTime(), content]);
  }

  async articles(list: string): Promise<ListArticle[]> {
    return (await this.db.q<{ n: number; subject: string; sender: string; date: number }>(
      'SELECT n, subject, sender, date FROM list_archive WHERE list = $1 ORDER BY n', [key(list)]))
      .map((r) => ({ n: r.n, subject: r.subject, from: r.sender, date: new Date(r.date) }));
  }

  async article(list: string, n: number): Promise<Buffer | null> {
    const [row] = await this.db.q<{ content: Buffer }>('SELECT content FROM list_archive WHERE list = $1 AND n = $2', [key(list), n]);
    return row?.content ?? null;
  }

  async deleteArticles(list: string, numbers: number[]): Promise<number> {
    if (!numbers.length) return 0;
    return (await this.db.q('DELETE FROM list_archive WHERE list = $1 AND n = ANY($2::bigint[]) RETURNING 1', [key(list), numbers])).length;
  }

  async addKey(list: string, k: string, expires: Date): Promise<void> {
    await this.db.q('INSERT INTO list_keys (list, key, expires) VALUES ($1, $2, $3) ON CONFLICT (list, key) DO UPDATE SET expires = EXCLUDED.expires',
      [key(list), k, expires.getTime()]);
  }

  async validKey(list: string, k: string, now = new Date()): Promise<boolean> {
    return (await this.db.q('SELECT 1 FROM list_keys WHERE list = $1 AND key = $2 AND expires > $3', [key(list), k, now.getTime()])).length > 0;
  }

  async addPending(p: ListPending): Promise<void> {
    await this.db.q('INSERT INTO list_pending (token, list, action, address, stage, expires) VALUES ($1, $2, $3, $4, $5, $6)',
      [p.token, key(p.list), p.action, p.address, p.stage, p.expires.getTime()]);
  }

  async takePending(token: string, now = new Date()): Promise<ListPending | null> {
    const [row] = await this.db.q<{ token: string; list: string; action: 'JOIN' | 'LEAVE'; address: string; stage: 'member' | 'admin'; expires: number }>(
      'DELETE FROM list_pending WHERE token = $1 RETURNING *', [token]);
    if (!row || row.expires <= now.getTime()) return null;
    return { ...row, expires: new Date(row.expires) };
  }
}
