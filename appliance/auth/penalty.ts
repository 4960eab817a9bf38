/**
 * Failed-login penalty per (client IP, login name), as Dovecot's auth_penalty: each failure
 * doubles the wait before the next attempt for the same pair is checked (initial, 2×, 4× …
 * up to the maximum); a success clears the pair. Nothing is ever refused, so the right
 * password always gets in, and failures from other IPs cannot delay (or lock out) a user.
 * The login key is the name as typed (normalized), not the account, so unknown names behave
 * the same. The table is bounded: least recently failed pairs are dropped first. With several
 * workers on a node, every outcome is also told to the others (`share`, set by
 * appliance/workers/shared-penalty.ts), so a guesser gains nothing by landing on another worker.
 */
export interface PenaltySettings {
  initialDelayMs: number;
  maxDelayMs: number;
  forgetAfterMs: number;
  maxEntries: number;
}

interface Entry { failures: number; last: number }

export type PenaltyOutcome = 'fail' | 'succeed';

export class AuthPenalty {
  private readonly entries = new Map<string, Entry>();
  /** Told every outcome recorded here (not those recorded with `fromPeer`). */
  share?: (outcome: PenaltyOutcome, ip: string, login: string) => void;

  constructor(private readonly settings: () => PenaltySettings, private readonly now = () => Date.now()) {}

  static key(ip: string, login: string): string {
    return `${ip}\0${login.trim().toLowerCase().replace('%', '@')}`;
  }

  private entry(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e && this.now() - e.last > this.settings().forgetAfterMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /** How long an attempt for this pair waits before its password is checked (0 = none). */
  delayMs(ip: string, login: string): number {
    const e = this.entry(AuthPenalty.key(ip, login));
    if (!e) return 0;
    const { initialDelayMs, maxDelayMs } = this.settings();
    return Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(e.failures - 1, 30));
  }

  fail(ip: string, login: string, fromPeer = false): void {
    if (!fromPeer) this.share?.('fail', ip, login);
    const key = AuthPenalty.key(ip, login);
    const failures = (this.entry(key)?.failures ?? 0) + 1;
    this.entries.delete(key); // re-insert: the map's order is least recently failed first
    this.entries.set(key, { failures, last: this.now() });
    const max = this.settings().maxEntries;
    while (this.entries.size > max) this.entries.delete(this.entries.keys().next().value as string);
  }

  succeed(ip: string, login: string, fromPeer = false): void {
    // every failure is told to every worker, so a pair none of them penalizes has no entry here
    // either: its success is not worth a message to each (the common login). A failure still in
    // flight from another worker can then outlive the success there: one delayed attempt at most
    const known = this.entries.delete(AuthPenalty.key(ip, login));
    if (!fromPeer && known) this.share?.('succeed', ip, login);
  }

  get size(): number {
    return this.entries.size;
  }
}
