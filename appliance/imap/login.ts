/**
 * Completing a login for LOGIN and AUTHENTICATE: account checks (AC-7 IMAP disabled), the
 * core 'auth' hook, a delay and a limit on failures.
 */
import type { Account } from '../../core/store/ports.ts';
import { capabilities, R } from './replies.ts';
import type { Completion, ImapSession } from './types.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function refuse(s: ImapSession, login: string, reason: string, reply: Completion): Promise<Completion | null> {
  s.authFailures++;
  s.conn.log.info({ login, reason, failures: s.authFailures }, 'imap login failed');
  await sleep(s.env.limits.authFailureDelayMs);
  if (s.authFailures >= s.env.limits.maxAuthFailures) {
    await s.end(R.authFailedClosing());
    return null;
  }
  return reply;
}

/**
 * Checks credentials through the login guard (the (IP, login) penalty, the hashing cap), then
 * completes the login; a full hashing queue is a temporary failure, not a failed login.
 */
export async function guardedLogin(s: ImapSession, method: string, login: string, verify: () => Promise<Account | null>): Promise<Completion | null> {
  const result = await s.env.auth.attempt(s.conn.remoteAddress, login, verify, { protocol: 'imap' });
  if (result.kind === 'busy') {
    s.conn.log.warn({ method, login }, 'imap login: too many password checks in progress');
    return R.authBusy();
  }
  return completeLogin(s, method, login, result.kind === 'ok' ? result.value : null);
}

export async function completeLogin(s: ImapSession, method: string, login: string, account: Account | null): Promise<Completion | null> {
  if (!account) return refuse(s, login, 'bad credentials', R.authFailed());
  if (account.imapDisabled) return refuse(s, login, 'imap disabled', R.imapDisabled());
  const verdict = await s.env.hooks.run('auth', { conn: s.conn, method, login });
  if (verdict.kind === 'reject') return refuse(s, login, 'auth hook', R.authRefused(verdict));
  if (verdict.kind === 'disconnect') {
    await s.end(R.refused(verdict));
    return null;
  }
  const address = `${account.name}@${account.domain}`;
  if (s.ticket && !(await s.ticket.loginSettled(address, s.env.config.maxUserIpSessions))) {
    s.conn.log.warn({ method, user: address }, 'imap too many sessions for this user from this IP');
    return R.tooManyUserIp();
  }
  s.login(account, { login, address, accountId: account.id });
  // s.login bound `user` to the session's logger: every line from here on carries it once
  s.conn.log.info({ method, secure: s.conn.secure }, 'imap login');
  return R.loggedIn(capabilities(s));
}
