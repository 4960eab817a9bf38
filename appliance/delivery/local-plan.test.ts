import t from 'tap';
import { HookRunner } from '../../core/hooks.ts';
import { silentLogger } from '../../core/log.ts';
import { planLocalDelivery } from './local-plan.ts';
import type { Transaction } from '../../core/session.ts';

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
