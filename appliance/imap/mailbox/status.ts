/**
 * STATUS data items (RFC 3501 §6.3.10, RFC 9051 §6.3.11): MESSAGES, RECENT, UIDNEXT,
 * UIDVALIDITY, UNSEEN, HIGHESTMODSEQ (RFC 7162), SIZE (RFC 8438), DELETED (RFC 9051) and
 * MAILBOXID (RFC 8474 §4.3), for
 * STATUS and for LIST ... RETURN (STATUS (...)) (RFC 5819).
 */
import type { MailboxInfo, Stores } from '../../../core/store/ports.ts';

export const STATUS_ITEMS = new Set(['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'HIGHESTMODSEQ', 'SIZE', 'DELETED', 'MAILBOXID']);

/** `MESSAGES 3 UNSEEN 1 ...` for the requested items, in the order asked. */
export async function statusValues(stores: Stores, box: MailboxInfo, items: string[]): Promise<string> {
  const counts = await stores.folders.counts(box.id);
  // DELETED counts \Deleted messages; only read the message list when it is asked for
  const deleted = items.includes('DELETED') ? (await stores.mail.messages(box.id)).filter((m) => m.flags.includes('\\Deleted')).length : 0;
  const value: Record<string, number | string> = {
    MESSAGES: counts.messages, RECENT: counts.recent, UIDNEXT: box.uidNext, UIDVALIDITY: box.uidValidity,
    UNSEEN: counts.unseen, HIGHESTMODSEQ: box.highestModseq, SIZE: counts.size, DELETED: deleted, MAILBOXID: `(${box.objectId})`,
  };
  return items.map((i) => `${i} ${value[i]}`).join(' ');
}
