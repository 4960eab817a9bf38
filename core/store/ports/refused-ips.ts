/** The refused-IP port: client IPs refused at runtime, kept across restarts. */

export interface RefusedIp {
  ip: string;
  /** Why it was added (e.g. the mail filter rule). */
  reason: string;
  added: Date;
}

/** Runtime additions to the relay rules: client IPs refused from now on, kept across restarts. */
export interface RefusedIpStore {
  /** Adds an IP; false when it was listed already. */
  add(ip: string, reason: string): Promise<boolean>;
  has(ip: string): Promise<boolean>;
  list(): Promise<RefusedIp[]>;
  remove(ip: string): Promise<boolean>;
}
