/**
 * DATA: read the message, run data_post and queue hooks, commit it durably (local mailboxes
 * and the outbound queue), and only then answer 250 (DESIGN.md: a 250 means on disk).
 */
import type { Readable } from 'node:stream';
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { SmtpContext } from './context.ts';
import { connectionOf } from './session.ts';
import { REPLIES, toSmtpError, verdictToReply } from './replies.ts';
import { normalizeLineEndings, readMessage } from './read-message.ts';
import { assembleMessage } from './assemble.ts';
import { renderReceived, receivedProtocol } from '../../policies/received-template.ts';
import { ReplyError } from '../../core/errors.ts';
import { planLocalDelivery } from '../delivery/local-plan.ts';
import { isDiskFull } from '../store/disk-space.ts';
import type { Connection, Transaction } from '../../core/session.ts';

const PRODUCT = 'mailserver';

function traceHeaders(ctx: SmtpContext, conn: Connection, tx: Transaction, session: SMTPServerSession) {
  const received = renderReceived(ctx.config.smtp.receivedTemplate, {
    helo: conn.helo?.host,
    remoteHost: conn.remoteHost,
    remoteIp: conn.remoteAddress,
    hostname: ctx.config.hostname,
    product: PRODUCT,
    protocol: receivedProtocol({ esmtp: conn.helo?.verb !== 'HELO', tls: conn.secure, auth: !!conn.user }),
    id: tx.id,
    recipient: tx.rcptTo.length === 1 ? tx.rcptTo[0].address : undefined,
    date: new Date(),
    tlsCipher: session.tlsOptions ? session.tlsOptions.name : undefined,
  });
  return [
    { name: 'Return-Path', value: `<${tx.mailFrom.address}>` },
    { name: 'Received', value: received },
  ];
}

/** At DATA end the size is known: refuse when it would take a mailbox over its limit. */
async function checkQuotas(ctx: SmtpContext, tx: Transaction, size: number): Promise<void> {
  let over = 0;
  let local = 0;
  for (const r of tx.rcptTo) {
    if (!r.local || r.accountId === undefined) continue;
    local++;
    const acct = await ctx.stores.accounts.getById(r.accountId);
    if (acct?.quota && (await ctx.stores.mail.usage(acct.id)) + size > acct.quota) over++;
  }
  if (!over) return;
  // all over quota and nothing remote: permanent (RFC 5321 §4.5.3.1.10); else ask to retry
  throw over === local && local === tx.rcptTo.length ? REPLIES.overQuota(tx.rcptTo[0].address) : REPLIES.someOverQuota();
}

async function commit(ctx: SmtpContext, conn: Connection, tx: Transaction, content: Buffer): Promise<string> {
  // TX-5: with forwardAllToGateway this node keeps no mailboxes; everything goes to the gateway
  const keepLocal = !ctx.config.delivery.forwardAllToGateway;
  // addresses a plugin handled itself (handledBy: a mailing list) are neither stored nor queued here
  const remote = tx.rcptTo.filter((r) => !r.handledBy && (!keepLocal || !r.local)).map((r) => r.forwardTo ?? r.address);
  const local = keepLocal ? await planLocalDelivery(ctx.hooks, { conn, tx }, content) : { deliveries: [], outbound: [] };
  // everything this message causes is committed before the 250
  await Promise.all([
    ...local.deliveries.map((d) => ctx.stores.mail.deliver(d)),
    remote.length ? ctx.stores.mail.enqueue({ mailFrom: tx.mailFrom.address, recipients: remote, content }) : undefined,
    ...[...local.outbound, ...(tx.outbound ?? [])].map((item) => ctx.stores.mail.enqueue(item)),
  ]);
  return tx.id;
}

export function onData(ctx: SmtpContext) {
  return (stream: SMTPServerDataStream, session: SMTPServerSession, done: (err?: Error | null, message?: string) => void): void => {
    const conn = connectionOf(session);
    const tx = conn.transaction!;
    (async () => {
      const pre = verdictToReply(await ctx.hooks.run('data', { conn, tx }));
      if (pre) {
        stream.resume();
        throw new ReplyError(pre.code, pre.enhanced, pre.message);
      }
      const read = await readMessage(stream as unknown as Readable & { sizeExceeded?: boolean });
      // smtp-server answers 552 itself when the size limit was exceeded
      if (read.sizeExceeded) return '';
      if (read.bareLf && ctx.config.smtp.bareLf === 'reject') throw read.bareCr ? REPLIES.bareCr() : REPLIES.bareLf();
      tx.message = read.bareLf ? normalizeLineEndings(read.message) : read.message;
      for (const hook of ['data_post', 'queue'] as const) {
        const reply = verdictToReply(await ctx.hooks.run(hook, { conn, tx }));
        if (reply) throw new ReplyError(reply.code, reply.enhanced, reply.message);
      }
      const content = assembleMessage(tx.message, traceHeaders(ctx, conn, tx, session), tx.addedHeaders, tx.removedHeaders);
      await checkQuotas(ctx, tx, content.length);
      const id = await commit(ctx, conn, tx, content).catch((err: unknown) => {
        if (!isDiskFull(err)) throw err;
        conn.log.warn({ err }, 'message not stored: disk full');
        throw REPLIES.diskFull();
      });
      conn.log.info({ id, from: tx.mailFrom.address, rcpt: tx.rcptTo.map((r) => r.address), size: content.length }, 'message accepted');
      await ctx.hooks.run('queue_ok', { conn, tx, queueId: id });
      return REPLIES.queued(id);
    })().then(
      (msg) => done(null, msg),
      (err) => {
        if (!(err instanceof ReplyError)) conn.log.error({ err }, 'message not stored');
        else conn.log.info({ code: err.code, reason: err.reason }, 'message refused');
        done(toSmtpError(err instanceof ReplyError ? err : REPLIES.storeFailed()));
      },
    );
  };
}
