/**
 * The PostgreSQL queue's group-committed outcomes (appliance/store/postgres/queue-complete-batch.ts)
 * on a real PostgreSQL 15: attempts that finish together are written by one statement, each
 * still under its own lease, an entry whose last batch finishes is removed with its blob exactly
 * once, and one outcome that cannot be written fails alone.
 */
import t from 'tap';
import { startPostgres } from './helpers/postgres.ts';
import { pgStatements } from './helpers/pg-statements.ts';
import { openPostgresStore, type PostgresStores } from '../appliance/store/postgres/index.ts';
import type { ClaimedBatch, RecipientOutcome } from '../core/store/ports.ts';

const sql = pgStatements(t);
const seen = sql.seen;

const server = await startPostgres();
t.teardown(() => server.stop());

async function fresh(): Promise<PostgresStores> {
  const stores = await openPostgresStore({ url: await server.database(), nodeName: 'n1' });
  t.teardown(() => stores.close());
  return stores;
}

const sent = (b: ClaimedBatch): RecipientOutcome[] => b.recipients.map((r) => ({ recipient: r.recipient, result: 'sent', response: '250 ok' }));
const blobCount = async (s: PostgresStores) => Number((await s.db.q<{ n: number }>('SELECT count(*) AS n FROM blobs'))[0].n);

t.test('outcomes given together go into one statement; every entry leaves with its blob', async (t) => {
  const s = await fresh();
  for (let i = 0; i < 12; i++) await s.queue.enqueue({ mailFrom: 'a@x.test', recipients: [`r${i}@d${i % 3}.test`], content: Buffer.from(`Subject: ${i}\r\n\r\nx\r\n`) });
  const batches = await s.queue.claim(12, 60_000);
  t.equal(batches.length, 12);
  await sql.record(() => Promise.all(batches.map((b) => s.queue.complete(b, sent(b)))));
  const writes = seen.filter((x) => /queue_complete/.test(x));
  t.ok(writes.length >= 1 && writes.length <= 3, `12 outcomes in ${writes.length} statements (one each before)`);
  t.equal(seen.filter((x) => /^\s*BEGIN/i.test(x)).length, 0, 'no BEGIN/COMMIT around them');
  t.same(await s.queue.list(), [], 'every entry removed');
  t.equal(await blobCount(s), 0, 'with its blob');
});

t.test('two batches of one entry in one statement: the second removes the entry, once', async (t) => {
  const s = await fresh();
  const id = await s.queue.enqueue({ mailFrom: 'a@x.test', recipients: ['x@one.test', 'y@two.test'], content: Buffer.from('Subject: e\r\n\r\nx\r\n') });
  const kept = await s.queue.enqueue({ mailFrom: 'a@x.test', recipients: ['z@three.test'], content: Buffer.from('Subject: k\r\n\r\nx\r\n') });
  const batches = await s.queue.claim(3, 60_000);
  const of = (d: string) => batches.find((b) => b.domain === d)!;
  t.same(batches.map((b) => b.domain).sort(), ['one.test', 'three.test', 'two.test']);
  const later = new Date(Date.now() + 3_600_000);
  await sql.record(() => Promise.all([
    s.queue.complete(of('one.test'), [{ recipient: 'x@one.test', result: 'sent', response: '250 one' }]),
    s.queue.complete(of('two.test'), [{ recipient: 'y@two.test', result: 'failed', error: '550 two' }]),
    s.queue.complete(of('three.test'), [{ recipient: 'z@three.test', result: 'deferred', error: '451 three', nextAttempt: later, refusal: true }]),
  ]));
  t.equal(seen.filter((x) => /queue_complete/.test(x)).length, 1, 'the three outcomes in one statement');
  // each call of queue_complete() sees what the calls before it in the statement wrote
  t.equal(await s.queue.get(id), null, 'both batches finished: the entry is gone');
  const z = (await s.queue.get(kept))!.recipients[0];
  t.same([z.status, z.attempts, z.refusals, z.lastError, z.nextAttempt.getTime()], ['pending', 1, 1, '451 three', later.getTime()], 'the deferral');
  t.equal(await blobCount(s), 1, "only the deferred entry's blob is left");
  await s.queue.retryNow(kept);
  const [again] = await s.queue.claim(3, 60_000);
  await Promise.all([s.queue.complete(again, sent(again)), s.queue.complete(again, sent(again))]);
  t.equal(await s.queue.get(kept), null, 'the same outcome twice in one statement: removed');
  t.equal(await blobCount(s), 0, 'its blob too, once');
});

t.test('an outcome under a lost lease is ignored; the others of its statement apply', async (t) => {
  const s = await fresh();
  const stale = await s.queue.enqueue({ mailFrom: 'a@x.test', recipients: ['x@one.test'], content: Buffer.from('Subject: s\r\n\r\nx\r\n') });
  const fine = await s.queue.enqueue({ mailFrom: 'a@x.test', recipients: ['y@two.test'], content: Buffer.from('Subject: f\r\n\r\nx\r\n') });
  const [old] = await s.queue.claim(1, 200);
  t.equal(old.queueId, stale);
  await new Promise((r) => setTimeout(r, 300));
  const taken = await s.queue.claim(2, 60_000);
  t.same(taken.map((b) => b.queueId).sort(), [stale, fine].sort(), 'the stale entry claimed again by a new lease');
  await Promise.all([s.queue.complete(old, sent(old)), s.queue.complete(taken.find((b) => b.queueId === fine)!, sent(taken.find((b) => b.queueId === fine)!))]);
  t.equal((await s.queue.get(stale))!.recipients[0].status, 'pending', 'the old lease wrote nothing');
  t.equal(await s.queue.get(fine), null, 'the other entry finished');
});

t.test('an outcome that cannot be written fails alone', async (t) => {
  const s = await fresh();
  for (let i = 0; i < 4; i++) await s.queue.enqueue({ mailFrom: 'a@x.test', recipients: [`r${i}@d${i}.test`], content: Buffer.from(`Subject: ${i}\r\n\r\nx\r\n`) });
  const batches = await s.queue.claim(4, 60_000);
  const bad = batches[1];
  // NaN is no bigint: the statement of the four fails, and each is written again on its own
  const results = await Promise.allSettled(batches.map((b) => s.queue.complete(b, b === bad
    ? [{ recipient: b.recipients[0].recipient, result: 'deferred', error: '451 x', nextAttempt: new Date(NaN), refusal: false }]
    : sent(b))));
  t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  t.same((await s.queue.list()).map((e) => e.id), [bad.queueId], 'the others were written');
  t.equal((await s.queue.get(bad.queueId))!.recipients[0].attempts, 0, 'nothing of the bad one');
});

t.test('a blob another row still refers to loses one reference and stays', async (t) => {
  const s = await fresh();
  const id = await s.queue.enqueue({ mailFrom: 'a@x.test', recipients: ['x@one.test'], content: Buffer.from('Subject: shared\r\n\r\nx\r\n') });
  const entry = (await s.queue.get(id))!;
  await s.db.q('UPDATE blobs SET refs = 2 WHERE id = $1', [entry.blobId]);
  const [b] = await s.queue.claim(1, 60_000);
  await s.queue.complete(b, sent(b));
  t.equal(await s.queue.get(id), null, 'the entry is gone');
  t.same(await s.db.q('SELECT refs FROM blobs WHERE id = $1', [entry.blobId]), [{ refs: 1 }], 'its blob kept, one reference fewer');
});

t.test('an outcome with a bounce: BEGIN, the outcome, the report, COMMIT', async (t) => {
  const s = await fresh();
  const id = await s.queue.enqueue({ mailFrom: 'a@x.test', recipients: ['x@one.test', 'y@one.test'], content: Buffer.from('Subject: b\r\n\r\nx\r\n') });
  const [b] = await s.queue.claim(1, 60_000);
  let woke = 0;
  const off = s.queue.onEnqueue(() => woke++);
  await sql.record(() => s.queue.complete(b, [{ recipient: 'x@one.test', result: 'failed', error: '550 gone' }, { recipient: 'y@one.test', result: 'sent', response: '250 ok' }],
    [{ mailFrom: '', recipients: ['a@x.test'], content: Buffer.from('Subject: report\r\n\r\nx@one.test failed\r\n') }]));
  off();
  // was 12: BEGIN, the entry lock, one UPDATE per outcome, blob, entry, recipients, NOTIFY, the count, DELETE, blob refs, COMMIT
  t.equal(seen.length, 4, `${seen.length} statements: ${seen.map((x) => x.trim().split(/\s+/).slice(0, 2).join(' ')).join(', ')}`);
  t.equal(await s.queue.get(id), null, 'the finished entry is removed');
  const left = await s.queue.list();
  t.equal(left.length, 1, 'one entry left');
  const [report] = left;
  t.match(report.id, new RegExp(`^${id}\\.[0-9A-F]{6}$`, 'i'), 'the report, under an id derived from the message');
  t.same([report.mailFrom, report.recipients.map((r) => r.recipient)], ['', ['a@x.test']]);
  t.match((await s.queue.read(report.blobId)).toString(), /x@one.test failed/);
  t.ok(woke > 0, 'the delivery service is woken for the report');
  t.equal(await blobCount(s), 1, "only the report's blob is left");
});
