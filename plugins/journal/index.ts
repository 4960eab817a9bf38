/**
 * journal (RX-10): a copy of every accepted message to the listed addresses, through api.submit —
 * resolved as SMTP mail to them is (accounts, aliases), the others queued, with the null sender (a
 * journal copy must never bounce back to the original sender). The copy is the message as
 * received, with X-Journal-* headers naming the envelope (the Bcc recipients are known only
 * there). It is committed in the `queue_ok` hook, before the client gets its 250.
 */
import { Type } from '@sinclair/typebox';
import type { MessageContent } from '../../core/store/content.ts';
import { definePlugin } from '../../core/plugin.ts';
import type { Connection, Transaction } from '../../core/session.ts';

/** Header values must not carry line breaks from client-controlled input. */
const clean = (s: string) => s.replace(/[\r\n]+/g, ' ');

/** The copy: the headers, then the message as received (a spooled message stays on disk). */
function journalCopy(conn: Connection, tx: Transaction, queueId: string): Buffer | MessageContent {
  const head = [
    `X-Journal-Sender: <${clean(tx.mailFrom.address)}>`,
    `X-Journal-Recipients: ${tx.rcptTo.map((r) => clean(r.address)).join(', ')}`,
    `X-Journal-Client: [${conn.remoteAddress}]${conn.user ? ` authenticated as ${conn.user.address}` : ''}`,
    `X-Journal-Queue-Id: ${queueId}`,
    `X-Journal-Date: ${new Date().toUTCString()}`,
  ].join('\r\n') + '\r\n';
  if (!tx.message && tx.content) return tx.content.prepend(Buffer.from(head, 'utf8'));
  return Buffer.concat([Buffer.from(head, 'utf8'), tx.message ?? Buffer.alloc(0)]);
}

export default definePlugin({
  name: 'journal',
  options: Type.Object({
    /** Addresses that receive a copy of every accepted message. */
    to: Type.Array(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$' }), { minItems: 1 }),
  }),
  setup(api) {
    const targets = api.options.to.map((a) => a.toLowerCase());
    api.hook('queue_ok', async ({ conn, tx, queueId }) => {
      // mail to the journal itself is not journaled again
      if (tx.rcptTo.every((r) => targets.includes(r.address.toLowerCase()))) return;
      const content = journalCopy(conn, tx, queueId);
      try {
        // an address of the journal is resolved as SMTP mail to it is: accounts, aliases, remote
        await api.submit({ from: '', to: targets, content, origin: 'journal' });
      } catch (err) {
        // the message itself is stored: losing its journal copy is logged, not refused
        conn.log.error({ err, queueId }, 'journal copy not stored');
      }
    });
  },
});
