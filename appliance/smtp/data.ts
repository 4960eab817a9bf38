/**
 * DATA: read the message, run data_post and queue hooks, commit it durably (local mailboxes
 * and the outbound queue), and only then answer 250 (DESIGN.md: a 250 means on disk).
 */
import type { Readable } from 'node:stream';
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { SmtpContext } from './context.ts';
import { connectionOf, onSessionClose } from './session.ts';
import { REPLIES, toSmtpError, verdictToReply } from './replies.ts';
import { readMessage, type ReadResult } from './read-message.ts';
import { assembleContent } from './assemble.ts';
import { MessageContent } from '../../core/store/content.ts';
import { MessageLimitScanner } from './message-limits.ts';
import { renderReceived, receivedProtocol } from '../../policies/received-template.ts';
import { ReplyError } from '../../core/errors.ts';
import { commitMessage } from '../submit/commit.ts';
import { isDiskFull } from '../store/disk-space.ts';
import type { Connection, Transaction } from '../../core/session.ts';
import { metrics } from '../metrics/index.ts';

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
  const ids = tx.rcptTo.filter((r) => r.local && r.accountId !== undefined).map((r) => r.accountId!);
  if (!ids.length) return;
  // only accounts with a quota are read, as at RCPT: the directory snapshot (a second old at
  // most) says which; one without a quota costs no read (a round trip on the cluster store), one
  // missing from the snapshot is read
  const dir = await ctx.directory.get();
  const limited = ids.filter((id) => dir.accountsById.get(id)?.quota !== 0);
  if (!limited.length) return;
  // one store query for all of them (one round trip on the cluster store)
  const quotas = await ctx.stores.mail.quotas(limited);
  const local = ids.length;
  let over = 0;
  for (const id of limited) {
    const q = quotas.get(id);
    if (q?.quota && q.usage + size > q.quota) over++;
  }
  if (!over) return;
  // all over quota and nothing remote: permanent (RFC 5321 §4.5.3.1.10); else ask to retry
  throw over === local && local === tx.rcptTo.length ? REPLIES.overQuota(tx.rcptTo[0].address) : REPLIES.someOverQuota();
}

async function commit(ctx: SmtpContext, conn: Connection, tx: Transaction, content: MessageContent): Promise<string> {
  // TX-5: with forwardAllToGateway this node keeps no mailboxes; everything goes to the gateway
  const keepLocal = !ctx.config.delivery.forwardAllToGateway;
  // addresses a plugin handled itself (handledBy: a mailing list) are neither stored nor queued here
  const remote = tx.rcptTo.filter((r) => !r.handledBy && (!keepLocal || !r.local)).map((r) => r.forwardTo ?? r.address);
  // everything this message causes is committed before the 250
  await commitMessage(ctx.hooks, ctx.stores, { conn, tx, content, remote, keepLocal });
  return tx.id;
}

export function onData(ctx: SmtpContext) {
  return (stream: SMTPServerDataStream, session: SMTPServerSession, done: (err?: Error | null, message?: string) => void): void => {
    const conn = connectionOf(session);
    const tx = conn.transaction!;
    // the client going away mid-DATA ends nothing by itself: abort the read (and its spool file)
    const gone = new AbortController();
    const unsubscribe = onSessionClose(session, () => gone.abort());
    let read: ReadResult | undefined;
    (async () => {
      const pre = verdictToReply(await ctx.hooks.run('data', { conn, tx }));
      if (pre) {
        stream.resume();
        throw new ReplyError(pre.code, pre.enhanced, pre.message);
      }
      const scanner = new MessageLimitScanner(ctx.config.message);
      read = await readMessage(stream as unknown as Readable & { sizeExceeded?: boolean }, {
        spoolDir: ctx.spoolDir, spoolThreshold: ctx.config.smtp.spoolThreshold, bareLf: ctx.config.smtp.bareLf, signal: gone.signal,
        observe: (chunk) => scanner.push(chunk), discard: () => !!scanner.violation,
      });
      // smtp-server answers 552 itself when the size limit was exceeded
      if (read.sizeExceeded) return '';
      const overLimit = scanner.end();
      if (overLimit) throw REPLIES.messageLimit(overLimit);
      if (read.bareLf && ctx.config.smtp.bareLf === 'reject') throw read.bareCr ? REPLIES.bareCr() : REPLIES.bareLf();
      tx.content = read.content;
      tx.message = read.content.buffer;
      // Haraka plugins read transaction.body / message_stream synchronously: they get the whole message
      if (ctx.config.haraka.plugins.length) tx.message ??= await read.content.toBuffer();
      for (const hook of ['data_post', 'queue'] as const) {
        const reply = verdictToReply(await ctx.hooks.run(hook, { conn, tx }));
        if (reply) throw new ReplyError(reply.code, reply.enhanced, reply.message);
      }
      // a plugin may have replaced the message (tx.message); else the spooled content is used
      const original = tx.message ? MessageContent.of(tx.message) : tx.content;
      const content = await assembleContent(original, traceHeaders(ctx, conn, tx, session), tx.addedHeaders, tx.removedHeaders);
      await checkQuotas(ctx, tx, content.size);
      const id = await commit(ctx, conn, tx, content).catch((err: unknown) => {
        if (!isDiskFull(err)) throw err;
        conn.log.warn({ err }, 'message not stored: disk full');
        throw REPLIES.diskFull();
      });
      conn.log.info({ id, from: tx.mailFrom.address, rcpt: tx.rcptTo.map((r) => r.address), size: content.size, spooled: !read.content.buffer }, 'message accepted');
      metrics.messageAccepted(content.size);
      ctx.receiveLog?.accepted(conn, id, tx.mailFrom.address, tx.rcptTo.length, content.size);
      await ctx.hooks.run('queue_ok', { conn, tx, queueId: id });
      return REPLIES.queued(id);
    })().finally(async () => {
      unsubscribe();
      await read?.dispose();
      // nothing may still point at the removed spool file
      if (tx.content && !tx.content.buffer) tx.content = undefined;
    }).then(
      (msg) => done(null, msg),
      (err) => {
        // smtp-server's ECONNECTION: the stream ended with the connection, before the signal said so
        if (gone.signal.aborted || (err as { code?: string })?.code === 'ECONNECTION') conn.log.info({ id: tx.id }, 'client went away during DATA, nothing stored');
        else if (!(err instanceof ReplyError)) conn.log.error({ err }, 'message not stored');
        else conn.log.info({ code: err.code, reason: err.reason }, 'message refused');
        const reply = err instanceof ReplyError ? err : REPLIES.storeFailed();
        if (!gone.signal.aborted) {
          metrics.messageRefused('data', reply.reason);
          ctx.receiveLog?.refused(conn, 'data', tx.mailFrom.address, reply);
        }
        done(toSmtpError(reply));
      },
    );
  };
}
