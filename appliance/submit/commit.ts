/**
 * Commits one accepted message: the local recipients' plans (local_delivery hooks: filters,
 * forwards, auto-replies) into their mailboxes, the remote recipients and everything the plans
 * and plugins queued (tx.outbound) into the outbound queue — all durably before it resolves
 * (DESIGN.md: a 250 means on disk). SMTP DATA, submit() and the queue's local hand-off all end here.
 */
import type { HookRunner } from '../../core/hooks.ts';
import { derivedTransactionId, type Connection, type Transaction } from '../../core/session.ts';
import type { MessageContent } from '../../core/store/content.ts';
import type { Stores } from '../../core/store/ports.ts';
import { planLocalDelivery } from './local-plan.ts';

export interface CommitInput {
  conn?: Connection;
  /** Its local recipients (`local`, `accountId`) are stored; the others are in `remote`. */
  tx: Transaction;
  content: Buffer | MessageContent;
  /** Addresses for the outbound queue, with the transaction's sender. */
  remote: string[];
  /** False (delivery.forwardAllToGateway): nothing is stored here. */
  keepLocal?: boolean;
}

export async function commitMessage(hooks: HookRunner | undefined, stores: Pick<Stores, 'mail'>, input: CommitInput): Promise<void> {
  const { conn, tx, content, remote } = input;
  const local = input.keepLocal === false
    ? { deliveries: [], outbound: [] }
    : await planLocalDelivery(hooks, { conn, tx }, content);
  await Promise.all([
    ...local.deliveries.map((d) => stores.mail.deliver(d)),
    // the remote recipients are queued under the id the client was given; what the message
    // causes (forwards, auto-replies, filter copies) under ids derived from it
    remote.length ? stores.mail.enqueue({ id: tx.id, mailFrom: tx.mailFrom.address, recipients: remote, content }) : undefined,
    ...[...local.outbound, ...(tx.outbound ?? [])].map((item) => stores.mail.enqueue({ ...item, id: item.id ?? derivedTransactionId(tx.id) })),
  ]);
}
