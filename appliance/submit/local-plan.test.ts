import t from 'tap';
import { HookRunner } from '../../core/hooks.ts';
import { silentLogger } from '../../core/log.ts';
import { planLocalDelivery } from './local-plan.ts';
import type { Transaction } from '../../core/session.ts';
import { MessageContent } from '../../core/store/content.ts';

const tx = (ids: number[]) => ({
  id: 'T', mailFrom: { address: 's@x.test', params: {} }, addedHeaders: [], removedHeaders: [], state: {}, notes: {},
  rcptTo: ids.map((id) => ({ address: `u${id}@h.test`, params: {}, local: true, accountId: id })),
}) as Transaction;
const msg = Buffer.from('Subject: s\r\n\r\nb\r\n');

t.test('without hooks every account gets the shared bytes in INBOX, in one delivery', async (t) => {
  const work = await planLocalDelivery(new HookRunner({ timeoutMs: 100, log: silentLogger }), { tx: tx([1, 2, 2, 3]) }, msg);
  t.same(work.deliveries.map((d) => [d.accountIds, d.mailbox]), [[[1, 2, 3], 'INBOX']]);
  t.equal(work.deliveries[0].content, msg);
  t.same(work.outbound, []);
});

t.test('plans change folder, keep, content, copies and outbound per account', async (t) => {
  const hooks = new HookRunner({ timeoutMs: 100, log: silentLogger });
  hooks.register('local_delivery', 'filter', ({ accountId, plan }) => {
    if (accountId === 2) plan.folder = 'Junk';
    if (accountId === 3) {
      plan.content = Buffer.from('Subject: [tag] s\r\n\r\nb\r\n');
      plan.copies.push({ folder: 'viruslog', content: msg });
    }
  }, 100);
  hooks.register('local_delivery', 'forward', ({ accountId, plan }) => {
    if (accountId === 4) {
      plan.keep = false;
      plan.outbound.push({ mailFrom: '', recipients: ['away@r.test'], content: plan.content });
    }
  }, 200);
  const work = await planLocalDelivery(hooks, { tx: tx([1, 2, 3, 4]) }, msg);
  const view = work.deliveries.map((d) => [d.accountIds, d.mailbox, d.content.toString().split('\r\n')[0]]);
  t.same(view, [
    [[1], 'INBOX', 'Subject: s'],
    [[2], 'Junk', 'Subject: s'],
    [[3], 'INBOX', 'Subject: [tag] s'],
    [[3], 'viruslog', 'Subject: s'],
  ]);
  t.same(work.outbound.map((o) => o.recipients), [['away@r.test']]);
});

t.test('a spooled message is loaded only for the accounts whose hooks read it', async (t) => {
  const hooks = new HookRunner({ timeoutMs: 100, log: silentLogger });
  const seen: number[] = [];
  hooks.register('local_delivery', 'reader', async ({ accountId, plan }) => {
    if (accountId !== 2) return;
    const bytes = await plan.bytes();
    seen.push(bytes.length);
    t.ok(Buffer.isBuffer(plan.content), 'after bytes() the plan holds the loaded Buffer');
  }, 100);
  const input = MessageContent.of(msg);
  const work = await planLocalDelivery(hooks, { tx: tx([1, 2, 3]) }, input);
  t.same(seen, [msg.length], 'the hook got the whole message');
  const others = work.deliveries.find((d) => d.accountIds.includes(1))!;
  t.equal(others.content, input, 'accounts no hook read for keep the spooled content, not a loaded copy');
  t.same(others.accountIds, [1, 3], 'and share one delivery');
});
