/**
 * The `auth` section: how every service (SMTP AUTH, IMAP, POP3, the HTTP config endpoint)
 * Treats failed logins and password hashing (appliance/auth/guard.ts).
 */
import os from 'node:os';
import { Type } from '@sinclair/typebox';

export const AuthConfig = Type.Object({
  /**
   * Dovecot's auth_penalty: after a failed login for a login name from an IP, the next attempt
   * for that (IP, login) waits initialDelayMs, doubling with each further failure up to
   * maxDelayMs; a success clears it. A right password is never refused, and failures from
   * other IPs or for other logins never delay this one.
   */
  penalty: Type.Object({
    initialDelayMs: Type.Integer({ minimum: 0, default: 2000 }),
    maxDelayMs: Type.Integer({ minimum: 0, default: 15_000 }),
    /** A (IP, login) pair without failures for this long is forgotten. */
    forgetAfterMs: Type.Integer({ minimum: 1000, default: 3_600_000 }),
    /** (IP, login) pairs remembered; the least recently failed is dropped beyond it. */
    maxEntries: Type.Integer({ minimum: 100, default: 100_000 }),
  }, { default: {} }),
  /** Password checks (scrypt) run at once; default the number of cores. */
  hashConcurrency: Type.Integer({ minimum: 1, default: Math.max(1, os.availableParallelism?.() ?? os.cpus().length) }),
  /** Checks waiting for a slot; one more gets a temporary failure (SMTP 454, IMAP NO [UNAVAILABLE], POP3 -ERR [SYS/TEMP], HTTP 503). */
  hashQueue: Type.Integer({ minimum: 0, default: 64 }),
}, { default: {} });
