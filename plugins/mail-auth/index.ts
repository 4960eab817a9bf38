/**
 * mail-auth: inbound SPF (RFC 7208), DKIM (RFC 6376) and DMARC (RFC 7489) with mailauth, an
 * RFC 8601 Authentication-Results header (and Received-SPF) on every message received from an
 * unauthenticated client, and, when enforceDmarc is on, the author domain's DMARC policy:
 * `p=reject` → 550 5.7.1, `p=quarantine` → accepted with X-Spam-Flag: YES and a reason header
 * (the store delivers to INBOX; a filter may file it). Forged Authentication-Results fields
 * that claim this server's authserv-id are removed first (RFC 8601 §5).
 */
import { promises as dns } from 'node:dns';
import { Type } from '@sinclair/typebox';
import { wholeMessage } from '../../core/store/content.ts';
import { definePlugin } from '../../core/plugin.ts';
import { reject } from '../../core/verdict.ts';
import { dropOwnResults } from './headers.ts';
import { checkMessage } from './check.ts';

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
    const resolver = new dns.Resolver({ timeout: o.timeoutMs, tries: 2 });
    if (o.servers?.length) resolver.setServers(o.servers);
    const resolve = (name: string, rr: string) => resolver.resolve(name, rr as 'TXT');
    const mta = o.authservId ?? api.settings.hostname;

    api.hook('data_post', async ({ conn, tx }) => {
      // mail from authenticated clients is submission: it is checked at its destination
      if (conn.user || !(tx.message || tx.content)) return;
      // DKIM needs the whole message: a spooled one is loaded (bounded by smtp.maxMessageSize)
      tx.message = dropOwnResults((await wholeMessage(tx))!, mta);
      const result = await checkMessage(tx.message, {
        ip: conn.remoteAddress.replace(/^::ffff:/, ''),
        helo: conn.helo?.host ?? '',
        sender: tx.mailFrom.address,
        mta,
        resolver: resolve,
      });
      tx.addedHeaders.push(...result.headers);
      const dmarc = result.dmarc;
      tx.authentication = { spf: result.spf, dmarc: dmarc ? dmarc.status.result : null };
      conn.log.info({ spf: result.spf, dmarc: dmarc && dmarc.status.result, policy: dmarc && dmarc.policy }, 'mail authentication');
      if (!o.enforceDmarc || !dmarc || dmarc.status.result !== 'fail') return;
      if (dmarc.policy === 'reject') {
        return reject(`Message refused: DMARC policy of ${dmarc.domain} (p=reject) failed`, { code: 550, enhanced: '5.7.1' });
      }
      if (dmarc.policy === 'quarantine') {
        tx.addedHeaders.push({ name: 'X-Spam-Flag', value: 'YES' }, { name: 'X-Quarantine-Reason', value: `DMARC policy of ${dmarc.domain} (p=quarantine) failed` });
      }
    });
  },
});
