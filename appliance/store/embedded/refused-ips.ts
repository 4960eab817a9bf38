/** Client IPs refused at runtime (mail filter units digit, MF-2), in the embedded store. */
import { sql, type Db } from './database.ts';
import type { RefusedIp, RefusedIpStore } from '../../../core/store/ports.ts';

export class EmbeddedRefusedIps implements RefusedIpStore {
  constructor(private readonly db: Db) {}

  async add(ip: string, reason: string): Promise<boolean> {
    return sql(this.db, 'INSERT OR IGNORE INTO refused_ips (ip, reason, added) VALUES (?, ?, ?)').run(ip, reason, Date.now()).changes > 0;
  }

  async has(ip: string): Promise<boolean> {
    return !!sql(this.db, 'SELECT 1 FROM refused_ips WHERE ip = ?').get(ip);
  }

  async list(): Promise<RefusedIp[]> {
    const rows = sql<[], { ip: string; reason: string; added: number }>(this.db, 'SELECT ip, reason, added FROM refused_ips ORDER BY added').all();
    return rows.map((r) => ({ ip: r.ip, reason: r.reason, added: new Date(r.added) }));
  }

  async remove(ip: string): Promise<boolean> {
    return sql(this.db, 'DELETE FROM refused_ips WHERE ip = ?').run(ip).changes > 0;
  }
}
