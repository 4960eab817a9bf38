/** Mailing-list runtime data in the embedded store (tables of the "Mailing lists" migration in schema.ts). */
import { listKey, ListPosters } from '../shared/list-posters.ts';
import { sql, type Db } from './database.ts';
import type { ListArticle, ListMember, ListPending, ListStore } from '../../../core/store/ports.ts';

const key = listKey;

export class EmbeddedLists extends ListPosters implements ListStore {
  constructor(private readonly db: Db) {
    super();
  }

  async members(list: string): Promise<ListMember[]> {
    return sql<[string], { seq: number; address: string; name: string; bounces: number; disabled: number }>(this.db,
      'SELECT seq, address, name, bounces, disabled FROM list_members WHERE list = ? ORDER BY seq').all(key(list))
      .map((r) => ({ id: r.seq, address: r.address, name: r.name, bounces: r.bounces, disabled: !!r.disabled }));
  }

  async memberId(list: string, address: string): Promise<number | null> {
    return sql<[string, string], { seq: number }>(this.db, 'SELECT seq FROM list_members WHERE list = ? AND addr_key = ?').get(key(list), key(address))?.seq ?? null;
  }

  async isMember(list: string, address: string): Promise<boolean> {
    return !!sql(this.db, 'SELECT 1 FROM list_members WHERE list = ? AND addr_key = ?').get(key(list), key(address));
  }

  async addMember(list: string, m: ListMember): Promise<boolean> {
    const had = await this.isMember(list, m.address);
    if (had) sql(this.db, 'UPDATE list_members SET name = ? WHERE list = ? AND addr_key = ? AND ? <> \'\'').run(m.name, key(list), key(m.address), m.name);
    // adding a member again (CLI add, a confirmed JOIN) enables it again after bounces
    if (had) await this.setDisabled(list, m.address, false);
    else sql(this.db, 'INSERT INTO list_members (list, addr_key, address, name) VALUES (?, ?, ?, ?)').run(key(list), key(m.address), m.address, m.name);
    return !had;
  }

  async recordBounce(list: string, address: string): Promise<number | null> {
    const row = sql<[string, string], { bounces: number }>(this.db,
      'UPDATE list_members SET bounces = bounces + 1 WHERE list = ? AND addr_key = ? RETURNING bounces').get(key(list), key(address));
    return row?.bounces ?? null;
  }

  async setDisabled(list: string, address: string, disabled: boolean): Promise<boolean> {
    const q = disabled ? 'UPDATE list_members SET disabled = 1 WHERE list = ? AND addr_key = ?'
      : 'UPDATE list_members SET disabled = 0, bounces = 0 WHERE list = ? AND addr_key = ?';
    return sql(this.db, q).run(key(list), key(address)).changes > 0;
  }

  async removeMember(list: string, address: string): Promise<boolean> {
    return sql(this.db, 'DELETE FROM list_members WHERE list = ? AND addr_key = ?').run(key(list), key(address)).changes > 0;
  }

  async replaceMembers(list: string, members: ListMember[]): Promise<void> {
    this.db.transaction(() => {
      const keep = new Set(members.map((m) => key(m.address)));
      const del = sql(this.db, 'DELETE FROM list_members WHERE list = ? AND addr_key = ?');
      for (const r of sql<[string], { addr_key: string }>(this.db, 'SELECT addr_key FROM list_members WHERE list = ?').all(key(list))) {
        if (!keep.has(r.addr_key)) del.run(key(list), r.addr_key);
      }
      // a member that stays keeps its row (its subscription id); the import resets its bounce state
      const ins = sql(this.db, `INSERT INTO list_members (list, addr_key, address, name) VALUES (?, ?, ?, ?)
        ON CONFLICT (list, addr_key) DO UPDATE SET address = excluded.address, name = excluded.name, bounces = 0, disabled = 0`);
      const seen = new Set<string>();
      for (const m of members) if (!seen.has(key(m.address)) && seen.add(key(m.address))) ins.run(key(list), key(m.address), m.address, m.name);
    }).immediate();
  }

  async nextCounter(list: string, start: number): Promise<number> {
    return this.db.transaction(() => {
      sql(this.db, 'INSERT OR IGNORE INTO list_counters (list, counter) VALUES (?, ?)').run(key(list), start);
      const row = sql<[number, string], { counter: number }>(this.db,
        'UPDATE list_counters SET counter = max(counter, ?) + 1 WHERE list = ? RETURNING counter').get(start, key(list));
      return row!.counter;
    }).immediate();
  }

  async archive(list: string, a: ListArticle, content: Buffer): Promise<void> {
    sql(this.db, 'INSERT OR REPLACE INTO list_archive (list, n, subject, sender, date, content) VALUES (?, ?, ?, ?, ?, ?)')
      .run(key(list), a.n, a.subject, a.from, a.date.getTime(), content);
  }

  async articles(list: string): Promise<ListArticle[]> {
    return sql<[string], { n: number; subject: string; sender: string; date: number }>(this.db,
      'SELECT n, subject, sender, date FROM list_archive WHERE list = ? ORDER BY n').all(key(list))
      .map((r) => ({ n: r.n, subject: r.subject, from: r.sender, date: new Date(r.date) }));
  }

  async article(list: string, n: number): Promise<Buffer | null> {
    const row = sql<[string, number], { content: Buffer }>(this.db, 'SELECT content FROM list_archive WHERE list = ? AND n = ?').get(key(list), n);
    return row?.content ?? null;
  }

  async deleteArticles(list: string, numbers: number[]): Promise<number> {
    let removed = 0;
    this.db.transaction(() => {
      for (const n of numbers) removed += sql(this.db, 'DELETE FROM list_archive WHERE list = ? AND n = ?').run(key(list), n).changes;
    }).immediate();
    return removed;
  }

  async addKey(list: string, k: string, expires: Date): Promise<void> {
    sql(this.db, 'INSERT OR REPLACE INTO list_keys (list, key, expires) VALUES (?, ?, ?)').run(key(list), k, expires.getTime());
  }

  async validKey(list: string, k: string, now = new Date()): Promise<boolean> {
    return !!sql(this.db, 'SELECT 1 FROM list_keys WHERE list = ? AND key = ? AND expires > ?').get(key(list), k, now.getTime());
  }

  async addPending(p: ListPending): Promise<void> {
    sql(this.db, 'INSERT INTO list_pending (token, list, action, address, stage, expires) VALUES (?, ?, ?, ?, ?, ?)')
      .run(p.token, key(p.list), p.action, p.address, p.stage, p.expires.getTime());
  }

  async takePending(token: string, now = new Date()): Promise<ListPending | null> {
    const row = sql<[string], { token: string; list: string; action: 'JOIN' | 'LEAVE'; address: string; stage: 'member' | 'admin'; expires: number }>(this.db,
      'DELETE FROM list_pending WHERE token = ? RETURNING *').get(token);
    if (!row || row.expires <= now.getTime()) return null;
    return { ...row, expires: new Date(row.expires) };
  }
}
