/**
 * Sends a message the filter or scanner makes (forwarded copy, notification) through the
 * store: local accounts get it in their INBOX, other addresses through the outbound queue.
 * Both commit durably before the promise resolves.
 */
import type { Stores } from '../../core/store/ports.ts';

export async function sendThroughStore(stores: Stores, mailFrom: string, recipients: string[], content: Buffer): Promise<void> {
  const local: number[] = [];
  const remote: string[] = [];
  for (const r of recipients) {
    const account = await stores.accounts.get(r.toLowerCase());
    if (account) {
      if (!local.includes(account.id)) local.push(account.id);
    } else remote.push(r);
  }
  await Promise.all([
    local.length ? stores.mail.deliver({ accountIds: local, content, internalDate: new Date() }) : undefined,
    remote.length ? stores.mail.enqueue({ mailFrom, recipients: remote, content }) : undefined,
  ]);
}
