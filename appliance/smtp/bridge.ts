/**
 * The command bridge (see command-hooks.ts): HELO/EHLO, VRFY/EXPN (RX-2), NOOP, RSET, QUIT
 * and unknown commands, through the core hook table.
 */
import type { CommandBridge } from './command-hooks.ts';
import type { SmtpContext } from './context.ts';
import { connectionOf } from './session.ts';
import { REPLIES, verdictToReply, type SmtpReply } from './replies.ts';
import { postmasterRouting, resolveRecipient } from '../recipients/resolve-recipient.ts';

const fromError = (e: { code: number; enhanced: string; message: string }): SmtpReply => ({ code: e.code, enhanced: e.enhanced, message: e.message });

/** RFC 5321 §3.5: VRFY answers 250 with the mailbox, 550 for none, 252 when it cannot tell. */
async function verify(ctx: SmtpContext, arg: string): Promise<SmtpReply> {
  const address = arg.replace(/^<|>$/g, '').trim();
  if (!address.includes('@')) return REPLIES.cannotVerify();
  const where = resolveRecipient(await ctx.directory.get(), address, postmasterRouting(ctx.config));
  if (where.kind === 'local') {
    const name = where.account.fullName ? `${where.account.fullName} ` : '';
    return { code: 250, enhanced: '2.1.5', message: `${name}<${where.account.name}@${where.account.domain}>` };
  }
  if (where.kind === 'unknown') return fromError(REPLIES.noSuchUser(address));
  return REPLIES.cannotVerify();
}

export function commandBridge(ctx: SmtpContext): CommandBridge {
  return {
    greetingDelayMs: ctx.config.smtp.greetingDelayMs,
    authNeedsTls: !ctx.config.smtp.auth.allowInsecure,
    limits: {
      commandDeadlineMs: ctx.config.smtp.commandDeadlineMs,
      dataDeadlineMs: ctx.config.smtp.dataDeadlineMs,
      softErrorLimit: ctx.config.smtp.softErrorLimit,
      hardErrorLimit: ctx.config.smtp.hardErrorLimit,
      errorSleepMs: ctx.config.smtp.errorSleepMs,
    },
    async helo(session, verb, host) {
      const conn = connectionOf(session);
      conn.helo = { verb, host };
      return verdictToReply(await ctx.hooks.run('helo', { conn, verb, host }));
    },
    async vrfy(session, arg) {
      if (!ctx.config.smtp.vrfy) return fromError(REPLIES.vrfyDisabled());
      if (!arg) return null; // smtp-server's 501 syntax reply
      const conn = connectionOf(session);
      const verdict = await ctx.hooks.run('vrfy', { conn, address: arg });
      return verdictToReply(verdict) ?? verify(ctx, arg);
    },
    async expn(session, arg) {
      if (!ctx.config.smtp.vrfy) return fromError(REPLIES.expnDisabled());
      if (!arg) return { code: 501, enhanced: '5.5.4', message: 'Syntax: EXPN list' };
      return verify(ctx, arg);
    },
    async simple(session, hook) {
      return verdictToReply(await ctx.hooks.run(hook, { conn: connectionOf(session) }));
    },
    async unrecognized(session, line) {
      const verdict = await ctx.hooks.run('unrecognized_command', { conn: connectionOf(session), line });
      if (verdict.kind === 'accept') return { code: 250, enhanced: '2.0.0', message: verdict.message ?? 'OK' };
      return verdictToReply(verdict);
    },
  };
}
