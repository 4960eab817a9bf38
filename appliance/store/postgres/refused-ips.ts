/** Client IPs refused at runtime (mail filter units digit, MF-2), in the cluster store. */
import type { RefusedIp, RefusedIpStore } from '../../../core/store/ports.ts';
import type { PgDb } from './database.ts';

export class PgRefusedIps implements RefusedIpStore {
  constructor(private readonly db: PgDb) {}
  async add(ip: string, reason: string): Promise<boolean> {
    return (await this.db.q('INSERT INTO refused_ips (ip, reason, added) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1', [ip, reason, Date.now()])).length > 0;
  }
  async has(ip: string): Promise<boolean> {
    return (await this.db.q('SELECT 1 FROM refused_ips WHERE ip = $1', [ip])).length > 0;
  }
  async list(): Promise<RefusedIp[]> {
    return (await this.db.q<{ ip: string; reason: string; added: number }>('SELECT ip, reason, added FROM refused_ips ORDER BY added, ip'))
      .map((r) => ({ ip: r.ip, reason: r.reason, added: new Date(r.added) }));
  }
  async remove(ip: string): Promise<boolean> {
    return (await this.db.q('DELETE FROM refused_ips WHERE ip = $1 RETURNING 1', [ip])).length > 0;
  }
}
