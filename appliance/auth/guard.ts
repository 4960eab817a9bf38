/**
 * The one login guard of an appliance, shared by SMTP AUTH, IMAP, POP3 and the HTTP config
 * endpoint and by every config generation: the (IP, login) penalty (penalty.ts) and the cap on
 * concurrent password hashing (hash-gate.ts). Protocols call attempt() around their credential
 * check and map its result to their replies.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Value } from '@sinclair/typebox/value';
import type { Static } from '@sinclair/typebox';
import { AuthConfig } from '../../core/config/auth.ts';
import { AuthPenalty } from './penalty.ts';
import { HashBusy, HashGate } from './hash-gate.ts';
import { metrics } from '../metrics/index.ts';

export type AuthSettings = Static<typeof AuthConfig>;

export type AttemptResult<T> =
  | { kind: 'ok'; value: T; delayedMs: number }
  | { kind: 'failed'; delayedMs: number }
  /** The hashing queue is full: a temporary failure, not counted as a failed login. */
  | { kind: 'busy'; delayedMs: number };

export class AuthGuard {
  private settings: AuthSettings;
  readonly penalty: AuthPenalty;
  readonly hashing: HashGate;

  constructor(settings?: AuthSettings) {
    this.settings = settings ?? (Value.Default(AuthConfig, {}) as AuthSettings);
    this.penalty = new AuthPenalty(() => this.settings.penalty);
    this.hashing = new HashGate(() => this.settings);
  }

  /** A new config generation's settings (the counts carry over). */
  configure(settings: AuthSettings): void {
    this.settings = settings;
  }

  /**
   * Waits out the pair's penalty, then runs `verify` (null = wrong credentials) under the
   * hashing cap, and records the outcome for the pair.
   */
  async attempt<T>(ip: string, login: string, verify: () => Promise<T | null>, opts: { countFailure?: () => boolean; protocol?: string } = {}): Promise<AttemptResult<T>> {
    const delayedMs = this.penalty.delayMs(ip, login);
    if (delayedMs > 0) await sleep(delayedMs);
    let value: T | null;
    try {
      value = await this.hashing.run(verify);
    } catch (err) {
      if (err instanceof HashBusy) {
        metrics.authAttempt(opts.protocol ?? 'other', 'busy');
        return { kind: 'busy', delayedMs };
      }
      throw err;
    }
    if (value === null) {
      if (opts.countFailure?.() ?? true) this.penalty.fail(ip, login);
      metrics.authAttempt(opts.protocol ?? 'other', 'failed');
      return { kind: 'failed', delayedMs };
    }
    this.penalty.succeed(ip, login);
    metrics.authAttempt(opts.protocol ?? 'other', 'ok');
    return { kind: 'ok', value, delayedMs };
  }
}
