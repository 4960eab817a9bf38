/**
 * mail-auth: inbound SPF (RFC 7208), DKIM (RFC 6376) and DMARC (RFC 7489) with mailauth, an
 * RFC 8601 Authentication-Results header (and Received-SPF) on every message received from an
 * unauthenticated client, and, when enforceDmarc is on, the author domain's DMARC policy:
 * `p=reject` → 550 5.7.1, `p=quarantine` → accepted with X-Spam-Flag: YES and a reason header
 * (the store delivers to INBOX; a filter may file it). Forged Authentication-Results fields
 * that claim this server's authserv-id are removed first (RFC 8601 §5).
 *
 * The verification runs on the process's work threads (verify-task.ts), so the DKIM body hash
 * of a big message does not hold the other sessions; a full queue or a task past its deadline
 * gives the message a temporary failure (451 4.3.x), never an unverified acceptance.
 */
import { Type } from '@sinclair/typebox';
import { wholeMessage } from '../../core/store/content.ts';
import { definePlugin } from '../../core/plugin.ts';
import { WorkBusyError, WorkTimeoutError } from '../../core/work.ts';
import { dropOwnResults } from './headers.ts';
import type { MailAuthResult } from './check.ts';
import { VERIFY_TASK, type VerifyInput } from './verify-task.ts';
import { MAIL_AUTH_REPLIES as R } from './replies.ts';

export default definePlugin({
  name: 'mail-auth',
  options: Type.Object({
    /** DNS servers (`ip` or `ip:port`); default: the system's. */
    servers: Type.Optional(Type.Array(Type.String())),
    /** Per DNS query. */
    timeoutMs: Type.Integer({ minimum: 50, default: 3000 }),
    /** Apply the author domain's DMARC policy (reject / quarantine) to failing messages. */
    enforceDmarc: Type.Boolean({ default: false }),
    /** authserv-id of the headers; default: the config's hostname. */
    authservId: Type.Optional(Type.String({ minLength: 1 })),
  }),
  setup(api) {
    const o = api.options;
    // the thread builds its resolver from these (a resolver cannot be cloned to it)
    const dnsOptions = { servers: o.servers, timeoutMs: o.timeoutMs };
    const mta = o.authservId ?? api.settings.hostname;

    api.hook('data_post', async ({ conn, tx }, signal) => {
      // mail from authenticated clients is submission: it is checked at its destination
      if (conn.user || !(tx.message || tx.content)) return;
      // DKIM needs the whole message: a spooled one is loaded (bounded by smtp.maxMessageSize)
      tx.message = dropOwnResults((await wholeMessage(tx))!, mta);
      // a copy of exactly the message, moved to the thread (tx.message stays the stored copy)
      const bytes = new Uint8Array(tx.message);
      const input: VerifyInput = {
        message: bytes,
        ip: conn.remoteAddress.replace(/^::ffff:/, ''),
        helo: conn.helo?.host ?? '',
        sender: tx.mailFrom.address,
        mta,
        dns: dnsOptions,
      };
      let result: MailAuthResult;
      try {
        result = await api.work.run<MailAuthResult>(VERIFY_TASK, input, { transfer: [bytes.buffer as ArrayBuffer], signal });
      } catch (err) {
        const failure = workFailure(err);
        if (!failure) throw err;
        conn.log.warn({ err: (err as Error).message }, 'mail authentication could not verify the message');
        return failure;
      }
      tx.addedHeaders.push(...result.headers);
      const dmarc = result.dmarc;
      tx.authentication = { spf: result.spf, dmarc: dmarc ? dmarc.status.result : null };
      conn.log.info({ spf: result.spf, dmarc: dmarc && dmarc.status.result, policy: dmarc && dmarc.policy }, 'mail authentication');
      if (!o.enforceDmarc || !dmarc || dmarc.status.result !== 'fail') return;
      if (dmarc.policy === 'reject') {
        return R.dmarcReject(dmarc.domain);
      }
      if (dmarc.policy === 'quarantine') {
        tx.addedHeaders.push({ name: 'X-Spam-Flag', value: 'YES' }, { name: 'X-Quarantine-Reason', value: `DMARC policy of ${dmarc.domain} (p=quarantine) failed` });
      }
    });
  },
});

/** The temporary failure for a message the work threads could not take or finish, else null. */
function workFailure(err: unknown) {
  if (err instanceof WorkBusyError) return R.busy();
  if (err instanceof WorkTimeoutError) return R.timedOut();
  return null;
}
