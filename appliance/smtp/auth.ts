/**
 * SMTP AUTH (RFC 4954): PLAIN and LOGIN checked against the account's password hash;
 * CRAM-MD5 (RFC 2195) only for accounts flagged for APOP/CRAM-MD5, whose clear secret is
 * kept for that purpose. Failures are throttled per client IP and per login name
 * (auth-throttle.ts) and answered after a fixed delay.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { SMTPServerAuthentication, SMTPServerAuthenticationResponse, SMTPServerSession } from 'smtp-server';
import type { SmtpContext } from './context.ts';
import { authenticate, resolveLogin } from '../auth/login.ts';
import { verifyAgainstDummy } from '../auth/passwords.ts';
import { connectionOf } from './session.ts';
import { REPLIES, toSmtpError, verdictToReply } from './replies.ts';
import type { Account } from '../../core/store/ports.ts';
import { AuthThrottle } from './auth-throttle.ts';

/** One throttle for every listener of an appliance. */
const throttles = new WeakMap<SmtpContext, AuthThrottle>();

async function check(ctx: SmtpContext, auth: SMTPServerAuthentication): Promise<Account | null> {
  const login = auth.username ?? '';
  if (auth.method === 'CRAM-MD5') {
    const address = await resolveLogin(ctx.stores, login);
    const account = address ? await ctx.stores.accounts.get(address) : null;
    const secret = account ? await ctx.stores.accounts.getSecret(account.id) : null;
    if (!account || !secret) {
      await verifyAgainstDummy(auth.challengeResponse ?? '');
      return null;
    }
    return auth.validatePassword(secret) ? account : null;
  }
  return authenticate(ctx.stores, login, auth.password ?? '');
}

export function onAuth(ctx: SmtpContext) {
  return (auth: SMTPServerAuthentication, session: SMTPServerSession,
    callback: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void): void => {
    const conn = connectionOf(session);
    const limits = ctx.config.smtp.auth.throttle;
    let throttle = throttles.get(ctx);
    if (!throttle) throttles.set(ctx, (throttle = new AuthThrottle(limits)));
    const login = auth.username ?? '';
    (async () => {
      if (throttle.blocked(conn.remoteAddress, login)) {
        conn.log.warn({ method: auth.method, login }, 'smtp auth throttled');
        return callback(toSmtpError(REPLIES.authThrottled()));
      }
      const account = await check(ctx, auth);
      // ML-2: ID = a list name with its post password lets the session post to that list only
      const list = !account && auth.method !== 'CRAM-MD5' ? await ctx.stores.lists?.verifyPoster(login, auth.password ?? '') : null;
      if (list) {
        throttle.succeed(login);
        conn.listPoster = list;
        conn.log.info({ method: auth.method, list }, 'smtp auth ok (list post password)');
        return callback(null, { user: login });
      }
      if (!account) {
        throttle.fail(conn.remoteAddress, login);
        conn.log.info({ method: auth.method, login }, 'smtp auth failed');
        await sleep(limits.failureDelayMs);
        return callback(toSmtpError(REPLIES.authFailed()));
      }
      throttle.succeed(login);
      const address = `${account.name}@${account.domain}`;
      conn.user = { login: auth.username ?? address, address, accountId: account.id };
      const verdict = await ctx.hooks.run('auth', { conn, method: auth.method, login: auth.username ?? '' });
      const reply = verdictToReply(verdict);
      if (reply) {
        conn.user = undefined;
        return callback(toSmtpError(reply));
      }
      conn.relaying = true;
      conn.log.info({ method: auth.method, user: address }, 'smtp auth ok');
      callback(null, { user: address });
    })().catch((err) => {
      conn.log.error({ err }, 'smtp auth error');
      callback(toSmtpError({ code: 454, enhanced: '4.7.0', message: 'Temporary authentication failure' }));
    });
  };
}
