/**
 * Failed-AUTH throttling (RX-4): sliding-window failure counts per client IP and per login
 * name. The login key is the name as typed (normalized), never the account it resolves to, so
 * throttling behaves the same for accounts that do not exist (no oracle on existence).
 */
export interface ThrottleLimits {
  maxFailuresPerIp: number;
  maxFailuresPerLogin: number;
  windowMs: number;
}

/** Bounded so a flood of distinct names cannot grow memory without limit. */
const MAX_KEYS = 50_000;

export class AuthThrottle {
  private readonly failures = new Map<string, number[]>();
  constructor(private readonly limits: ThrottleLimits, private readonly now = () => Date.now()) {}

  static loginKey(login: string): string {
    return login.trim().toLowerCase().replace('%', '@');
  }

  private recent(key: string): number[] {
    const since = this.now() - this.limits.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** True when AUTH from this IP or for this login must be refused for now. */
  blocked(ip: string, login: string): boolean {
    return this.recent(`ip:${ip}`).length >= this.limits.maxFailuresPerIp
      || this.recent(`login:${AuthThrottle.loginKey(login)}`).length >= this.limits.maxFailuresPerLogin;
  }

  fail(ip: string, login: string): void {
    for (const key of [`ip:${ip}`, `login:${AuthThrottle.loginKey(login)}`]) {
      const list = this.recent(key);
      list.push(this.now());
      this.failures.delete(key); // re-insert: the map's order is least recently failed first
      this.failures.set(key, list);
    }
    while (this.failures.size > MAX_KEYS) this.failures.delete(this.failures.keys().next().value as string);
  }

  /** A successful login clears its name's failures (the IP's stay: one good account must not unlock guessing). */
  succeed(login: string): void {
    this.failures.delete(`login:${AuthThrottle.loginKey(login)}`);
  }
}
