/**
 * What every POP3 login does once the credentials were checked (USER/PASS, APOP, AUTH PLAIN):
 * account policy (AC-7 POP3 disabled, PO-1 APOP exclusive), the core `auth` hook, the
 * maildrop lock and the INBOX snapshot. Policy is checked only after the credentials, so a
 * reply never tells whether an account exists.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Account } from '../../core/store/ports.ts';
import { Maildrop } from './maildrop.ts';
import { R } from './replies.ts';
import type { Pop3Session } from './types.ts';

export type LoginMethod = 'USER' | 'APOP' | 'PLAIN';

/**
 * A refused login: answered after a delay, counted, and after maxAuthFailures the
 * connection is closed.
 */
export async function refuseLogin(s: Pop3Session, method: LoginMethod, login: string, reason: string, reply: string): Promise<void> {
  s.authFailures++;
  s.conn.log.info({ method, login, reason, failures: s.authFailures }, 'pop3 login failed');
  await sleep(s.env.limits.authFailureDelayMs);
  if (s.closed) return;
  if (s.authFailures >= s.env.limits.maxAuthFailures) return s.end(reason === 'bad credentials' ? R.authFailedClosing() : reply);
  await s.write(reply);
}

/**
 * Checks credentials through the login guard (the (IP, login) penalty, the hashing cap), then
 * completes the login; a full hashing queue is a temporary failure, not a failed login.
 */
export async function guardedLogin(s: Pop3Session, method: LoginMethod, login: string, verify: () => Promise<Account | null>): Promise<void> {
  const result = await s.env.auth.attempt(s.conn.remoteAddress, login, verify, { protocol: 'pop3' });
  if (s.closed) return;
  if (result.kind === 'busy') {
    s.conn.log.warn({ method, login }, 'pop3 login: too many password checks in progress');
    return s.write(R.authBusy());
  }
  return completeLogin(s, method, login, result.kind === 'ok' ? result.value : null);
}

/** Completes a login; `account` is null when the credentials were wrong. */
export async function completeLogin(s: Pop3Session, method: LoginMethod, login: string, account: Account | null): Promise<void> {
  if (!account) return refuseLogin(s, method, login, 'bad credentials', R.authFailed());
  if (account.pop3Disabled) return refuseLogin(s, method, login, 'pop3 disabled', R.pop3Disabled());
  if (method !== 'APOP' && account.apop && s.env.config.apopExclusive) {
    return refuseLogin(s, method, login, 'apop exclusive', R.apopRequired());
  }
  const verdict = await s.env.hooks.run('auth', { conn: s.conn, method, login });
  if (verdict.kind === 'reject') return refuseLogin(s, method, login, 'auth hook', R.authRefused(verdict));
  if (verdict.kind === 'disconnect') return s.end(R.authRefused(verdict));

  const address = `${account.name}@${account.domain}`;
  if (s.ticket && !(await s.ticket.loginSettled(address, s.env.config.maxUserIpSessions))) {
    s.conn.log.warn({ method, user: address }, 'pop3 too many sessions for this user from this IP');
    return s.write(R.tooManyUserIp());
  }
  let release: (() => void) | null;
  try {
    release = await s.env.locks.acquire(account.id);
  } catch (err) {
    // the cluster store cannot take the lock (PostgreSQL unreachable): a temporary failure
    s.conn.log.error({ err, user: address }, 'pop3 cannot lock the maildrop');
    return s.write(R.maildropFailed());
  }
  if (s.closed) return release?.();
  if (!release) {
    s.conn.log.info({ method, user: address }, 'pop3 maildrop in use');
    return s.write(R.inUse());
  }
  s.holdLock(release);
  let maildrop: Maildrop;
  try {
    maildrop = await Maildrop.open(s.env.stores.mail, account.id);
  } catch (err) {
    release();
    s.conn.log.error({ err, user: address }, 'pop3 cannot open maildrop');
    return s.write(R.maildropFailed());
  }
  if (s.closed) return release();
  s.enterTransaction({ login, address, accountId: account.id }, maildrop);
  const { count, octets } = maildrop.stat();
  // enterTransaction bound `user` to the session's logger: every line from here on carries it once
  s.conn.log.info({ method, messages: count, octets, secure: s.conn.secure }, 'pop3 login');
  await s.write(R.loggedIn(count, octets));
}
