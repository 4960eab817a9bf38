/**
 * The PostgreSQL store's batched quota reads (appliance/store/postgres/quota-batch.ts) on a real
 * PostgreSQL 15: reads asked for together share one statement, each answer holds only the
 * accounts it asked for, and a read asked for after a change sees it.
 */
import t from 'tap';
import { startPostgres } from './helpers/postgres.ts';
import { pgStatements } from './helpers/pg-statements.ts';
import { openPostgresStore } from '../appliance/store/postgres/index.ts';

const sql = pgStatements(t);
const seen = sql.seen;

const server = await startPostgres();
t.teardown(() => server.stop());
const stores = await openPostgresStore({ url: await server.database(), nodeName: 'n1' });
t.teardown(() => stores.close());

await stores.domains.create({ name: 'q.test' });
const ids: number[] = [];
for (const [i, quota] of [1000, 0, 5000, 7].entries()) {
  const a = await stores.accounts.create({ name: `u${i}`, domain: 'q.test', password: 'x', fullName: '', home: '', quota, smtpAuth: false, apop: false, pop3Disabled: false, imapDisabled: false, sharedPath: '', sharedWrite: false });
  ids.push(a.id);
}

t.test('reads asked for together: one statement, each its own accounts', async (t) => {
  const asks = [[ids[0]], [ids[1], ids[2]], [ids[2], ids[2]], [ids[3], 999_999], []];
  const answers = await sql.record(() => Promise.all(asks.map((a) => stores.mail.quotas(a))));
  t.equal(seen.filter((x) => /FROM accounts/.test(x)).length, 1, `${asks.length} reads, one statement`);
  t.same([...answers[0]], [[ids[0], { quota: 1000, usage: 0 }]]);
  t.same([...answers[1]].sort((a, b) => a[0] - b[0]), [[ids[1], { quota: 0, usage: 0 }], [ids[2], { quota: 5000, usage: 0 }]]);
  t.same([...answers[2]], [[ids[2], { quota: 5000, usage: 0 }]], 'an account asked for twice: once');
  t.same([...answers[3]], [[ids[3], { quota: 7, usage: 0 }]], 'an account that does not exist: absent');
  t.same([...answers[4]], [], 'nothing asked for, nothing answered');
});

t.test('a read asked for after a change sees it', async (t) => {
  await stores.mail.deliver({ accountIds: [ids[0]], content: Buffer.from('Subject: q\r\n\r\n12345\r\n'), internalDate: new Date() });
  const size = Buffer.byteLength('Subject: q\r\n\r\n12345\r\n');
  t.same((await stores.mail.quotas([ids[0]])).get(ids[0]), { quota: 1000, usage: size });
  await stores.db.q('UPDATE accounts SET quota = 10 WHERE id = $1', [ids[0]]);
  t.same((await stores.mail.quotas([ids[0]])).get(ids[0]), { quota: 10, usage: size });
});
