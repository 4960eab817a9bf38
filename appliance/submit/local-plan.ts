/**
 * Turns "these local accounts get this message" into what is stored and sent, through the
 * local_delivery hook (per-account filter, forward, auto-reply): one plan per account.
 */
import type { HookRunner, LocalDeliveryPlan } from '../../core/hooks.ts';
import type { Connection, Transaction } from '../../core/session.ts';
import type { Delivery, OutboundItem } from '../../core/store/ports.ts';
import { MessageContent } from '../../core/store/content.ts';

export interface LocalWork {
  deliveries: Delivery[];
  outbound: OutboundItem[];
}

/** Accounts whose plans share folder and bytes are stored with one shared blob. */
function group(plans: { accountId: number; plan: LocalDeliveryPlan }[], internalDate: Date): Delivery[] {
  const byKey = new Map<string, Delivery>();
  const contentIds = new Map<Buffer | MessageContent, number>();
  const add = (accountId: number, folder: string, content: Buffer | MessageContent) => {
    if (!contentIds.has(content)) contentIds.set(content, contentIds.size);
    const key = `${contentIds.get(content)}\0${folder}`;
    const d = byKey.get(key);
    if (d) {
      if (!d.accountIds.includes(accountId)) d.accountIds.push(accountId);
    } else byKey.set(key, { accountIds: [accountId], content, mailbox: folder, internalDate });
  };
  for (const { accountId, plan } of plans) {
    if (plan.keep) add(accountId, plan.folder, plan.content);
    for (const copy of plan.copies) add(accountId, copy.folder, copy.content);
  }
  return [...byKey.values()];
}

/**
 * Without local_delivery hooks every account gets the message as it is (a spooled message is
 * copied by the store, never loaded). A hook that acts for an account (its filter, forward or
 * auto-reply) loads a spooled message with plan.bytes() (bounded by smtp.maxMessageSize), once
 * for all the accounts of the message; the others' copies are still made from the spool file.
 */
export async function planLocalDelivery(
  hooks: HookRunner | undefined,
  ctx: { conn?: Connection; tx: Transaction },
  input: Buffer | MessageContent,
): Promise<LocalWork> {
  const internalDate = new Date();
  const seen = new Set<number>();
  if (!hooks?.has('local_delivery')) {
    const accountIds: number[] = [];
    for (const rcpt of ctx.tx.rcptTo) {
      if (!rcpt.local || rcpt.accountId === undefined || seen.has(rcpt.accountId)) continue;
      seen.add(rcpt.accountId);
      accountIds.push(rcpt.accountId);
    }
    return { deliveries: accountIds.length ? [{ accountIds, content: input, mailbox: 'INBOX', internalDate }] : [], outbound: [] };
  }
  let loaded: Promise<Buffer> | undefined;
  const load = () => (loaded ??= MessageContent.from(input).toBuffer());
  const plans: { accountId: number; plan: LocalDeliveryPlan }[] = [];
  for (const rcpt of ctx.tx.rcptTo) {
    if (!rcpt.local || rcpt.accountId === undefined || seen.has(rcpt.accountId)) continue;
    seen.add(rcpt.accountId);
    const plan: LocalDeliveryPlan = {
      folder: 'INBOX', keep: true, content: input, copies: [], outbound: [],
      async bytes() {
        if (!Buffer.isBuffer(this.content)) this.content = this.content === input ? await load() : await this.content.toBuffer();
        return this.content;
      },
    };
    const verdict = await hooks.run('local_delivery', { ...ctx, rcpt, accountId: rcpt.accountId, plan });
    if (verdict.kind === 'reject' || verdict.kind === 'disconnect') {
      (ctx.conn?.log)?.warn({ rcpt: rcpt.address, verdict }, 'local_delivery cannot refuse an accepted message; stored as planned');
    }
    plans.push({ accountId: rcpt.accountId, plan });
  }
  return { deliveries: group(plans, internalDate), outbound: plans.flatMap((p) => p.plan.outbound) };
}
