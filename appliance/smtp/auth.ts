/**
 * SMTP AUTH (RFC 4954): PLAIN and LOGIN checked against the account's password hash;
 * CRAM-MD5 (RFC 2195) only for accounts flagged for APOP/CRAM-MD5, whose clear secret is
 * kept for that purpose. Every check goes through the appliance's login guard
 * (appliance/auth/guard.ts): the (IP, login) penalty delays a pair that failed before, and
 * the hashing cap answers 454 when too many checks are in progress. A failure is answered
 * after smtp.auth.failureDelayMs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { SMTPServerAuthentication, SMTPServerAuthenticationResponse, SMTPServerSession } from 'smtp-server';
import type { SmtpContext } from './context.ts';
import { authenticate, resolveLogin } from '../auth/login.ts';
import { verifyAgainstDummy } from '../auth/passwords.ts';
import { AuthGuard } from '../auth/guard.ts';
import { connectionOf } from './session.ts';
import { REPLIES, toSmtpError, verdictToReply } from './replies.ts';
import type { Account } from '../../core/store/ports.ts';

/** A context built without the appliance's guard (tests of the listener alone) gets one of its own. */
const ownGuards = new WeakMap<SmtpContext, AuthGuard>();
function guardOf(ctx: SmtpContext): AuthGuard {
  if (ctx.auth) return ctx.auth;
  let g = ownGuards.get(ctx);
  if (!g) ownGuards.set(ctx, (g = new AuthGuard(ctx.config.auth)));
  return g;
}

type Checked = { account: Account } | { list: string };

/**
 * The credential check. `cramWithoutSecret` is set when CRAM-MD5 was tried for a login that
 * has no CRAM secret (unknown, or not an --auth-apop account): it can never succeed, so it is
 * not counted as a failed guess (a client that prefers CRAM-MD5 falls back to PLAIN at once).
 */
async function check(ctx: SmtpContext, auth: SMTPServerAuthentication, flags: { cramWithoutSecret: boolean }): Promise<Checked | null> {
  const login = auth.username ?? '';
  if (auth.method === 'CRAM-MD5') {
    const address = await resolveLogin(ctx.stores, login);
    const account = address ? await ctx.stores.accounts.get(address) : null;
    const secret = account ? await ctx.stores.accounts.getSecret(account.id) : null;
    if (!account || !secret) {
      flags.cramWithoutSecret = true;
      await verifyAgainstDummy(auth.challengeResponse ?? '');
      return null;
    }
    return auth.validatePassword(secret) ? { account } : null;
  }
  const account = await authenticate(ctx.stores, login, auth.password ?? '');
  if (account) return { account };
  // ML-2: ID = a list name with its post password lets the session post to that list only
  const list = await ctx.stores.lists?.verifyPoster(login, auth.password ?? '');
  return list ? { list } : null;
}

export function onAuth(ctx: SmtpContext) {
  return (auth: SMTPServerAuthentication, session: SMTPServerSession,
    callback: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void): void => {
    const conn = connectionOf(session);
    const login = auth.username ?? '';
    // where the AUTH happened, for the operator: on TLS or not, and on which listener
    const where = { tls: conn.secure, port: conn.localPort, submission: conn.submission || undefined };
    (async () => {
      const flags = { cramWithoutSecret: false };
      const result = await guardOf(ctx).attempt(conn.remoteAddress, login, () => check(ctx, auth, flags), {
        countFailure: () => !flags.cramWithoutSecret,
        protocol: 'smtp',
      });
      if (result.kind === 'busy') {
        conn.log.warn({ method: auth.method, login }, 'smtp auth: too many password checks in progress');
        return callback(toSmtpError(REPLIES.authBusy()));
      }
      if (result.kind === 'failed') {
        conn.log.info({ method: auth.method, login, penaltyMs: result.delayedMs, ...where }, 'smtp auth failed');
        await sleep(ctx.config.smtp.auth.failureDelayMs);
        return callback(toSmtpError(REPLIES.authFailed()));
      }
      const checked = result.value;
      if ('list' in checked) {
        conn.listPoster = checked.list;
        conn.log.info({ method: auth.method, list: checked.list, ...where }, 'smtp auth ok (list post password)');
        return callback(null, { user: login });
      }
      const { account } = checked;
      const address = `${account.name}@${account.domain}`;
      conn.user = { login: auth.username ?? address, address, accountId: account.id };
      const verdict = await ctx.hooks.run('auth', { conn, method: auth.method, login: auth.username ?? '' });
      const reply = verdictToReply(verdict);
      if (reply) {
        conn.user = undefined;
        return callback(toSmtpError(reply));
      }
      conn.relaying = true;
      conn.log.info({ method: auth.method, user: address, penaltyMs: result.delayedMs || undefined, ...where }, 'smtp auth ok');
      callback(null, { user: address });
    })().catch((err) => {
      conn.log.error({ err }, 'smtp auth error');
      callback(toSmtpError(REPLIES.authBusy()));
    });
  };
}
