/** MAIL FROM and RCPT TO: core hooks first, then local resolution, relay and quota checks. */
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import type { SmtpContext } from './context.ts';
import { beginTransaction, connectionOf, toEnvelopeAddress } from './session.ts';
import { REPLIES, toSmtpError, verdictToReply } from './replies.ts';
import { barePostmaster, postmasterRouting, resolveRecipient } from '../recipients/resolve-recipient.ts';
import { isRelaying, type Recipient } from '../../core/session.ts';
import { ReplyError } from '../../core/errors.ts';
import { ownsSender } from './sender-login.ts';
import { mustOwnSender, unauthenticatedSubmission } from './submission.ts';
import { UsageError } from '../../core/errors.ts';
import { metrics } from '../metrics/index.ts';
import { NON_ASCII } from '../../core/ascii.ts';

type Done = (err?: Error | null) => void;

type Conn = { id: string; remoteAddress: string; log: { error: (o: object, m: string) => void } };

/** A refused MAIL or RCPT: counted, written to the receive log, answered. */
function fail(ctx: SmtpContext, conn: Conn, done: Done, stage: 'mail' | 'rcpt', address: string) {
  return (err: unknown) => {
    if (!(err instanceof ReplyError)) conn.log.error({ err }, 'smtp envelope error');
    const reply = err instanceof ReplyError ? err : REPLIES.storeFailed();
    metrics.messageRefused(stage, reply.reason);
    ctx.receiveLog?.refused(conn, stage, address, reply);
    done(toSmtpError(reply));
  };
}

export function onMailFrom(ctx: SmtpContext) {
  return (address: SMTPServerAddress, session: SMTPServerSession, done: Done): void => {
    const conn = connectionOf(session);
    conn.secure = !!session.secure;
    const from = toEnvelopeAddress(address);
    (async () => {
      const needsAuth = unauthenticatedSubmission(conn);
      if (needsAuth) throw needsAuth;
      // RFC 6531 §3.5: a non-ASCII reverse-path needs MAIL FROM's SMTPUTF8 parameter
      if (NON_ASCII.test(from.address) && !session.envelope.smtpUtf8) throw REPLIES.nonAsciiSender(from.address);
      // Postfix queue_minfree: refuse before the client sends the message, not after the whole DATA
      if (ctx.disk && (await ctx.disk.short()) !== null) throw REPLIES.diskFull();
      if (conn.user && mustOwnSender(conn, ctx.config.smtp.senderLoginMatch) && !ownsSender(await ctx.directory.get(), conn.user.address, from.address)) {
        conn.log.info({ user: conn.user.address, sender: from.address }, 'sender not owned by the authenticated account');
        throw REPLIES.senderLoginMismatch(from.address, conn.user.address);
      }
      const tx = beginTransaction(conn, from);
      const reply = verdictToReply(await ctx.hooks.run('mail', { conn, tx, from }));
      if (reply) throw new ReplyError(reply.code, reply.enhanced, reply.message);
      done(null);
    })().catch(fail(ctx, conn, done, 'mail', from.address));
  };
}

/** RFC 5321 §4.5.3.1.10 / RFC 1870: a declared SIZE that cannot fit is refused at RCPT. */
async function checkQuota(ctx: SmtpContext, rcpt: Recipient, accountId: number, quota: number, declared: number) {
  if (!quota) return;
  const used = await ctx.stores.mail.usage(accountId);
  if (used >= quota) throw REPLIES.mailboxFull(rcpt.address);
  if (declared && used + declared > quota) throw REPLIES.overQuota(rcpt.address);
}

export function onRcptTo(ctx: SmtpContext) {
  return (address: SMTPServerAddress, session: SMTPServerSession, done: Done): void => {
    const conn = connectionOf(session);
    const tx = conn.transaction!;
    const rcpt: Recipient = { ...toEnvelopeAddress(address), local: false };
    (async () => {
      if (NON_ASCII.test(rcpt.address) && !session.envelope.smtpUtf8) throw REPLIES.nonAsciiRecipient(rcpt.address);
      // RFC 5321 §4.5.1: the bare <Postmaster> is accepted; plugins and delivery see a full address
      if (rcpt.address.toLowerCase() === 'postmaster') rcpt.address = barePostmaster(await ctx.directory.get(), ctx.config.hostname) ?? rcpt.address;
      const verdict = await ctx.hooks.run('rcpt', { conn, tx, rcpt });
      const reply = verdictToReply(verdict);
      if (reply) throw new ReplyError(reply.code, reply.enhanced, reply.message);
      // a plugin claimed this address (a mailing list): no local lookup, no relay check
      if (rcpt.handledBy) return void tx.rcptTo.push(rcpt);
      const dir = await ctx.directory.get();
      let where;
      try {
        where = resolveRecipient(dir, rcpt.address, postmasterRouting(ctx.config));
      } catch (err) {
        // an alias loop is the operator's mistake: refuse for now, log why
        if (err instanceof UsageError) {
          conn.log.error({ rcpt: rcpt.address, err: err.message }, 'alias error');
          throw new ReplyError(451, '4.3.0', `<${rcpt.address}>: alias configuration error, try again later`);
        }
        throw err;
      }
      if (where.kind === 'unknown') throw REPLIES.noSuchUser(rcpt.address);
      if (where.kind === 'local') {
        await checkQuota(ctx, rcpt, where.account.id, where.account.quota, Number(tx.mailFrom.params.SIZE) || 0);
        Object.assign(rcpt, { local: true, accountId: where.account.id, deliveredTo: where.deliveredTo });
      } else {
        // the listener's own rule, secure with or without plugins: only authenticated sessions
        // relay, or a plugin's explicit accept (relay-effect accepts what its rules allow and
        // refuses the rest itself); a hosted alias that forwards out is not relaying
        if (!where.viaAlias && !isRelaying(conn, tx) && verdict.kind !== 'accept') throw REPLIES.relayDenied();
        Object.assign(rcpt, { local: false, forwardTo: where.address, deliveredTo: where.deliveredTo });
      }
      tx.rcptTo.push(rcpt);
    })().then(() => done(null), fail(ctx, conn, done, 'rcpt', rcpt.address));
  };
}
